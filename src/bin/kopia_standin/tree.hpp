// tree: snapshotting a directory tree into a Repository and restoring it, in kopia's object
// model: a file is one content or an indirect object ("I" + id) listing its 4 MiB chunks; a
// directory is a JSON object ("k" + id) of entries (name, type, mode, size, mtime, uid, gid, obj,
// summ) sorted by name, so an unchanged tree stores to the same ids.
#pragma once

#include <cstdint>
#include <ctime>
#include <filesystem>
#include <set>
#include <string>

#include "kopiur/support/json.hpp"

#include "repository.hpp"

namespace kopia_standin {

// kopia's fs.UTCTimestamp text: RFC 3339 in UTC with up to nine fraction digits, zeros trimmed.
std::string format_time(const timespec& t);
// Throws Error on a malformed timestamp.
timespec parse_time(const std::string& text);
timespec now();

struct UploadStats {
  std::int64_t total_size = 0;
  std::int64_t file_count = 0;
  std::int64_t dir_count = 0;
  std::int64_t error_count = 0;
};

// Snapshots `dir`; returns its root DirEntry (with "summ").
nlohmann::ordered_json upload_tree(Repository& repo, const std::filesystem::path& dir,
                                   UploadStats& stats);

struct RestoreStats {
  std::int64_t files = 0;
  std::int64_t dirs = 0;
  std::int64_t symlinks = 0;
  std::int64_t bytes = 0;
};

// Writes the tree under root_entry into target (created when missing): content, mode, mtime,
// and owners when running as root.
void restore_tree(const Repository& repo, const nlohmann::ordered_json& root_entry,
                  const std::filesystem::path& target, RestoreStats& stats);

// Adds every content id reachable from object id `obj` to `out`.
void collect_references(const Repository& repo, const std::string& obj, std::set<std::string>& out);

}  // namespace kopia_standin
