#include "kopiur/kube/events.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <random>

namespace kopiur::kube {
namespace {

std::string random_suffix() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

}  // namespace

std::string micro_time_now() {
  const auto now = std::chrono::system_clock::now();
  const auto seconds = std::chrono::system_clock::to_time_t(now);
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() %
      1000000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[40];
  const auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%06lldZ", static_cast<long long>(micros));
  return buf;
}

std::string time_now() {
  const auto seconds = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

ObjectReference ObjectReference::from(const nlohmann::json& object) {
  const auto meta = object.value("metadata", nlohmann::json::object());
  return {object.value("apiVersion", ""), object.value("kind", ""), meta.value("namespace", ""),
          meta.value("name", ""), meta.value("uid", "")};
}

EventRecorder::EventRecorder(Client client, std::string reporting_controller,
                             std::string reporting_instance)
    : client_(std::move(client)),
      controller_(std::move(reporting_controller)),
      instance_(std::move(reporting_instance)) {}

Status EventRecorder::publish(const ObjectReference& regarding, EventType type,
                              const std::string& reason, const std::string& action,
                              const std::string& note) {
  const std::string type_name = type == EventType::kWarning ? "Warning" : "Normal";
  const std::string trimmed_note = note.substr(0, 1024);
  const std::string key = regarding.uid + "|" + regarding.kind + "|" + regarding.namespace_ + "|" +
                          regarding.name + "|" + type_name + "|" + reason + "|" + action + "|" +
                          trimmed_note;
  std::lock_guard lock(mu_);
  if (const auto it = tracked_.find(key); it != tracked_.end()) {
    const auto count = it->second.count + 1;
    const nlohmann::json patch = {{"count", count}, {"lastTimestamp", time_now()}};
    auto patched = client_.patch(resources::kCoreEvents, it->second.namespace_, it->second.name,
                                 patch, PatchType::kMerge);
    if (patched.ok()) {
      it->second.count = count;
      return {};
    }
    if (!patched.error().is_not_found()) return patched.error();
    tracked_.erase(it);  // expired on the server: start a new series below
    order_.erase(std::find(order_.begin(), order_.end(), key));
  }
  const auto ns = regarding.namespace_.empty() ? std::string("default") : regarding.namespace_;
  const auto name =
      (regarding.name.empty() ? std::string("event") : regarding.name) + "." + random_suffix();
  nlohmann::json involved = {
      {"apiVersion", regarding.api_version}, {"kind", regarding.kind}, {"name", regarding.name}};
  if (!regarding.namespace_.empty()) involved["namespace"] = regarding.namespace_;
  if (!regarding.uid.empty()) involved["uid"] = regarding.uid;
  const auto now = time_now();
  // The legacy (core/v1) shape client-go's recorder writes: no eventTime, count + timestamps.
  const nlohmann::json event = {{"apiVersion", "v1"},
                                {"kind", "Event"},
                                {"metadata", {{"name", name}, {"namespace", ns}}},
                                {"involvedObject", involved},
                                {"reason", reason},
                                {"message", trimmed_note},
                                {"type", type_name},
                                {"action", action},
                                {"source", {{"component", controller_}}},
                                {"reportingComponent", controller_},
                                {"reportingInstance", instance_},
                                {"count", 1},
                                {"firstTimestamp", now},
                                {"lastTimestamp", now}};
  auto created = client_.create(resources::kCoreEvents, ns, event);
  if (!created.ok()) return created.error();
  tracked_[key] = Tracked{ns, name, 1};
  order_.push_back(key);
  while (order_.size() > kMaxTracked) {
    tracked_.erase(order_.front());
    order_.pop_front();
  }
  return {};
}

}  // namespace kopiur::kube
