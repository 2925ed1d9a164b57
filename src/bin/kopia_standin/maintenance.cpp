// maintenance run / info: garbage collection of unreferenced blobs and kopia's run history.
#include <cstdio>
#include <ctime>
#include <set>

#include "commands.hpp"
#include "tree.hpp"

namespace kopia_standin {

using ojson = nlohmann::ordered_json;

namespace {

constexpr std::size_t kRunsKept = 5;  // kopia keeps the latest few runs per task
constexpr std::time_t kSafetyMinAge = 3600;

ojson default_state(const std::string& owner) {
  return {{"owner", owner},
          {"quick", {{"enabled", true}, {"interval", 3600LL * 1000000000LL}}},
          {"full", {{"enabled", true}, {"interval", 86400LL * 1000000000LL}}},
          {"logRetention", {{"maxCount", 10000}, {"maxAge", 720LL * 3600 * 1000000000LL}}},
          {"extendObjectLocks", false},
          {"listParallelism", 0},
          {"schedule", {{"runs", ojson::object()}}}};
}

void report_run(ojson& state, const std::string& task, const std::string& start,
                const ojson& extra) {
  ojson run = {{"start", start}, {"end", format_time(now())}, {"success", true}};
  if (!extra.is_null()) run["extra"] = ojson::array({extra});
  ojson& runs = state["schedule"]["runs"][task];
  if (!runs.is_array()) runs = ojson::array();
  runs.insert(runs.begin(), run);
  while (runs.size() > kRunsKept) runs.erase(runs.end() - 1);
}

std::string mb(std::uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return buf;
}

// Deletes unreferenced blobs old enough for the safety level; returns kopia's stats object.
ojson delete_unreferenced(Repository& repo, bool safety_none) {
  std::set<std::string> referenced;
  for (const auto& m : repo.manifests()) {
    collect_references(repo, m["rootEntry"]["obj"].get<std::string>(), referenced);
  }
  std::uint64_t unref_count = 0, unref_size = 0, del_count = 0, del_size = 0;
  const std::time_t cutoff = std::time(nullptr) - (safety_none ? 0 : kSafetyMinAge);
  for (const auto& blob : repo.blobs()) {
    if (referenced.count(blob.id) != 0) continue;
    ++unref_count;
    unref_size += blob.size;
    if (blob.mtime > cutoff) continue;
    repo.remove_blob(blob.id);
    ++del_count;
    del_size += blob.size;
  }
  return {{"unreferencedPackCount", unref_count},
          {"unreferencedTotalSize", unref_size},
          {"deletedPackCount", del_count},
          {"deletedTotalSize", del_size},
          {"retainedPackCount", unref_count - del_count},
          {"retainedTotalSize", unref_size - del_size}};
}

}  // namespace

int maintenance_run(const Args& args) {
  const std::string safety = args.value("safety").value_or("full");
  if (safety != "full" && safety != "none") {
    throw UsageError("enum value must be one of full,none, got '" + safety + "'");
  }
  Connection c = load_connection(args);
  refuse_if_read_only(c, "error running maintenance");
  Repository repo = Repository::open(c.storage_path, resolve_password(args, c.config_file));
  ojson state = repo.maintenance_state();
  const std::string me = c.username + "@" + c.hostname;
  if (state.empty()) state = default_state(me);
  // kopia (repo/maintenance): only the designated owner runs maintenance.
  if (state["owner"].get<std::string>() != me) {
    throw Error("maintenance must be run by designated user: " + state["owner"].get<std::string>());
  }
  const bool full = args.flag("full");
  std::fputs(full ? "Running full maintenance...\n" : "Running quick maintenance...\n", stderr);
  const std::string start = format_time(now());
  if (full) {
    report_run(state, "snapshot-gc", start, nullptr);
    const ojson stats = delete_unreferenced(repo, safety == "none");
    const auto& s = stats;
    std::fprintf(stderr,
                 "Found %llu(%s) unreferenced pack blobs to delete and deleted %llu(%s). "
                 "Retained %llu(%s) unreferenced pack blobs.\n",
                 s["unreferencedPackCount"].get<unsigned long long>(),
                 mb(s["unreferencedTotalSize"].get<std::uint64_t>()).c_str(),
                 s["deletedPackCount"].get<unsigned long long>(),
                 mb(s["deletedTotalSize"].get<std::uint64_t>()).c_str(),
                 s["retainedPackCount"].get<unsigned long long>(),
                 mb(s["retainedTotalSize"].get<std::uint64_t>()).c_str());
    report_run(state, "full-delete-blobs", start,
               {{"kind", "deleteUnreferencedPacksStats"}, {"data", stats}});
    state["schedule"]["nextFullMaintenance"] = format_time({std::time(nullptr) + 86400, 0});
  } else {
    report_run(state, "quick-delete-blobs", start, nullptr);
  }
  state["schedule"]["nextQuickMaintenance"] = format_time({std::time(nullptr) + 3600, 0});
  repo.save_maintenance_state(state);
  std::fputs(full ? "Finished full maintenance.\n" : "Finished quick maintenance.\n", stderr);
  return 0;
}

int maintenance_set(const Args& args) {
  Connection c = load_connection(args);
  refuse_if_read_only(c, "error setting maintenance parameters");
  Repository repo = Repository::open(c.storage_path, resolve_password(args, c.config_file));
  ojson state = repo.maintenance_state();
  const std::string me = c.username + "@" + c.hostname;
  if (state.empty()) state = default_state(me);
  const auto owner = args.value("owner");
  if (!owner) throw UsageError("maintenance set: nothing to set (--owner)");
  const std::string wanted = *owner == "me" ? me : *owner;
  if (wanted.find('@') == std::string::npos) {
    throw Error("invalid owner: " + wanted + " (expected user@host or me)");
  }
  state["owner"] = wanted;
  repo.save_maintenance_state(state);
  std::fprintf(stderr, "Setting maintenance owner to %s\n", wanted.c_str());
  return 0;
}

int maintenance_info(const Args& args) {
  Connection c = load_connection(args);
  const Repository repo = Repository::open(c.storage_path, resolve_password(args, c.config_file));
  ojson state = repo.maintenance_state();
  if (state.empty()) state = default_state(c.username + "@" + c.hostname);
  if (args.flag("json")) {
    std::printf("%s\n", state.dump().c_str());
    return 0;
  }
  std::printf("Owner: %s\n", state["owner"].get<std::string>().c_str());
  for (const auto& [task, runs] : state["schedule"]["runs"].items()) {
    for (const auto& run : runs) {
      std::printf("  %s: %s -> %s SUCCESS\n", task.c_str(), run["start"].get<std::string>().c_str(),
                  run["end"].get<std::string>().c_str());
    }
  }
  return 0;
}

}  // namespace kopia_standin
