#define KOPIUR_LOG_TARGET "kopiur_controller::watch"

#include "kopiur/controller/resource_watch.hpp"

#include "kopiur/api/kinds.hpp"
#include "kopiur/telemetry/log/log.hpp"
#include "kopiur/telemetry/log/span.hpp"

namespace kopiur::controller {
namespace {

namespace log = telemetry::log;

std::string string_at(const nlohmann::json& object, const nlohmann::json::json_pointer& at) {
  if (!object.contains(at)) return {};
  const auto& value = object.at(at);
  return value.is_string() ? value.get<std::string>() : std::string();
}

void log_object(const std::string& kind, const char* change, const nlohmann::json& object) {
  static const nlohmann::json::json_pointer kNamespace("/metadata/namespace");
  static const nlohmann::json::json_pointer kName("/metadata/name");
  static const nlohmann::json::json_pointer kPhase("/status/phase");
  const std::string ns = string_at(object, kNamespace);
  const std::string name = string_at(object, kName);
  auto span = KOPIUR_INFO_SPAN("observe", log::kv("kind", kind), log::kv("namespace", ns),
                               log::kv("name", name));
  auto entered = span.enter();
  const std::string phase = string_at(object, kPhase);
  KOPIUR_INFO("observed", log::kv("change", change),
              log::kv("phase", phase.empty() ? std::string("-") : phase));
}

}  // namespace

ResourceWatch::ResourceWatch(kube::Client client, ResourceWatchOptions options) {
  for (const auto& info : api::kinds()) {
    kube::WatcherOptions watcher_options;
    if (info.namespaced()) watcher_options.namespace_ = options.namespace_;
    const std::string kind = info.kind;
    auto reflector = std::make_unique<kube::Reflector>(
        client, kube::resource_for(kind), watcher_options, [kind](const kube::Error& error) {
          KOPIUR_WARN("watch failed; retrying with backoff", log::kv("kind", kind),
                      log::kv("error", error.to_string()));
        });
    kube::Store store = reflector->store();
    watched_.push_back({kind, std::move(reflector), std::move(store)});
  }
  for (auto& w : watched_) {
    w.reflector->set_on_change(
        [this, kind = w.kind](const kube::WatcherEvent& event) { on_change(kind, event); });
  }
}

ResourceWatch::~ResourceWatch() { stop(); }

void ResourceWatch::set_on_ready(std::function<void()> on_ready) {
  on_ready_ = std::move(on_ready);
}

void ResourceWatch::start() {
  KOPIUR_INFO("watching kopiur resources",
              log::kv("kinds", static_cast<std::int64_t>(watched_.size())));
  for (auto& w : watched_) w.reflector->start();
}

void ResourceWatch::stop() {
  for (auto& w : watched_) w.reflector->stop();
}

bool ResourceWatch::ready() const {
  for (const auto& w : watched_) {
    if (!w.store.ready()) return false;
  }
  return true;
}

std::string ResourceWatch::not_ready_reason() const {
  std::string waiting;
  for (const auto& w : watched_) {
    if (w.store.ready()) continue;
    waiting += waiting.empty() ? w.kind : ", " + w.kind;
  }
  return waiting.empty() ? std::string() : "waiting for the first list of " + waiting;
}

const kube::Store* ResourceWatch::store(const std::string& kind) const {
  for (const auto& w : watched_) {
    if (w.kind == kind) return &w.store;
  }
  return nullptr;
}

void ResourceWatch::on_change(const std::string& kind, const kube::WatcherEvent& event) {
  switch (event.type) {
    case kube::WatcherEvent::Type::kRestarted:
      KOPIUR_INFO("listed", log::kv("kind", kind),
                  log::kv("objects", static_cast<std::int64_t>(event.objects.size())));
      for (const auto& object : event.objects) log_object(kind, "listed", object);
      break;
    case kube::WatcherEvent::Type::kApplied:
      log_object(kind, "applied", event.object);
      break;
    case kube::WatcherEvent::Type::kDeleted:
      log_object(kind, "deleted", event.object);
      break;
  }
  if (ready() && !ready_announced_.exchange(true)) {
    KOPIUR_INFO("every kind listed; ready");
    if (on_ready_) on_ready_();
  }
}

}  // namespace kopiur::controller
