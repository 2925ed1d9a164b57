// File: kopiur/mover/kopia_json.hpp
//
// Parsers for kopia's --json outputs, by kopia's own field names (snapshot/manifest.go,
// cli/command_repository_status.go, cli/command_maintenance_info.go). Every figure the mover
// reports comes from here; one that kopia did not print stays absent (never a silent zero), and
// output of an unexpected shape is an error quoting the output's head.
//
//   auto snap = mover::parse_snapshot_create(run.out);
//   if (!snap.error.empty()) ...  // "unexpected output of kopia snapshot create --json: ..."
//
// Thread-safety: pure functions. Failure: never throws.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kopiur::mover {

struct SnapshotInfo {
  std::string id;
  std::string host, user_name, path;
  std::string start_time, end_time;
  std::string root_object;
  std::optional<std::int64_t> size_bytes;  // stats.totalSize, else rootEntry.summ.size
  std::optional<std::int64_t> files;       // stats.fileCount, else rootEntry.summ.files
  std::optional<std::int64_t> dirs;        // stats.dirCount, else rootEntry.summ.dirs
  // stats.cachedFiles / stats.nonCachedFiles (only with --json-verbose): files whose contents
  // kopia took from its cache (unchanged) and files it read and hashed (new or modified).
  std::optional<std::int64_t> cached_files;
  std::optional<std::int64_t> non_cached_files;
};

struct RepositoryStatus {
  std::string unique_id;
  std::string hostname, username;
  std::string storage_type;
};

template <typename T>
struct Parsed {
  T value{};
  std::string error;  // empty on success
};

// `snapshot create PATH --json`: one manifest object.
Parsed<SnapshotInfo> parse_snapshot_create(std::string_view out);
// `snapshot list --json`: an array of manifests.
Parsed<std::vector<SnapshotInfo>> parse_snapshot_list(std::string_view out);
// `repository status --json`.
Parsed<RepositoryStatus> parse_repository_status(std::string_view out);
// `maintenance info --json`: bytes deleted by the newest full-delete-blobs run that ended at or
// after `not_before_unix` (seconds); nullopt when there is none.
Parsed<std::optional<std::int64_t>> parse_reclaimed_bytes(std::string_view out,
                                                          std::int64_t not_before_unix);

// The first `max_bytes` of `out`, on a UTF-8 boundary, for error messages.
std::string output_head(std::string_view out, std::size_t max_bytes = 200);

}  // namespace kopiur::mover
