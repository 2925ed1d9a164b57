// The Repository / ClusterRepository flow (docs/controller.md, "Repository flow"): the spec is
// checked, a mover `connect` Job proves the password (creating the repository when allowed), and
// a Ready repository reports whether a Maintenance covers it and keeps its catalog current
// (repository_catalog.cpp). Everything needed to resume after a restart is in the status and in
// the Jobs: a connect Job is named after the generation and the password Secret's version, so a
// failed one (kept for its logs) stops retries until the spec or the Secret changes.
#undef KOPIUR_LOG_TARGET
#define KOPIUR_LOG_TARGET "kopiur_controller::reconcile"

#include <set>

#include "kopiur/api/objects.hpp"
#include "kopiur/controller/config.hpp"
#include "kopiur/controller/flow_support.hpp"
#include "kopiur/controller/flows.hpp"
#include "kopiur/controller/mover_runs.hpp"
#include "kopiur/controller/repository_access.hpp"
#include "kopiur/telemetry/context.hpp"
#include "kopiur/telemetry/log/log.hpp"

#include "repository_flow.hpp"

namespace kopiur::controller {

namespace log = telemetry::log;
using nlohmann::json;

namespace repository_flow {

MoverJobRequest mover_request(const Subject& subject, const RepositoryAccess& access,
                              const std::string& operation, const std::string& job) {
  MoverJobRequest r;
  r.operation = operation;
  r.job_name = job;
  json meta = {{"name", subject.name},
               {"uid", subject.object.value("metadata", json::object()).value("uid", "")}};
  json object = {{"kind", subject.kind}, {"name", subject.name}};
  if (!subject.namespace_.empty()) {
    meta["namespace"] = subject.namespace_;
    object["namespace"] = subject.namespace_;
  }
  r.owner = {
      {"apiVersion", std::string(api::kApiVersion)}, {"kind", subject.kind}, {"metadata", meta}};
  r.job_namespace = subject.job_namespace;
  json repository = access.work_spec_repository;
  if (operation != "connect") repository["create"] = false;  // only connect may create it
  r.work_spec = {{"operation", operation}, {"repository", repository}, {"object", object}};
  r.secret_files = access.secret_files;
  r.traceparent = telemetry::current_traceparent();
  r.volumes = access.volumes;
  r.volume_mounts = access.volume_mounts;
  return r;
}

std::variant<bool, ReconcileError> leftover_pods(const FlowEnv& env, const std::string& ns,
                                                 const std::string& job) {
  auto pods = env.client.list(kube::resources::kPods, ns,
                              {.label_selector = "kopiur.io/job=" + job, .field_selector = ""});
  if (!pods.ok()) {
    return ReconcileError::from_api(pods.error(), "JobListFailed",
                                    "cannot list the pods of Job " + ns + "/" + job,
                                    "check the controller's RBAC (list pods)");
  }
  return !pods->value("items", json::array()).empty();
}

std::variant<json, ReconcileError> jobs_of(const FlowEnv& env, const Subject& subject,
                                           const std::string& operation) {
  const std::string selector = "kopiur.io/kind=" + subject.kind +
                               ",kopiur.io/name=" + subject.name +
                               ",kopiur.io/operation=" + operation;
  auto jobs = env.client.list(kube::resources::kJobs, subject.job_namespace,
                              {.label_selector = selector, .field_selector = ""});
  if (!jobs.ok()) {
    return ReconcileError::from_api(jobs.error(), "JobListFailed",
                                    "cannot list the " + operation + " Jobs of " + subject.what,
                                    "check the controller's RBAC (list jobs)");
  }
  return jobs->value("items", json::array());
}

bool names_subject(const json& ref, const std::string& from_namespace, const Subject& subject) {
  if (!ref.is_object()) return false;
  const auto text = [&ref](const char* key, const std::string& fallback) {
    const auto it = ref.find(key);
    return it != ref.end() && it->is_string() ? it->get<std::string>() : fallback;
  };
  if (text("kind", "Repository") != subject.kind || text("name", "") != subject.name) return false;
  return subject.cluster() || text("namespace", from_namespace) == subject.namespace_;
}

}  // namespace repository_flow

namespace flows {

namespace {

using namespace repository_flow;

constexpr const char* kConnected = "Connected";
constexpr const char* kReady = "Ready";
constexpr const char* kSuspended = "Suspended";
constexpr const char* kMaintenanceConfigured = "MaintenanceConfigured";

struct Settings {
  bool suspend = false;
  bool catalog = true;
  std::chrono::milliseconds interval{0};
};

Subject subject_of(const FlowEnv& env, const ReconcileContext& context) {
  Subject s;
  s.kind = context.kind();
  s.object = context.object();
  s.name = name_of(s.object);
  s.namespace_ = s.cluster() ? "" : namespace_of(s.object);
  s.job_namespace = s.cluster() ? env.system_namespace : s.namespace_;
  s.what = s.kind + " " + (s.namespace_.empty() ? "" : s.namespace_ + "/") + s.name;
  return s;
}

// The spec through the API types (what the webhook checks), plus the catalog interval.
std::variant<Settings, ReconcileError> read_spec(const FlowEnv& env, const Subject& s) {
  json object = s.object;
  object["apiVersion"] = std::string(api::kApiVersion);
  object["kind"] = s.kind;
  object.erase("status");  // the status is ours; only the spec can be wrong
  api::Repository repository;
  api::ClusterRepository cluster;
  const auto errors =
      s.cluster() ? api::read_object(object, cluster) : api::read_object(object, repository);
  if (!errors.empty()) return spec_error(s.kind, errors);
  const api::RepositorySpec& spec =
      s.cluster() ? static_cast<const api::RepositorySpec&>(cluster.spec) : repository.spec;
  Settings out;
  out.suspend = spec.suspend.value_or(false);
  out.catalog = !spec.catalog || spec.catalog->enabled.value_or(true);
  out.interval = std::chrono::duration_cast<std::chrono::milliseconds>(env.catalog_interval);
  if (spec.catalog && spec.catalog->refresh_interval) {
    const auto& text = *spec.catalog->refresh_interval;
    const auto parsed = parse_duration(text);
    if (!parsed || parsed->count() <= 0) {
      return ReconcileError::structural(
          "InvalidSpec", s.what +
                             ": spec.catalog.refreshInterval: expected a positive duration "
                             "such as 90s, 30m or 1h, got \"" +
                             text + "\"; fix the spec");
    }
    out.interval = *parsed;
  }
  return out;
}

// Namespaces spec.allowedNamespaces admits: "*" counts the cluster's namespaces (nullopt when
// they cannot be listed).
std::optional<std::int64_t> allowed_namespace_count(const FlowEnv& env, const json& object) {
  std::set<std::string> names;
  bool all = false;
  for (const auto& n :
       object.value("spec", json::object()).value("allowedNamespaces", json::array())) {
    if (!n.is_string()) continue;
    if (n == "*")
      all = true;
    else
      names.insert(n.get<std::string>());
  }
  if (!all) return static_cast<std::int64_t>(names.size());
  auto listed = env.client.list(kube::resources::kNamespaces, "");
  if (!listed.ok()) return std::nullopt;
  return static_cast<std::int64_t>(listed->value("items", json::array()).size());
}

const json* find_condition(const json& status, const std::string& type) {
  const auto list = status.find("conditions");
  if (list == status.end() || !list->is_array()) return nullptr;
  for (const auto& c : *list) {
    if (c.is_object() && c.value("type", "") == type) return &c;
  }
  return nullptr;
}

bool connected_for(const json& status, std::int64_t generation) {
  const json* c = find_condition(status, kConnected);
  return c != nullptr && c->value("status", "") == "True" &&
         c->value("observedGeneration", std::int64_t{-1}) == generation;
}

// The password Secret's resourceVersion: part of the connect Job's name, so fixing the Secret
// retries a connect that failed for good ("" when it cannot be read; access checked it).
std::string secret_version(const FlowEnv& env, const Subject& s) {
  const auto ref = s.object.value("spec", json::object())
                       .value("encryption", json::object())
                       .value("passwordSecretRef", json::object());
  auto secret = env.client.get(kube::resources::kSecrets, s.job_namespace, ref.value("name", ""));
  if (!secret.ok()) return "";
  return secret->value("metadata", json::object()).value("resourceVersion", "");
}

// Held by every repository so its deletion passes through the flow, which drops its series.
constexpr const char* kMetricsFinalizer = "kopiur.io/repository-metrics";

// A deleted repository's per-resource series leave the exposition (kopiur_resource_phase is the
// runtime's: zeroed at once, dropped after its grace period).
void forget_gauges(const FlowEnv& env, const Subject& s) {
  auto& m = env.metrics();
  m.repo_snapshot_count.remove_matching({{"namespace", s.namespace_}, {"name", s.name}});
  m.repo_size_bytes.remove_matching({{"namespace", s.namespace_}, {"name", s.name}});
  m.repo_discovered_backups.remove_matching({{"namespace", s.namespace_}, {"name", s.name}});
  m.repository_maintenance_configured.remove_matching(
      {{"kind", s.kind}, {"namespace", s.namespace_}, {"name", s.name}});
}

void record_gauges(const FlowEnv& env, const Subject& s, const json& status) {
  const auto catalog = status.value("catalog", json::object());
  auto& m = env.metrics();
  const auto set = [&](const telemetry::metrics::Gauge<std::int64_t>& gauge, const char* field) {
    const auto it = catalog.find(field);
    if (it != catalog.end() && it->is_number_integer())
      gauge.set(it->get<std::int64_t>(), {{"namespace", s.namespace_}, {"name", s.name}});
  };
  set(m.repo_snapshot_count, "snapshotCount");
  set(m.repo_size_bytes, "logicalSizeBytes");
  set(m.repo_discovered_backups, "discoveredBackupCount");
}

// The first Maintenance naming the repository ("namespace/name"), "" when none does. Read from
// the API server (Maintenances are few): a Maintenance's change requeues the repository through a
// watch of its own, which can be ahead of the Maintenance cache. The cache when the list fails.
std::string maintained_by(const FlowEnv& env, const Subject& s) {
  const auto find = [&s](const auto& objects, const auto& deref) -> std::string {
    for (const auto& m : objects) {
      const json& o = deref(m);
      const auto ref = o.value("spec", json::object()).value("repository", json());
      if (names_subject(ref, namespace_of(o), s)) return namespace_of(o) + "/" + name_of(o);
    }
    return "";
  };
  auto listed = env.client.list(kube::resource_for("Maintenance"), "");
  if (listed.ok()) {
    return find(listed->value("items", json::array()),
                [](const json& o) -> const json& { return o; });
  }
  const ObjectCache* cache = env.runtime->cache("Maintenance");
  if (cache == nullptr) return "";
  return find(cache->list(), [](const auto& p) -> const json& { return *p; });
}

// kopiur_repository_maintenance_configured and the MaintenanceConfigured condition; a Warning
// Event when the repository becomes (or is first seen) not covered.
void maintenance_step(const FlowEnv& env, const Subject& s, json& status,
                      std::chrono::system_clock::time_point now) {
  const std::string by = maintained_by(env, s);
  const bool configured = !by.empty();
  env.metrics().repository_maintenance_configured.set(
      configured ? 1 : 0, {{"kind", s.kind}, {"namespace", s.namespace_}, {"name", s.name}});
  const std::string before = condition_status(status, kMaintenanceConfigured);
  // A ReadOnly repository is still reported as not maintained (the contract: 0 when no
  // Maintenance references it), but the fix it names is the writer's: kopiur never maintains it.
  const std::string fix =
      read_only(s.object)
          ? "it is ReadOnly (spec.mode), so its maintenance belongs to the Repository that "
            "writes it (create a Maintenance there, or run kopia maintenance where it is written)"
          : "create a Maintenance with spec.repository {kind: " + s.kind + ", name: " + s.name +
                "}";
  if (configured) {
    set_condition(status, kMaintenanceConfigured, true, "MaintenanceFound",
                  "Maintenance " + by + " maintains this repository", now);
    return;
  }
  const std::string message =
      "no Maintenance references " + s.what +
      ": kopia never compacts its indexes or reclaims the space of deleted snapshots; " + fix;
  set_condition(status, kMaintenanceConfigured, false, "MaintenanceNotConfigured", message, now);
  if (before != "False") {
    event(env, s.object, kube::EventType::kWarning, "MaintenanceNotConfigured", "CheckMaintenance",
          message);
  }
}

// A failure before or during connecting: phase Failed with both conditions saying why.
void record_failure(json& status, const std::string& reason, const std::string& message,
                    const std::string& ready_reason, std::chrono::system_clock::time_point now,
                    std::int64_t generation) {
  status["phase"] = "Failed";
  set_condition(status, kConnected, false, reason, message, now, generation);
  set_condition(status, kReady, false, ready_reason, message, now, generation);
}

struct Step {
  std::optional<ReconcileResult> done;  // set: write `status` and return this
};

// The connect Job of this generation and Secret version: start it, wait for it, or read it.
Step connect_step(const FlowEnv& env, const Subject& s, const RepositoryAccess& access,
                  json& status, std::chrono::system_clock::time_point now, std::int64_t gen) {
  const std::string job =
      mover_job_name(s.name, "connect-" + std::to_string(gen) + "-" + secret_version(env, s));
  auto seen = observe_mover(env, s.job_namespace, job);
  if (!seen.ok()) {
    return {ReconcileError::from_api(seen.error(), "JobReadFailed", "cannot read Job " + job,
                                     "check the controller's RBAC (get jobs, list pods)")};
  }
  const auto connecting = [&] {
    status["phase"] = "Initializing";
    const std::string message = "mover Job " + s.job_namespace + "/" + job + " is connecting";
    set_condition(status, kConnected, false, "Connecting", message, now, gen);
    set_condition(status, kReady, false, "Initializing", message, now, gen);
  };
  switch (seen->state) {
    case MoverState::kNotFound: {
      auto leftover = leftover_pods(env, s.job_namespace, job);
      if (auto* error = std::get_if<ReconcileError>(&leftover)) return {*error};
      if (std::get<bool>(leftover)) return {Action::requeue_after(std::chrono::seconds(1))};
      if (auto started = start_mover(env, mover_request(s, access, "connect", job));
          !started.ok()) {
        return {ReconcileError::from_api(started.error(), "JobCreateFailed",
                                         "cannot start the connect Job of " + s.what,
                                         "check the controller's RBAC (create jobs, secrets)")};
      }
      connecting();
      return {Action::done()};  // the Job's changes requeue the repository
    }
    case MoverState::kRunning:
      connecting();
      return {Action::done()};
    case MoverState::kFailed: {
      const std::string cls = mover_error_class(*seen, "MoverFailed");
      // A run that left no result (killed, deadline) may well pass next time.
      const bool retry = seen->retryable || seen->result.is_null();
      const std::string message = "connecting failed: " + seen->failure;
      record_failure(status, cls, message, retry ? "ConnectRetrying" : "ConnectFailed", now, gen);
      if (retry) {
        (void)delete_mover(env, s.job_namespace, job);
        return {
            ReconcileError::transient(cls, s.what + ": " + message + "; retrying with backoff")};
      }
      return {ReconcileError::structural(
          cls, s.what + ": " + message +
                   ". Fix the password Secret or the spec; either change starts a new connect "
                   "Job (Job " +
                   s.job_namespace + "/" + job + " keeps the log)")};
    }
    case MoverState::kSucceeded:
      break;
  }
  const json& repo = result_member(seen->result, "repository");
  const std::string backend = result_string(repo, "storageType");
  status["backend"] = backend.empty() ? std::string("filesystem") : backend;
  status["uniqueId"] = result_string(repo, "uniqueId");
  set_condition(status, kConnected, true, "Connected",
                "connected to the " + status["backend"].get<std::string>() + " repository " +
                    status["uniqueId"].get<std::string>(),
                now, gen);
  // Done with every connect Job (this one and failed ones of earlier generations).
  if (auto jobs = jobs_of(env, s, "connect"); std::holds_alternative<json>(jobs)) {
    for (const auto& j : std::get<json>(jobs)) (void)delete_mover(env, s.job_namespace, name_of(j));
  }
  return {};
}

ReconcileResult write_and_return(const FlowEnv& env, ReconcileContext& context, const Subject& s,
                                 const json& status, ReconcileResult result) {
  // The gauges first: once the status is visible, so are they (a failed write is retried, and
  // the next reconcile records them again).
  record_gauges(env, s, status);
  if (auto error = write_status(env, context, kube::resource_for(s.kind), status)) return *error;
  return result;
}

ReconcileResult reconcile(FlowEnv& env, ReconcileContext& context) {
  const Subject s = subject_of(env, context);
  const auto now = env.now();
  const auto gen = generation_of(s.object);
  const auto resource = kube::resource_for(s.kind);
  if (being_deleted(s.object)) {
    forget_gauges(env, s);
    managed_maintenance_step(env, s, /*deleting=*/true);
    if (auto error = remove_finalizer(env, resource, s.object, kMetricsFinalizer)) return *error;
    return Action::done();
  }
  if (auto error = add_finalizer(env, resource, s.object, kMetricsFinalizer)) return *error;
  json status = s.object.value("status", json::object());
  if (!status.is_object()) status = json::object();
  if (status.value("phase", "").empty()) status["phase"] = "Pending";
  status["observedGeneration"] = gen;
  if (s.cluster()) {
    if (auto n = allowed_namespace_count(env, s.object)) status["allowedNamespaceCount"] = *n;
  }

  auto settings = read_spec(env, s);
  if (auto* error = std::get_if<ReconcileError>(&settings)) {
    status["phase"] = "Failed";
    set_condition(status, kReady, false, error->reason, error->note, now, gen);
    return write_and_return(env, context, s, status, *error);
  }
  const Settings& spec = std::get<Settings>(settings);
  if (spec.suspend) {
    set_condition(status, kSuspended, true, "Suspended",
                  "spec.suspend is true: no connect or catalog Jobs run until it is cleared", now,
                  gen);
    return write_and_return(env, context, s, status, Action::done());
  }
  if (condition_status(status, kSuspended) == "True") {
    set_condition(status, kSuspended, false, "Resumed", "spec.suspend is false", now, gen);
  }

  auto access = access_repository(env, s.object, s.job_namespace);
  if (auto* error = std::get_if<ReconcileError>(&access)) {
    if (error->error_class == ErrorClass::kTransient) return *error;
    record_failure(status, error->reason, error->note, error->reason, now, gen);
    return write_and_return(env, context, s, status, *error);
  }
  const auto& repo = std::get<RepositoryAccess>(access);

  if (!connected_for(status, gen)) {
    auto step = connect_step(env, s, repo, status, now, gen);
    if (step.done) return write_and_return(env, context, s, status, *step.done);
    KOPIUR_INFO("repository connected", log::kv("unique_id", status.value("uniqueId", "")));
    event(env, s.object, kube::EventType::kNormal, "Connected", "Connect",
          "connected to repository " + status.value("uniqueId", std::string()));
  }

  managed_maintenance_step(env, s);
  maintenance_step(env, s, status, now);
  ReconcileResult next = Action::done();
  if (spec.catalog) next = catalog_step(env, s, repo, spec.interval, status);
  const bool degraded = spec.catalog && condition_status(status, kCatalogCondition) == "False";
  status["phase"] = degraded ? "Degraded" : "Ready";
  set_condition(status, kReady, !degraded, degraded ? "CatalogFailed" : "Ready",
                degraded ? "the last catalog scan failed (see the " +
                               std::string(kCatalogCondition) + " condition); retrying with backoff"
                         : s.what + " is connected and usable",
                now, gen);
  return write_and_return(env, context, s, status, std::move(next));
}

}  // namespace

// The flow reads the object from the API server rather than the cache: the event of a Job it
// just deleted can requeue it before the cache holds the status it wrote, and a stale status
// would start a second connect or catalog Job. One GET per reconcile.
ReconcileResult repository(FlowEnv& env, ReconcileContext& context) {
  const json& cached = context.object();
  auto fresh =
      env.client.get(kube::resource_for(context.kind()), namespace_of(cached), name_of(cached));
  if (!fresh.ok()) {
    if (fresh.error().is_not_found()) return Action::done();  // deleted meanwhile
    return ReconcileError::from_api(fresh.error(), "ReadFailed",
                                    "cannot read " + context.kind() + " " + name_of(cached),
                                    "check the controller's RBAC (get)");
  }
  if (!fresh->contains("kind")) (*fresh)["kind"] = context.kind();
  ReconcileContext current(context.kind(), std::make_shared<const json>(std::move(*fresh)),
                           context.span());
  auto result = reconcile(env, current);
  if (current.reported_status()) context.report_status(*current.reported_status());
  return result;
}

}  // namespace flows

}  // namespace kopiur::controller
