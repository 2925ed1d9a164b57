// kopia --json output parsing, by kopia's field names.
#include "kopiur/mover/kopia_json.hpp"

#include <ctime>

#include "kopiur/support/json.hpp"

namespace kopiur::mover {

namespace {

using nlohmann::json;

std::string unexpected(std::string_view what, std::string_view why, std::string_view out) {
  return "unexpected output of kopia " + std::string(what) + " --json (" + std::string(why) +
         "); output begins: \"" + output_head(out) + "\"";
}

// A field problem inside an otherwise parsed document.
struct ShapeError {
  std::string message;
};

const json& member(const json& node, const char* key, const std::string& path) {
  if (!node.is_object()) throw ShapeError{path + " is not an object"};
  const auto it = node.find(key);
  if (it == node.end()) throw ShapeError{"missing " + path + (path.empty() ? "" : ".") + key};
  return *it;
}

std::string text(const json& node, const char* key, const std::string& path) {
  const json& v = member(node, key, path);
  if (!v.is_string()) throw ShapeError{path + "." + key + " is not a string"};
  return v.get<std::string>();
}

std::optional<std::int64_t> number(const json& node, const char* key) {
  if (!node.is_object()) return std::nullopt;
  const auto it = node.find(key);
  if (it == node.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<std::int64_t>();
}

SnapshotInfo snapshot_from(const json& m) {
  SnapshotInfo s;
  s.id = text(m, "id", "manifest");
  const json& source = member(m, "source", "manifest");
  s.host = text(source, "host", "source");
  s.user_name = text(source, "userName", "source");
  s.path = text(source, "path", "source");
  s.start_time = text(m, "startTime", "manifest");
  s.end_time =
      m.contains("endTime") && m["endTime"].is_string() ? m["endTime"].get<std::string>() : "";
  const json& root = member(m, "rootEntry", "manifest");
  s.root_object = text(root, "obj", "rootEntry");
  const json stats = m.contains("stats") ? m["stats"] : json();
  const json summ = root.contains("summ") ? root["summ"] : json();
  s.size_bytes = number(stats, "totalSize");
  if (!s.size_bytes) s.size_bytes = number(summ, "size");
  s.files = number(stats, "fileCount");
  if (!s.files) s.files = number(summ, "files");
  s.dirs = number(stats, "dirCount");
  if (!s.dirs) s.dirs = number(summ, "dirs");
  s.cached_files = number(stats, "cachedFiles");
  s.non_cached_files = number(stats, "nonCachedFiles");
  return s;
}

json parse_json(std::string_view out, std::string& error, std::string_view what) {
  json doc = json::parse(out, nullptr, false);
  if (doc.is_discarded()) error = unexpected(what, "not JSON", out);
  return doc;
}

// RFC 3339 in UTC to Unix seconds; nullopt when malformed.
std::optional<std::int64_t> unix_seconds(const std::string& t) {
  std::tm tm{};
  if (strptime(t.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) return std::nullopt;
  return static_cast<std::int64_t>(timegm(&tm));
}

}  // namespace

std::string output_head(std::string_view out, std::size_t max_bytes) {
  if (out.size() <= max_bytes) return std::string(out);
  std::size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
  return std::string(out.substr(0, cut)) + "...";
}

Parsed<SnapshotInfo> parse_snapshot_create(std::string_view out) {
  Parsed<SnapshotInfo> p;
  const json doc = parse_json(out, p.error, "snapshot create");
  if (!p.error.empty()) return p;
  try {
    if (!doc.is_object()) throw ShapeError{"expected a snapshot manifest object"};
    p.value = snapshot_from(doc);
  } catch (const ShapeError& e) {
    p.error = unexpected("snapshot create", e.message, out);
  } catch (const json::exception& e) {
    p.error = unexpected("snapshot create", e.what(), out);
  }
  return p;
}

Parsed<std::vector<SnapshotInfo>> parse_snapshot_list(std::string_view out) {
  Parsed<std::vector<SnapshotInfo>> p;
  const json doc = parse_json(out, p.error, "snapshot list");
  if (!p.error.empty()) return p;
  try {
    if (!doc.is_array()) throw ShapeError{"expected an array of snapshot manifests"};
    for (const auto& m : doc) p.value.push_back(snapshot_from(m));
  } catch (const ShapeError& e) {
    p.error = unexpected("snapshot list", e.message, out);
  } catch (const json::exception& e) {
    p.error = unexpected("snapshot list", e.what(), out);
  }
  return p;
}

Parsed<RepositoryStatus> parse_repository_status(std::string_view out) {
  Parsed<RepositoryStatus> p;
  const json doc = parse_json(out, p.error, "repository status");
  if (!p.error.empty()) return p;
  try {
    p.value.unique_id = text(doc, "uniqueIDHex", "status");
    const json& client = member(doc, "clientOptions", "status");
    p.value.hostname = text(client, "hostname", "clientOptions");
    p.value.username = text(client, "username", "clientOptions");
    p.value.storage_type = text(member(doc, "storage", "status"), "type", "storage");
  } catch (const ShapeError& e) {
    p.error = unexpected("repository status", e.message, out);
  } catch (const json::exception& e) {
    p.error = unexpected("repository status", e.what(), out);
  }
  return p;
}

Parsed<std::optional<std::int64_t>> parse_reclaimed_bytes(std::string_view out,
                                                          std::int64_t not_before_unix) {
  Parsed<std::optional<std::int64_t>> p;
  const json doc = parse_json(out, p.error, "maintenance info");
  if (!p.error.empty()) return p;
  try {
    const json& runs = member(member(doc, "schedule", "info"), "runs", "schedule");
    if (!runs.is_object()) throw ShapeError{"schedule.runs is not an object"};
    const auto it = runs.find("full-delete-blobs");
    if (it == runs.end() || !it->is_array() || it->empty()) return p;
    const json& newest = it->front();  // kopia keeps the newest run first
    const auto end = unix_seconds(text(newest, "end", "run"));
    if (!end) throw ShapeError{"run.end is not an RFC 3339 time"};
    if (*end < not_before_unix) return p;
    if (!newest.contains("extra")) return p;
    for (const auto& extra : newest["extra"]) {
      if (extra.value("kind", "") != "deleteUnreferencedPacksStats") continue;
      const auto bytes = number(member(extra, "data", "extra"), "deletedTotalSize");
      if (!bytes) throw ShapeError{"deleteUnreferencedPacksStats has no deletedTotalSize"};
      p.value = bytes;
    }
  } catch (const ShapeError& e) {
    p.error = unexpected("maintenance info", e.message, out);
  } catch (const json::exception& e) {
    p.error = unexpected("maintenance info", e.what(), out);
  }
  return p;
}

}  // namespace kopiur::mover
