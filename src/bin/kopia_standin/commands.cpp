// The kopia commands of the stand-in, with kopia's flags, messages and --json shapes.
#include "commands.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include <sys/statvfs.h>

#include "tree.hpp"

namespace kopia_standin {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

namespace {

void out(const std::string& text) { std::fwrite(text.data(), 1, text.size(), stdout); }
void err(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

std::string bytes_string(std::int64_t bytes) {
  static const char* const kUnits[] = {"B", "KB", "MB", "GB", "TB", "PB"};
  double v = static_cast<double>(bytes);
  int unit = 0;
  while (v >= 1000 && unit < 5) {
    v /= 1000;
    ++unit;
  }
  char buf[32];
  if (unit == 0) {
    std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(bytes));
  } else {
    std::snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[unit]);
  }
  return buf;
}

bool earlier(const timespec& a, const timespec& b) {
  return a.tv_sec != b.tv_sec ? a.tv_sec < b.tv_sec : a.tv_nsec < b.tv_nsec;
}

std::string source_text(const ojson& source) {
  return source.at("userName").get<std::string>() + "@" + source.at("host").get<std::string>() +
         ":" + source.at("path").get<std::string>();
}

Repository open_connected(const Args& args, Connection& c) {
  c = load_connection(args);
  return Repository::open(c.storage_path, resolve_password(args, c.config_file));
}

// What `--json` prints for one manifest: without --json-verbose kopia drops "stats".
ojson for_json(const Args& args, ojson manifest, bool keep_stats) {
  if (!keep_stats && !args.flag("json-verbose")) manifest.erase("stats");
  return manifest;
}

// kopia's jsonList: "[", entries separated by ",\n ", then "\n]".
void print_json_list(const std::vector<ojson>& items) {
  std::string text = "[";
  std::string sep = "\n ";
  for (const auto& item : items) {
    text += sep + item.dump();
    sep = ",\n ";
  }
  out(text + "\n]");
}

int connect_to(const Args& args, const std::string& path, const std::string& password) {
  (void)Repository::open(path, password);  // proves the password before anything is written
  Connection c;
  c.config_file = config_file_path(args);
  c.storage_path = fs::absolute(path).lexically_normal().string();
  c.hostname = args.value("override-hostname").value_or(default_hostname());
  c.username = args.value("override-username").value_or(default_username());
  c.description = args.value("description").value_or("Repository in Filesystem: " + c.storage_path);
  c.read_only = args.flag("readonly");
  save_connection(args, c, password);
  err("Connected to repository.\n");
  return 0;
}

std::string require_path(const Args& args) {
  auto path = args.value("path");
  if (!path || path->empty()) throw UsageError("required flag --path not provided");
  return *path;
}

}  // namespace

int repository_create(const Args& args) {
  const std::string path = require_path(args);
  const std::string password = resolve_password(args, config_file_path(args));
  Repository::create(path, password);
  err("Initializing repository with:\n  block hash:          HMAC-SHA256\n"
      "  encryption:          AES256-GCM\n  key derivation:      scrypt\n  splitter:            "
      "FIXED-4M\nConnecting to repository...\n");
  if (args.flag("create-only")) return 0;
  return connect_to(args, path, password);
}

int repository_connect(const Args& args) {
  const std::string path = require_path(args);
  return connect_to(args, path, resolve_password(args, config_file_path(args)));
}

int repository_disconnect(const Args& args) {
  forget_connection(args);
  return 0;
}

int repository_status(const Args& args) {
  Connection c;
  const Repository repo = open_connected(args, c);
  if (!args.flag("json")) {
    out("Config file:         " + c.config_file + "\n\nDescription:         " + c.description +
        "\nHostname:            " + c.hostname + "\nUsername:            " + c.username +
        "\nRead-only:           " + (c.read_only ? "true" : "false") +
        "\n\nStorage type:        filesystem\nUnique ID:           " + repo.unique_id() +
        "\nHash:                HMAC-SHA256\nEncryption:          AES256-GCM\n");
    return 0;
  }
  ojson status = {
      {"configFile", c.config_file},
      {"uniqueIDHex", repo.unique_id()},
      {"clientOptions",
       {{"hostname", c.hostname},
        {"username", c.username},
        {"description", c.description},
        {"enableActions", false},
        {"readonly", c.read_only}}},
      {"storage", {{"type", "filesystem"}, {"config", {{"path", c.storage_path}}}}},
  };
  struct statvfs vfs {};
  if (::statvfs(c.storage_path.c_str(), &vfs) == 0) {
    status["volume"] = {{"capacity", static_cast<std::uint64_t>(vfs.f_blocks) * vfs.f_frsize},
                        {"available", static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize}};
  }
  status["contentFormat"] = {{"hash", "HMAC-SHA256"},
                             {"encryption", "AES256-GCM"},
                             {"version", 1},
                             {"enablePasswordChange", false}};
  status["objectFormat"] = {{"splitter", "FIXED-4M"}};
  status["blobRetention"] = ojson::object();
  out(status.dump() + "\n");
  return 0;
}

