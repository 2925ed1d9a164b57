// LocalStore's persistence (docs/kubernetes.md, "Persistence"): DATA-DIR/state.json is a
// snapshot of every object at one resourceVersion, DATA-DIR/state.log the writes after it, one
// framed record per write ({"rv":N,"ops":[{"type","key","object"}...]}). Loading reads the
// snapshot and replays the records newer than it; a compaction thread writes a new snapshot when
// the log outgrows the live state and then drops the records it covers.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <malloc.h>

#include "localkube/detail/local_store.hpp"
#include "localkube/detail/store_log.hpp"

namespace kopiur::localkube::detail {
namespace {

using nlohmann::json;

constexpr const char* kStoreSnapshotFile = "state.json";
constexpr const char* kStoreLogFile = "state.log";

}  // namespace

LocalStore::~LocalStore() {
  {
    std::lock_guard lock(mu_);
    compact_stop_ = true;
  }
  compact_cv_.notify_all();
  if (compactor_.joinable()) compactor_.join();
  log_.reset();  // syncs what is still queued
}

void LocalStore::warn(std::string_view message) const {
  if (options_.on_warning) {
    options_.on_warning(message);
  } else {
    std::fprintf(stderr, "kopiur-localkube: %.*s\n", static_cast<int>(message.size()),
                 message.data());
  }
}

std::uint64_t LocalStore::compactions() const {
  std::lock_guard lock(mu_);
  return compactions_;
}

Status LocalStore::load() {
  if (options_.data_dir.empty()) return {};
  const auto dir = std::filesystem::path(options_.data_dir);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error{"create data dir " + options_.data_dir, 0, "", ec.message()};
  const auto snapshot = dir / kStoreSnapshotFile;
  const auto log_path = dir / kStoreLogFile;
  auto content = StoreLog::read(log_path);
  if (!content.ok()) return content.error();
  if (!content->warning.empty()) warn(content->warning);
  std::unique_lock lock(mu_);
  const bool have_snapshot = std::filesystem::exists(snapshot, ec);
  if (have_snapshot) {
    if (auto loaded = load_snapshot_locked(snapshot.string()); !loaded.ok()) return loaded;
  }
  for (const auto& payload : content->payloads) {
    if (auto replayed = replay_record_locked(payload, log_path.string()); !replayed.ok()) {
      return replayed;
    }
  }
  // History is not persisted: watches from before the restart get 410 Gone and re-list.
  oldest_rv_ = rv_;
  history_.clear();
  if (!have_snapshot) {
    // A fresh directory: the default namespaces become the first snapshot.
    std::vector<SnapshotEntry> entries;
    for (const auto& [key, entry] : objects_) entries.emplace_back(key, entry.text);
    if (auto written = write_store_snapshot(dir, rv_, entries); !written.ok()) {
      return written.error();
    }
  }
  // Parsing the snapshot and the log left their buffers freed; give the pages back.
  malloc_trim(0);
  auto opened = StoreLog::open(log_path, content->good_bytes);
  if (!opened.ok()) return opened.error();
  log_ = std::move(*opened);
  compactor_ = std::thread([this] { compact_loop(); });
  compact_wanted_ = log_->size() > options_.compact_min_bytes &&
                    log_->size() > options_.compact_factor * live_bytes_;
  compact_cv_.notify_all();
  return {};
}

// The snapshot is one JSON document ({"resourceVersion", "objects": [{"key", "object"}]}), the
// same as the whole state.json earlier versions rewrote on every write, which therefore loads
// as a snapshot with an empty log.
Status LocalStore::load_snapshot_locked(const std::string& path) {
  json state;
  {
    std::ifstream in(path);
    state = json::parse(in, nullptr, /*allow_exceptions=*/false);
  }
  if (state.is_discarded() || !state.is_object() ||
      !state.value("objects", json::array()).is_array()) {
    return Error{"load " + path, 0, "", "not valid JSON; move it away to start fresh"};
  }
  objects_.clear();
  live_bytes_ = 0;
  for (auto& entry : state["objects"]) {
    if (!entry.is_object() || !entry.contains("key") || !entry["key"].is_string() ||
        !entry.contains("object") || !entry["object"].is_object()) {
      return Error{"load " + path, 0, "", "an entry lacks its key or object; move it away"};
    }
    const auto key = entry["key"].get<std::string>();
    if (entry["object"].value("kind", "") == "CustomResourceDefinition") {
      register_crd_locked(entry["object"]);
    }
    set_entry_locked(key, std::move(entry["object"]));
  }
  rv_ = state.value("resourceVersion", std::int64_t{0});
  return {};
}

Status LocalStore::replay_record_locked(const std::string& payload, const std::string& path) {
  auto record = json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (record.is_discarded() || !record.is_object() || !record.contains("rv") ||
      !record["rv"].is_number_integer() || !record.value("ops", json()).is_array()) {
    return Error{"load " + path, 0, "", "a record with a good checksum is not a store record"};
  }
  const auto rv = record["rv"].get<std::int64_t>();
  if (rv <= rv_) return {};  // already in the snapshot
  for (auto& op : record["ops"]) {
    const auto type = op.value("type", "");
    const auto key = op.value("key", "");
    if (type == "DELETED") {
      const auto it = objects_.find(key);
      if (it == objects_.end()) continue;
      const auto object = it->second.object;
      live_bytes_ -= it->second.text ? it->second.text->size() : 0;
      objects_.erase(it);
      if (object->value("kind", "") == "CustomResourceDefinition") unregister_crd_locked(*object);
      continue;
    }
    if (!op.contains("object") || !op["object"].is_object()) {
      return Error{"load " + path, 0, "", "record " + std::to_string(rv) + " lacks an object"};
    }
    if (op["object"].value("kind", "") == "CustomResourceDefinition") {
      register_crd_locked(op["object"]);
    }
    set_entry_locked(key, std::move(op["object"]));
  }
  rv_ = rv;
  return {};
}

// Ends a write: the changes recorded since the last one become one log record (the writer thread
// syncs it; durably() waits for that), and a compaction is asked for when the log is too long.
void LocalStore::persist_locked() {
  if (!log_ || pending_ops_.empty()) return;
  std::string payload = "{\"rv\":" + std::to_string(rv_) + ",\"ops\":[";
  payload += pending_ops_;
  payload += "]}";
  pending_ops_.clear();
  log_->append(payload);
  const auto size = log_->size();
  if (!compact_wanted_ && size > options_.compact_min_bytes && size > compact_retry_at_ &&
      size > options_.compact_factor * live_bytes_) {
    compact_wanted_ = true;
    compact_cv_.notify_all();
  }
}

// Snapshot then drop: the state and the log's length are taken together under the lock (every
// record before that length is in the snapshot), the file is written without it, and only then
// are the covered records dropped. A crash in between leaves a snapshot and a log whose older
// records replay as no-ops.
void LocalStore::compact_loop() {
  const auto dir = std::filesystem::path(options_.data_dir);
  std::unique_lock lock(mu_);
  while (true) {
    compact_cv_.wait(lock, [&] { return compact_stop_ || compact_wanted_; });
    if (compact_stop_) return;
    std::vector<SnapshotEntry> entries;
    entries.reserve(objects_.size());
    for (const auto& [key, entry] : objects_) entries.emplace_back(key, entry.text);
    const auto rv = rv_;
    const auto offset = log_->size();
    lock.unlock();
    auto written = write_store_snapshot(dir, rv, entries);
    entries.clear();
    Status dropped;
    if (written.ok()) dropped = log_->drop_before(offset);
    if (!written.ok()) warn("compaction: " + written.error().to_string());
    if (!dropped.ok()) warn("compaction: " + dropped.error().to_string());
    // Give freed pages back: the snapshot's buffers and the objects replaced since the last one
    // leave holes glibc keeps otherwise (docs/performance.md).
    malloc_trim(0);
    lock.lock();
    if (written.ok() && dropped.ok()) {
      ++compactions_;
      compact_retry_at_ = 0;
    } else {
      // Not at every write (each would write a whole snapshot again): once the log has grown
      // by another compact_min_bytes.
      compact_retry_at_ = log_->size() + options_.compact_min_bytes;
    }
    compact_wanted_ = false;
  }
}

}  // namespace kopiur::localkube::detail
