// The mover's result JSON, kept under the 4 KiB termination message limit.
#include "kopiur/mover/result.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>

#include "kopiur/telemetry/log/forwarder.hpp"

namespace kopiur::mover {

namespace {

using ojson = nlohmann::ordered_json;

ojson snapshot_json(const SnapshotInfo& s) {
  ojson j = {{"id", s.id},
             {"source", {{"host", s.host}, {"userName", s.user_name}, {"path", s.path}}},
             {"startTime", s.start_time}};
  if (!s.end_time.empty()) j["endTime"] = s.end_time;
  if (!s.root_object.empty()) j["rootObject"] = s.root_object;
  if (s.size_bytes) j["sizeBytes"] = *s.size_bytes;
  if (s.files) j["files"] = *s.files;
  if (s.dirs) j["dirs"] = *s.dirs;
  if (s.cached_files) j["cachedFiles"] = *s.cached_files;
  if (s.non_cached_files) j["nonCachedFiles"] = *s.non_cached_files;
  return j;
}

ojson catalog_json(const std::vector<SnapshotInfo>& snapshots, std::size_t listed) {
  std::int64_t logical = 0;
  std::vector<std::string> seen;
  // kopia lists oldest first per source: the newest of a source is its last entry.
  for (auto it = snapshots.rbegin(); it != snapshots.rend(); ++it) {
    const std::string key = it->user_name + "@" + it->host + ":" + it->path;
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
    seen.push_back(key);
    logical += it->size_bytes.value_or(0);
  }
  ojson j = {{"snapshotCount", snapshots.size()},
             {"sourceCount", seen.size()},
             {"logicalSizeBytes", logical},
             {"snapshots", ojson::array()}};
  for (std::size_t i = 0; i < listed && i < snapshots.size(); ++i) {
    const auto& s = snapshots[i];
    ojson e = {{"id", s.id},
               {"host", s.host},
               {"userName", s.user_name},
               {"path", s.path},
               {"startTime", s.start_time}};
    if (s.size_bytes) e["sizeBytes"] = *s.size_bytes;
    j["snapshots"].push_back(std::move(e));
  }
  if (listed < snapshots.size()) j["truncated"] = true;
  return j;
}

ojson build(const OperationResult& r, std::size_t listed, std::size_t tail_max,
            std::size_t message_max) {
  ojson j = {{"operation", r.operation}, {"result", outcome_name(r.result)}};
  ojson timing = {{"startTime", r.start_time},
                  {"endTime", r.end_time},
                  {"durationSeconds", r.duration_seconds}};
  j["timing"] = timing;
  if (r.repository) {
    j["repository"] = {{"uniqueId", r.repository->unique_id},
                       {"hostname", r.repository->hostname},
                       {"username", r.repository->username},
                       {"storageType", r.repository->storage_type}};
  }
  if (r.snapshot) j["snapshot"] = snapshot_json(*r.snapshot);
  if (r.catalog) j["catalog"] = catalog_json(*r.catalog, listed);
  if (!r.maintenance_mode.empty()) {
    j["maintenance"] = {{"mode", r.maintenance_mode}};
    if (r.reclaimed_bytes) j["maintenance"]["reclaimedBytes"] = *r.reclaimed_bytes;
  }
  if (!r.restored.empty()) j["restore"] = {{"summary", r.restored}};
  if (r.failure) {
    const auto& f = *r.failure;
    ojson e = {{"class", error_class_name(f.error_class)},
               {"retryable", retryable(f.error_class)},
               {"message", std::string(telemetry::log::utf8_tail(f.message, message_max))}};
    if (f.kopia_exit) e["kopiaExitCode"] = *f.kopia_exit;
    if (!f.tail.empty()) e["tail"] = std::string(telemetry::log::utf8_tail(f.tail, tail_max));
    j["error"] = std::move(e);
  }
  return j;
}

}  // namespace

std::string_view outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::kSucceeded:
      return "succeeded";
    case Outcome::kFailed:
      return "failed";
    case Outcome::kCancelled:
      return "cancelled";
  }
  return "failed";
}

std::string_view error_class_name(ErrorClass c) {
  switch (c) {
    case ErrorClass::kInvalidSpec:
      return "InvalidSpec";
    case ErrorClass::kKopiaNotFound:
      return "KopiaNotFound";
    case ErrorClass::kAuthFailure:
      return "AuthFailure";
    case ErrorClass::kRepositoryNotInitialized:
      return "RepositoryNotInitialized";
    case ErrorClass::kNotFound:
      return "NotFound";
    case ErrorClass::kRepositoryUnavailable:
      return "RepositoryUnavailable";
    case ErrorClass::kUnexpectedOutput:
      return "UnexpectedOutput";
    case ErrorClass::kKilled:
      return "Killed";
    case ErrorClass::kCancelled:
      return "Cancelled";
    case ErrorClass::kMaintenanceNotOwned:
      return "MaintenanceNotOwned";
    case ErrorClass::kUnknown:
      return "Unknown";
  }
  return "Unknown";
}

bool retryable(ErrorClass c) {
  return c == ErrorClass::kRepositoryUnavailable || c == ErrorClass::kKilled ||
         c == ErrorClass::kCancelled;
}

ojson to_json(const OperationResult& r) {
  return build(r, r.catalog ? r.catalog->size() : 0, SIZE_MAX, SIZE_MAX);
}

std::string render(const OperationResult& r, std::size_t limit) {
  std::size_t listed = r.catalog ? r.catalog->size() : 0;
  std::size_t tail_max = r.failure ? r.failure->tail.size() : 0;
  std::size_t message_max = r.failure ? r.failure->message.size() : 0;
  for (;;) {
    ojson j = build(r, listed, tail_max, message_max);
    const bool trimmed = (r.catalog && listed < r.catalog->size()) ||
                         (r.failure && (tail_max < r.failure->tail.size() ||
                                        message_max < r.failure->message.size()));
    if (trimmed) j["truncated"] = true;
    std::string text = j.dump();
    if (text.size() < limit) return text;
    const std::size_t over = text.size() - limit + 1;
    if (listed > 0) {
      listed = listed > 8 ? listed - std::max<std::size_t>(1, listed / 4) : listed - 1;
    } else if (tail_max > 0) {
      tail_max = tail_max > over ? tail_max - over : 0;
    } else if (message_max > 0) {
      message_max = message_max > over + 16 ? message_max - over - 16 : 0;
    } else {
      // Only an absurd operation name (it comes from the command line) gets here.
      const std::string op = std::string(telemetry::log::utf8_tail(r.operation, 64));
      return ojson{{"operation", op}, {"result", outcome_name(r.result)}, {"truncated", true}}
          .dump();
    }
  }
}

std::string write_termination_message(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return "cannot open " + path;
  out << text;
  out.flush();
  if (!out) return "cannot write " + path;
  return {};
}

std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t secs = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms));
  return out;
}

}  // namespace kopiur::mover