int snapshot_create(const Args& args) {
  if (args.positionals.empty()) throw Error("no snapshot sources");
  Connection c;
  Repository repo = open_connected(args, c);
  refuse_if_read_only(c, "unable to create snapshot");
  for (const auto& source : args.positionals) {
    const std::string path = fs::absolute(source).lexically_normal().string();
    const ojson src = {{"host", c.hostname}, {"userName", c.username}, {"path", path}};
    err("Snapshotting " + source_text(src) + " ...\n");
    const timespec start = now();
    UploadStats stats;
    ojson root = upload_tree(repo, path, stats);
    const timespec end = now();
    const std::string id = hex(random_bytes(16));
    ojson manifest = {{"id", id},
                      {"source", src},
                      {"description", args.value("description").value_or("")},
                      {"startTime", format_time(start)},
                      {"endTime", format_time(end)}};
    manifest["stats"] = {{"totalSize", stats.total_size},
                         {"excludedTotalSize", 0},
                         {"fileCount", stats.file_count},
                         {"cachedFiles", 0},
                         {"nonCachedFiles", stats.file_count},
                         {"dirCount", stats.dir_count},
                         {"excludedFileCount", 0},
                         {"excludedDirCount", 0},
                         {"ignoredErrorCount", 0},
                         {"errorCount", stats.error_count}};
    manifest["rootEntry"] = std::move(root);
    for (const auto& tag : args.all("tags")) {
      const auto colon = tag.find(':');
      if (colon == std::string::npos) {
        throw Error("Invalid tag format (" + tag + "). Requires <key>:<value>");
      }
      manifest["tags"]["tag:" + tag.substr(0, colon)] = tag.substr(colon + 1);
    }
    repo.save_manifest(id, manifest);
    const double secs = static_cast<double>(end.tv_sec - start.tv_sec) +
                        static_cast<double>(end.tv_nsec - start.tv_nsec) / 1e9;
    char took[32];
    std::snprintf(took, sizeof took, "%.3fs", secs);
    err("Created snapshot with root " + manifest["rootEntry"]["obj"].get<std::string>() +
        " and ID " + id + " in " + took + "\n");
    if (args.flag("json")) out(for_json(args, manifest, false).dump() + "\n");
  }
  return 0;
}

int snapshot_list(const Args& args) {
  Connection c;
  const Repository repo = open_connected(args, c);
  std::vector<ojson> all = repo.manifests();
  if (!args.positionals.empty()) {
    const std::string path = fs::absolute(args.positionals.front()).lexically_normal().string();
    std::erase_if(all, [&](const ojson& m) {
      return m["source"]["path"] != path || m["source"]["host"] != c.hostname ||
             m["source"]["userName"] != c.username;
    });
  } else if (!args.flag("json") && !args.flag("all")) {
    std::erase_if(all, [&](const ojson& m) {
      return m["source"]["host"] != c.hostname || m["source"]["userName"] != c.username;
    });
  }
  // Grouped by source, oldest first within a source (kopia's GroupBySource + SortByTime).
  std::stable_sort(all.begin(), all.end(), [](const ojson& a, const ojson& b) {
    const std::string sa = source_text(a["source"]);
    const std::string sb = source_text(b["source"]);
    if (sa != sb) return sa < sb;
    return earlier(parse_time(a["startTime"]), parse_time(b["startTime"]));
  });
  if (args.flag("json")) {
    print_json_list(all);
    return 0;
  }
  std::string last_source;
  for (const auto& m : all) {
    const std::string s = source_text(m["source"]);
    if (s != last_source) out((last_source.empty() ? "" : "\n") + s + "\n");
    last_source = s;
    out("  " + m["startTime"].get<std::string>() + " " + m["rootEntry"]["obj"].get<std::string>() +
        " " + bytes_string(m["rootEntry"]["summ"]["size"].get<std::int64_t>()) +
        " files:" + std::to_string(m["rootEntry"]["summ"]["files"].get<std::int64_t>()) +
        " id:" + m["id"].get<std::string>() + "\n");
  }
  return 0;
}

int snapshot_delete(const Args& args) {
  if (args.positionals.empty()) throw UsageError("required argument 'id' not provided");
  Connection c;
  Repository repo = open_connected(args, c);
  if (args.flag("delete")) refuse_if_read_only(c, "error deleting snapshot");
  for (const auto& id : args.positionals) {
    std::vector<ojson> matched;
    try {
      matched.push_back(repo.manifest(id));
    } catch (const Error&) {
      for (auto& m : repo.manifests()) {
        if (m["rootEntry"]["obj"] == id) matched.push_back(std::move(m));
      }
      if (matched.empty()) {
        throw Error("error deleting snapshots by root ID " + id + ": no snapshots matched " + id);
      }
    }
    for (const auto& m : matched) {
      const std::string desc = "snapshot " + m["id"].get<std::string>() + " of " +
                               source_text(m["source"]) + " at " +
                               m["startTime"].get<std::string>();
      if (!args.flag("delete")) {
        err("Would delete " + desc + " (pass --delete to confirm)\n");
        continue;
      }
      err("Deleting " + desc + "...\n");
      repo.remove_manifest(m["id"].get<std::string>());
    }
  }
  return 0;
}

int snapshot_restore(const Args& args) {
  if (args.positionals.size() != 2) {
    throw UsageError(args.positionals.empty() ? "required argument 'sources' not provided"
                                              : "restore needs a snapshot ID and a target path");
  }
  Connection c;
  const Repository repo = open_connected(args, c);
  const std::string& id = args.positionals[0];
  ojson root;
  try {
    root = repo.manifest(id)["rootEntry"];
  } catch (const Error&) {
    for (const auto& m : repo.manifests()) {
      if (m["rootEntry"]["obj"] == id) root = m["rootEntry"];
    }
    if (root.is_null())
      throw Error("unable to get filesystem entry for '" + id + "': snapshot not found");
  }
  const std::string target = args.positionals[1];
  err("Restoring to local filesystem (" + fs::absolute(target).string() +
      ") with parallelism=8...\n");
  RestoreStats st;
  restore_tree(repo, root, target, st);
  err("Restored " + std::to_string(st.files) + " files, " + std::to_string(st.dirs) +
      " directories and " + std::to_string(st.symlinks) + " symbolic links (" +
      bytes_string(st.bytes) + ").\n");
  return 0;
}

}  // namespace kopia_standin
