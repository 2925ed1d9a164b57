#include "kopiur/kube/watcher.hpp"

#undef KOPIUR_LOG_TARGET
#define KOPIUR_LOG_TARGET "kopiur_kube::watcher"
#include "kopiur/telemetry/log/log.hpp"

namespace kopiur::kube {
namespace {

namespace log = kopiur::telemetry::log;

std::string rv_of(const nlohmann::json& object) {
  if (!object.is_object() || !object.contains("metadata")) return "";
  return object["metadata"].value("resourceVersion", "");
}

}  // namespace

void strip_managed_fields(nlohmann::json& object) {
  if (!object.is_object()) return;
  const auto meta = object.find("metadata");
  if (meta != object.end() && meta->is_object()) meta->erase("managedFields");
}

Watcher::Watcher(Client client, ResourceId resource, WatcherOptions options, EventHandler on_event,
                 ErrorHandler on_error)
    : client_(std::move(client)),
      resource_(std::move(resource)),
      options_(std::move(options)),
      on_event_(std::move(on_event)),
      on_error_(std::move(on_error)) {}

Watcher::~Watcher() { stop(); }

void Watcher::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { run(); });
}

void Watcher::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  cancel_.cancel();
  if (thread_.joinable()) thread_.join();
}

WatcherStats Watcher::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

std::string Watcher::resource_version() const {
  std::lock_guard lock(mu_);
  return resource_version_;
}

bool Watcher::sleep_backoff(std::chrono::milliseconds& backoff) {
  std::unique_lock lock(mu_);
  wake_.wait_for(lock, backoff, [&] { return stopping_; });
  backoff = std::min(backoff * 2, options_.max_backoff);
  return !stopping_;
}

void Watcher::run() {
  auto backoff = options_.initial_backoff;
  std::string rv;
  bool first_watch = true;
  const auto report = [&](const Error& error) {
    {
      std::lock_guard lock(mu_);
      ++stats_.errors;
    }
    KOPIUR_WARN("watch request failed; retrying with backoff",
                log::kv("resource", resource_.path(options_.namespace_)),
                log::kv("step", error.step), log::kv("http_status", error.http_status),
                log::kv("reason", error.reason), log::kv("error", error.message),
                log::kv("backoff_ms", static_cast<std::int64_t>(backoff.count())));
    if (on_error_) on_error_(error);
  };
  while (!cancel_.cancelled()) {
    if (rv.empty()) {
      auto list = client_.list(resource_, options_.namespace_,
                               {options_.label_selector, options_.field_selector});
      if (!list.ok()) {
        report(list.error());
        if (!sleep_backoff(backoff)) return;
        continue;
      }
      WatcherEvent restarted;
      restarted.type = WatcherEvent::Type::kRestarted;
      for (auto& item : (*list)["items"]) {
        if (options_.transform) options_.transform(item);
        restarted.objects.push_back(std::move(item));
      }
      rv = rv_of(*list);
      {
        std::lock_guard lock(mu_);
        ++stats_.lists;
        resource_version_ = rv;
      }
      on_event_(std::move(restarted));
      backoff = options_.initial_backoff;
    }
    if (!first_watch) {
      std::lock_guard lock(mu_);
      ++stats_.reconnects;
    }
    first_watch = false;
    bool gone = false;
    WatchOptions watch_options;
    watch_options.resource_version = rv;
    watch_options.label_selector = options_.label_selector;
    watch_options.field_selector = options_.field_selector;
    watch_options.timeout_seconds = options_.watch_timeout_seconds;
    const auto watch_started = std::chrono::steady_clock::now();
    auto status = client_.watch(
        resource_, options_.namespace_, watch_options,
        [&](WatchEvent&& event) {
          if (event.type == WatchEvent::Type::kError) {
            if (event.object.value("code", 0) == 410) {
              gone = true;
            } else {
              report(Error{"watch " + resource_.path(options_.namespace_),
                           event.object.value("code", 0), event.object.value("reason", ""),
                           event.object.value("message", "")});
            }
            return false;
          }
          const auto event_rv = rv_of(event.object);
          if (!event_rv.empty()) {
            rv = event_rv;
            std::lock_guard lock(mu_);
            resource_version_ = rv;
          }
          backoff = options_.initial_backoff;
          if (event.type == WatchEvent::Type::kBookmark) return true;
          WatcherEvent out;
          out.type = event.type == WatchEvent::Type::kDeleted ? WatcherEvent::Type::kDeleted
                                                              : WatcherEvent::Type::kApplied;
          out.object = std::move(event.object);
          if (options_.transform) options_.transform(out.object);
          on_event_(std::move(out));
          return true;
        },
        &cancel_);
    if (cancel_.cancelled()) return;
    if (!status.ok() && status.error().is_gone()) gone = true;
    if (gone) {
      {
        std::lock_guard lock(mu_);
        ++stats_.gone;
      }
      KOPIUR_INFO("resourceVersion too old (410 Gone); re-listing",
                  log::kv("resource", resource_.path(options_.namespace_)),
                  log::kv("resource_version", rv));
      rv.clear();  // re-list: the history we would resume from is gone
      continue;
    }
    if (!status.ok()) {
      report(status.error());
      if (!sleep_backoff(backoff)) return;
    } else if (std::chrono::steady_clock::now() - watch_started < std::chrono::seconds(1)) {
      // A stream that ends at once (a proxy closing idle streams, say) must not spin.
      if (!sleep_backoff(backoff)) return;
    } else {
      // A stream that lasted ended as streams do: the next one opens at once, and the backoff
      // of earlier short ones is over (else a quiet resource, which resets it by no event, would
      // wait up to max_backoff after every short stream of an unsteady connection).
      backoff = options_.initial_backoff;
    }
  }
}

}  // namespace kopiur::kube
