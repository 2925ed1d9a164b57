#undef KOPIUR_LOG_TARGET
#define KOPIUR_LOG_TARGET "kopiur_controller::runtime"

#include "kopiur/controller/runtime.hpp"

#include <exception>
#include <functional>
#include <map>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "kopiur/telemetry/log/log.hpp"

#include "controller/runtime/runtime_metric.hpp"

namespace kopiur::controller {
namespace {

namespace log = telemetry::log;
using nlohmann::json;

std::string meta_string(const json& object, const char* field) {
  const auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return {};
  const auto it = meta->find(field);
  return it != meta->end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string phase_of(const json& status) {
  if (!status.is_object()) return {};
  const auto it = status.find("phase");
  return it != status.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// What triggers a reconcile: everything but the status and the bookkeeping metadata, so the
// reconcile's own status writes do not requeue it.
std::size_t spec_fingerprint(const json& object) {
  json copy = object;
  copy.erase("status");
  if (auto meta = copy.find("metadata"); meta != copy.end() && meta->is_object()) {
    meta->erase("resourceVersion");
    meta->erase("managedFields");
  }
  return std::hash<std::string>{}(copy.dump());
}

void release_free_memory() {
#if defined(__GLIBC__)
  (void)malloc_trim(0);
#endif
}

Clock::duration::rep ticks(Clock::time_point t) { return t.time_since_epoch().count(); }
Clock::time_point from_ticks(Clock::duration::rep r) {
  return Clock::time_point(Clock::duration(r));
}

}  // namespace

std::optional<ObjectRef> ObjectRef::parse(const std::string& key) {
  const auto first = key.find('/');
  if (first == std::string::npos) return std::nullopt;
  const auto second = key.find('/', first + 1);
  if (second == std::string::npos) return std::nullopt;
  return ObjectRef{key.substr(0, first), key.substr(first + 1, second - first - 1),
                   key.substr(second + 1)};
}

RelatedWatch owned_by(std::string owner_kind, bool owner_namespaced, kube::ResourceId resource,
                      std::string label_selector) {
  RelatedWatch watch;
  watch.resource = std::move(resource);
  watch.label_selector = std::move(label_selector);
  watch.owners = [owner_kind = std::move(owner_kind), owner_namespaced](const json& object) {
    std::vector<std::pair<std::string, std::string>> owners;
    const auto meta = object.value("metadata", json::object());
    for (const auto& ref : meta.value("ownerReferences", json::array())) {
      if (!ref.is_object() || ref.value("kind", "") != owner_kind) continue;
      owners.emplace_back(owner_namespaced ? meta.value("namespace", "") : std::string(),
                          ref.value("name", ""));
    }
    return owners;
  };
  return watch;
}

Runtime::Runtime(kube::Client client, telemetry::metrics::Meter meter, RuntimeOptions options)
    : client_(std::move(client)),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : &steady_),
      metrics_(meter),
      retries_([&meter] {
        const auto& d = detail::runtime_metric("kopiur_controller_workqueue_retries");
        return meter.create_counter_u64(d.instrument_name, d.unit, d.description);
      }()),
      depth_probe_(std::make_shared<DepthProbe>()),
      phases_(metrics_.resource_phase, *clock_, options_.phase_grace),
      backoff_(options_.backoff),
      queue_(*clock_),
      leading_(options_.leading),
      last_progress_(ticks(clock_->now())),
      last_api_reply_(ticks(clock_->now())) {
  if (options_.workers == 0) options_.workers = 1;
  queue_.set_paused(true);  // until every cache has listed (housekeeping opens the gate)
  depth_probe_->queue = &queue_;
  const auto& depth = detail::runtime_metric("kopiur_controller_workqueue_depth");
  meter.create_observable_gauge_i64(
      depth.instrument_name, depth.unit, depth.description,
      [probe = depth_probe_](telemetry::metrics::ObservableResult& result) {
        std::lock_guard lock(probe->mu);
        if (probe->queue == nullptr) return;
        std::map<std::string, std::int64_t> by_kind;
        probe->queue->for_each_ready(
            [&](const std::string& key) { by_kind[key.substr(0, key.find('/'))] += 1; });
        for (const auto& [kind, n] : by_kind) result.observe(n, {{"kind", kind}});
      });
}

Runtime::~Runtime() {
  stop();
  std::lock_guard lock(depth_probe_->mu);
  depth_probe_->queue = nullptr;
}

void Runtime::add_kind(KindRegistration registration) {
  auto kind = std::make_unique<Kind>();
  kind->registration = std::move(registration);
  Kind* raw = kind.get();
  kind->cache = std::make_unique<ObjectCache>(
      client_, raw->registration.resource, options_.namespaces, "",
      [this, raw](const std::string& ns, const kube::WatcherEvent& event) {
        on_primary(*raw, ns, event);
      });
  kinds_.push_back(std::move(kind));
}

// A related watch of a resource that is itself a registered kind follows that kind's cache
// instead of opening a second watch: its events arrive after that cache holds the change, so a
// flow requeued by a Backup's change reads the same Backup from cache("Backup"), never an older
// one. Other resources (Jobs, Secrets) get a cache of their own.
void Runtime::wire_related() {
  auto same = [](const kube::ResourceId& a, const kube::ResourceId& b) {
    return a.group == b.group && a.version == b.version && a.plural == b.plural;
  };
  for (auto& kind : kinds_) {
    Kind* raw = kind.get();
    for (const auto& watch : raw->registration.related) {
      Kind* source = nullptr;
      for (auto& other : kinds_) {
        if (same(other->registration.resource, watch.resource)) source = other.get();
      }
      if (source != nullptr) {
        source->followers.push_back({raw, &watch});
        continue;
      }
      raw->related.push_back(std::make_unique<ObjectCache>(
          client_, watch.resource, options_.namespaces, watch.label_selector,
          [this, raw, &watch](const std::string& /*ns*/, const kube::WatcherEvent& event) {
            on_related(*raw, watch, event);
          }));
    }
  }
}

void Runtime::start() {
  {
    std::lock_guard lock(stop_mu_);
    if (started_) return;
    started_ = true;
  }
  KOPIUR_INFO("controller runtime starting",
              log::kv("kinds", static_cast<std::int64_t>(kinds_.size())),
              log::kv("workers", static_cast<std::int64_t>(options_.workers)),
              log::kv("leading", leading_.load()));
  wire_related();
  for (auto& kind : kinds_) {
    kind->cache->start();
    for (auto& related : kind->related) related->start();
  }
  for (std::size_t i = 0; i < options_.workers; ++i) threads_.emplace_back([this] { worker(); });
  threads_.emplace_back([this] { housekeeping(); });
}

void Runtime::stop() {
  {
    std::lock_guard lock(stop_mu_);
    if (!started_ || stopping_) return;
    stopping_ = true;
  }
  stop_cv_.notify_all();
  queue_.shutdown();
  for (auto& kind : kinds_) {
    kind->cache->stop();
    for (auto& related : kind->related) related->stop();
  }
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void Runtime::set_leading(bool leading) {
  if (leading_.exchange(leading) == leading) return;
  KOPIUR_INFO(leading ? "leading: reconciling" : "not leading: reconciling stopped");
  if (leading) {
    // Another leader may have moved things on meanwhile (status-only changes queue nothing, and
    // its requeue timers were its own): a new leader reconciles every cached object once.
    for (const auto& kind : kinds_) {
      for (const auto& object : kind->cache->list()) {
        queue_.add(ObjectRef{kind->registration.kind, meta_string(*object, "namespace"),
                             meta_string(*object, "name")}
                       .key());
      }
    }
  }
  update_gate();
  touch_progress();
}

void Runtime::update_gate() {
  std::lock_guard lock(gate_mu_);
  queue_.set_paused(!leading_.load() || !caches_listed_);
}

bool Runtime::synced() const { return not_synced_reason().empty(); }

std::string Runtime::not_synced_reason() const {
  std::string waiting;
  for (const auto& kind : kinds_) {
    if (!kind->cache->ready()) waiting += (waiting.empty() ? "" : ", ") + kind->registration.kind;
    for (const auto& related : kind->related) {
      if (!related->ready()) {
        waiting += (waiting.empty() ? "" : ", ") + related->resource().plural + " (for " +
                   kind->registration.kind + ")";
      }
    }
  }
  return waiting.empty() ? std::string() : "waiting for the first list of " + waiting;
}

const ObjectCache* Runtime::cache(const std::string& kind) const {
  const Kind* k = find(kind);
  return k == nullptr ? nullptr : k->cache.get();
}

void Runtime::enqueue(const ObjectRef& object) { queue_.add(object.key()); }

Runtime::Progress Runtime::progress() const {
  return {queue_.counts(), from_ticks(last_progress_.load()), from_ticks(last_api_reply_.load()),
          reconciles_.load()};
}

Runtime::Kind* Runtime::find(const std::string& kind) const {
  for (const auto& k : kinds_) {
    if (k->registration.kind == kind) return k.get();
  }
  return nullptr;
}

void Runtime::touch_progress() { last_progress_.store(ticks(clock_->now())); }

void Runtime::on_primary(Kind& kind, const std::string& watched_namespace,
                         const kube::WatcherEvent& event) {
  switch (event.type) {
    case kube::WatcherEvent::Type::kRestarted: {
      // Objects of this watch's namespace that the re-list no longer has were deleted meanwhile.
      const std::string prefix = watched_namespace.empty() ? "" : watched_namespace + "/";
      std::vector<std::string> gone;
      {
        std::lock_guard lock(kind.fingerprint_mu);
        std::unordered_map<std::string, bool> present;
        for (const auto& object : event.objects) present[kube::object_key(object)] = true;
        for (const auto& [key, hash] : kind.fingerprints) {
          if (key.rfind(prefix, 0) == 0 && present.count(key) == 0) gone.push_back(key);
        }
      }
      for (const auto& key : gone) {
        const auto slash = key.find('/');
        json stub = {{"metadata", slash == std::string::npos
                                      ? json{{"name", key}}
                                      : json{{"namespace", key.substr(0, slash)},
                                             {"name", key.substr(slash + 1)}}}};
        on_deleted(kind, stub);
      }
      for (const auto& object : event.objects) on_applied(kind, object);
      break;
    }
    case kube::WatcherEvent::Type::kApplied:
      on_applied(kind, event.object);
      break;
    case kube::WatcherEvent::Type::kDeleted:
      on_deleted(kind, event.object);
      break;
  }
  for (const auto& [follower, watch] : kind.followers) on_related(*follower, *watch, event);
}

void Runtime::on_applied(Kind& kind, const json& object) {
  const std::string ns = meta_string(object, "namespace");
  const std::string name = meta_string(object, "name");
  const auto& reg = kind.registration;
  if (!reg.phases.empty()) {
    phases_.set(reg.kind, ns, name, reg.phases, phase_of(object.value("status", json())));
  }
  const std::size_t fingerprint = spec_fingerprint(object);
  {
    std::lock_guard lock(kind.fingerprint_mu);
    auto [it, inserted] = kind.fingerprints.try_emplace(kube::object_key(object), fingerprint);
    if (!inserted && it->second == fingerprint) return;  // a status write: nothing to do
    it->second = fingerprint;
  }
  queue_.add(ObjectRef{reg.kind, ns, name}.key());
}

void Runtime::on_deleted(Kind& kind, const json& object) {
  const std::string ns = meta_string(object, "namespace");
  const std::string name = meta_string(object, "name");
  {
    std::lock_guard lock(kind.fingerprint_mu);
    kind.fingerprints.erase(kube::object_key(object));
  }
  const auto& reg = kind.registration;
  if (!reg.phases.empty()) phases_.deleted(reg.kind, ns, name);
  backoff_.forget(ObjectRef{reg.kind, ns, name}.key());
}

void Runtime::on_related(Kind& kind, const RelatedWatch& watch, const kube::WatcherEvent& event) {
  auto requeue = [&](const json& object) {
    for (const auto& [ns, name] : watch.owners(object)) {
      queue_.add(ObjectRef{kind.registration.kind, ns, name}.key());
    }
  };
  if (event.type == kube::WatcherEvent::Type::kRestarted) {
    for (const auto& object : event.objects) requeue(object);
  } else {
    requeue(event.object);
  }
}

void Runtime::worker() {
  while (auto key = queue_.get()) {
    touch_progress();
    reconcile(*key);
    queue_.done(*key);
    touch_progress();
  }
}

void Runtime::housekeeping() {
  auto next_probe = clock_->now();
  bool trimmed = false;
  std::unique_lock lock(stop_mu_);
  while (!stopping_) {
    lock.unlock();
    phases_.sweep();
    if (!caches_listed_.load() && synced()) {
      // Flows read other kinds' caches: no reconcile runs before every cache has listed, or a
      // BackupSchedule could find its BackupConfig "missing" only because its cache is empty.
      {
        std::lock_guard gate(gate_mu_);
        caches_listed_.store(true);
      }
      update_gate();
      KOPIUR_INFO("caches synced: reconciling");
    }
    if (!trimmed && synced()) {
      // The first lists parse every object and copy it into the caches; the allocator keeps the
      // freed list buffers. Give them back once, so the resident size is the caches' own.
      trimmed = true;
      release_free_memory();
    }
    if (clock_->now() >= next_probe) {
      // A cheap request: the API server answering at all is what readiness wants to know.
      auto version = client_.request("GET", "/version", nullptr, "");
      if (version.ok()) last_api_reply_.store(ticks(clock_->now()));
      next_probe = clock_->now() + options_.api_probe_interval;
    }
    lock.lock();
    const Clock::duration tick = caches_listed_.load()
                                     ? Clock::duration(std::chrono::seconds(1))
                                     : Clock::duration(std::chrono::milliseconds(10));
    stop_cv_.wait_for(lock, std::min<Clock::duration>(clock_->real_wait(next_probe), tick));
  }
}

void Runtime::reconcile(const std::string& key) {
  const auto ref = ObjectRef::parse(key);
  Kind* kind = ref ? find(ref->kind) : nullptr;
  if (kind == nullptr) return;
  auto object = kind->cache->get(ref->namespace_, ref->name);
  if (object == nullptr) {  // deleted meanwhile: nothing to reconcile
    backoff_.forget(key);
    return;
  }
  const auto& reg = kind->registration;
  auto span = KOPIUR_INFO_SPAN("reconcile", log::kv("kind", reg.kind),
                               log::kv("namespace", ref->namespace_), log::kv("name", ref->name));
  auto entered = span.enter();
  ReconcileContext context(reg.kind, object, span);
  const auto started = std::chrono::steady_clock::now();
  ReconcileResult result = Action::done();
  try {
    result = reg.reconcile(context);
  } catch (const std::exception& e) {
    result = ReconcileError::structural(
        "ReconcilePanicked", std::string("the reconcile failed unexpectedly: ") + e.what() +
                                 ". This is a bug in kopiur-controller; report it with this "
                                 "message and the object's YAML.");
  }
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  metrics_.controller_reconciliations.add(1, {{"kind", reg.kind}});
  metrics_.controller_reconcile_duration_seconds.record(took.count(), {{"kind", reg.kind}});
  reconciles_.fetch_add(1);
  if (!reg.phases.empty()) {
    const json& status =
        context.reported_status() ? *context.reported_status() : object->value("status", json());
    if (kind->cache->get(ref->namespace_, ref->name) != nullptr) {  // not deleted meanwhile
      phases_.set(reg.kind, ref->namespace_, ref->name, reg.phases, phase_of(status));
    }
  }
  if (const auto* error = std::get_if<ReconcileError>(&result)) {
    span.record_error(error->reason + ": " + error->note);
    after_error(*kind, *ref, *object, *error);
    return;
  }
  backoff_.forget(key);
  const auto& action = std::get<Action>(result);
  if (action.requeue) queue_.add_after(key, *action.requeue);
  KOPIUR_DEBUG(
      "reconciled",
      log::kv(
          "requeue_after_ms",
          static_cast<std::int64_t>(
              action.requeue
                  ? std::chrono::duration_cast<std::chrono::milliseconds>(*action.requeue).count()
                  : -1)));
}

void Runtime::after_error(Kind& kind, const ObjectRef& ref, const json& object,
                          const ReconcileError& error) {
  const char* error_class = error_class_name(error.error_class);
  metrics_.controller_reconcile_errors.add(1, {{"kind", ref.kind}, {"class", error_class}});
  const auto delay = backoff_.next(ref.key(), error.error_class);
  retries_.add(1, {{"kind", ref.kind}});
  queue_.add_after(ref.key(), delay);
  KOPIUR_WARN("reconcile failed", log::kv("class", error_class), log::kv("reason", error.reason),
              log::kv("error", error.note),
              log::kv("retry_in_ms", static_cast<std::int64_t>(delay.count())));
  if (options_.events == nullptr) return;
  auto reference = kube::ObjectReference::from(object);
  if (reference.kind.empty()) reference.kind = kind.registration.kind;
  if (reference.api_version.empty())
    reference.api_version = kind.registration.resource.api_version();
  if (auto published = options_.events->publish(reference, kube::EventType::kWarning, error.reason,
                                                "Reconcile", error.note);
      !published.ok()) {
    KOPIUR_WARN("cannot publish the Warning Event",
                log::kv("error", published.error().to_string()));
  }
}

}  // namespace kopiur::controller
