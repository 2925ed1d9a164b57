#include "backup_support.hpp"

#include <algorithm>
#include <array>
#include <span>

#include "kopiur/api/objects.hpp"
#include "kopiur/controller/flow_support.hpp"
#include "kopiur/controller/runtime.hpp"

namespace kopiur::controller::backup_detail {

using nlohmann::json;

namespace {

// Replaces the {{ .Namespace }} and {{ .ConfigName }} placeholders of an identity template
// (with or without the spaces inside the braces).
std::string expand(std::string text, const std::string& ns, const std::string& config) {
  const std::pair<const char*, const std::string*> vars[] = {{"{{ .Namespace }}", &ns},
                                                             {"{{.Namespace}}", &ns},
                                                             {"{{ .ConfigName }}", &config},
                                                             {"{{.ConfigName}}", &config}};
  for (const auto& [key, value] : vars) {
    const std::string k(key);
    for (auto at = text.find(k); at != std::string::npos; at = text.find(k, at + value->size())) {
      text.replace(at, k.size(), *value);
    }
  }
  return text;
}

std::string trim_slashes(std::string path) {
  while (!path.empty() && path.back() == '/') path.pop_back();
  return path;
}

}  // namespace

std::variant<ResolvedConfig, ReconcileError> resolve_config(const json& config_object,
                                                            const json& cluster_repository) {
  ResolvedConfig out;
  if (auto errors = api::read_object(config_object, out.config); !errors.empty()) {
    return spec_error("BackupConfig", errors);
  }
  const auto& c = out.config;
  const std::string ns = c.metadata.namespace_;
  out.hostname = ns;
  out.username = c.metadata.name;
  if (cluster_repository.is_object()) {
    const auto defaults =
        cluster_repository.value("spec", json::object()).value("identityDefaults", json::object());
    if (const auto h = defaults.value("hostnameTemplate", std::string()); !h.empty())
      out.hostname = expand(h, ns, c.metadata.name);
    if (const auto u = defaults.value("usernameTemplate", std::string()); !u.empty())
      out.username = expand(u, ns, c.metadata.name);
  }
  if (c.spec.identity) {
    if (c.spec.identity->hostname) out.hostname = *c.spec.identity->hostname;
    if (c.spec.identity->username) out.username = *c.spec.identity->username;
  }
  for (std::size_t i = 0; i < c.spec.sources.size(); ++i) {
    const auto& s = c.spec.sources[i];
    const std::string at = "spec.sources[" + std::to_string(i) + "]";
    if (!s.pvc) {
      const std::string field = s.nfs ? "nfs" : "pvcSelector";
      return ReconcileError::structural(
          "SourceNotSupported", "BackupConfig " + ns + "/" + c.metadata.name + ": " + at + "." +
                                    field +
                                    " is not supported yet by this kopiur version; list the "
                                    "claims one by one with " +
                                    at + ".pvc");
    }
    SourceMount m;
    m.pvc = *s.pvc;
    if (s.path && !s.path->empty()) {
      m.source_path = trim_slashes(*s.path);
      if (m.source_path.empty() || m.source_path.front() != '/') {
        return ReconcileError::structural(
            "InvalidSpec", "BackupConfig " + ns + "/" + c.metadata.name + ": " + at +
                               ".path must be an absolute path, got \"" + *s.path + "\"");
      }
    } else if (s.path_strategy == api::SourcePathStrategy::kPvcNamespacedName) {
      m.source_path = "/pvc/" + ns + "/" + m.pvc;
    } else {
      m.source_path = "/pvc/" + m.pvc;
    }
    out.sources.push_back(std::move(m));
  }
  if (out.sources.empty()) {
    return spec_error("BackupConfig", {{"spec.sources", "must have at least 1 item(s), got 0"}});
  }
  return out;
}

std::optional<std::int64_t> unix_seconds(const json& value) {
  if (!value.is_string()) return std::nullopt;
  const auto t = parse_rfc3339(value.get<std::string>());
  if (!t) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count();
}

namespace {

// Sort key of a finished Backup: its completion time, else its creation time (fractions kept
// so two runs within one second still order).
double finished_at(const json& backup) {
  const auto status = backup.value("status", json::object());
  const auto timing = status.value("timing", json::object());
  for (const json& v :
       {timing.value("completionTime", json()),
        backup.value("metadata", json::object()).value("creationTimestamp", json())}) {
    if (!v.is_string()) continue;
    if (const auto t = parse_rfc3339(v.get<std::string>())) {
      return std::chrono::duration<double>(t->time_since_epoch()).count();
    }
  }
  return 0;
}

}  // namespace

BackupSummary summarize_backups(const std::vector<json>& backups) {
  std::vector<std::pair<double, const json*>> finished;
  for (const auto& b : backups) {
    const std::string phase = phase_of_status(b);
    if (phase == "Succeeded" || phase == "Failed") finished.emplace_back(finished_at(b), &b);
  }
  std::sort(finished.begin(), finished.end(), [](const auto& x, const auto& y) {
    if (x.first != y.first) return x.first > y.first;
    return name_of(*x.second) > name_of(*y.second);
  });
  BackupSummary out;
  for (const auto& [at, b] : finished) {
    if (phase_of_status(*b) == "Succeeded") {
      out.newest_success = *b;
      break;
    }
    ++out.consecutive_failures;
  }
  return out;
}

std::variant<std::vector<json>, ReconcileError> backups_of_config(const FlowEnv& env,
                                                                  const std::string& ns,
                                                                  const std::string& config) {
  auto listed = env.client.list(kube::resource_for("Backup"), ns, {});
  if (!listed.ok()) {
    return ReconcileError::from_api(listed.error(), "BackupListFailed",
                                    "cannot list the Backups of namespace " + ns,
                                    "check the controller's RBAC (list on backups)");
  }
  std::vector<json> out;
  for (const auto& b : listed->value("items", json::array())) {
    const auto ref = b.value("spec", json::object()).value("configRef", json::object());
    if (ref.is_object() && ref.value("name", "") == config) out.push_back(b);
  }
  return out;
}

void set_backup_gauges(const FlowEnv& env, const std::string& ns, const std::string& name,
                       const std::optional<json>& newest_success) {
  auto& m = env.metrics();
  // A named array: an AttributeList is a view and must not outlive its elements.
  const std::array<telemetry::metrics::Attribute, 2> labels = {
      telemetry::metrics::Attribute{"namespace", ns}, telemetry::metrics::Attribute{"name", name}};
  const telemetry::metrics::AttributeList key{
      std::span<const telemetry::metrics::Attribute>(labels)};
  if (!newest_success) {
    (void)m.backup_last_success_timestamp_seconds.remove_matching(key);
    (void)m.backup_size_bytes.remove_matching(key);
    (void)m.backup_files.remove_matching(key);
    (void)m.backup_duration_seconds.remove_matching(key);
    return;
  }
  api::BackupStatus status;
  (void)api::read_status(newest_success->value("status", json::object()), status);
  const auto timing = status.timing.value_or(api::Timing{});
  const auto stats = status.stats.value_or(api::BackupStats{});
  const auto end = unix_seconds(timing.completion_time ? json(*timing.completion_time) : json());
  auto set_or_remove = [&](const telemetry::metrics::Gauge<std::int64_t>& g,
                           std::optional<std::int64_t> v) {
    if (v) {
      g.set(*v, key);
    } else {
      (void)g.remove_matching(key);
    }
  };
  set_or_remove(m.backup_last_success_timestamp_seconds, end);
  set_or_remove(m.backup_size_bytes, stats.size_bytes);
  set_or_remove(m.backup_files, stats.total_files());
  set_or_remove(m.backup_duration_seconds, timing.duration_seconds);
}

void remove_backup_gauges(const FlowEnv& env, const std::string& ns, const std::string& name) {
  set_backup_gauges(env, ns, name, std::nullopt);
  (void)env.metrics().backup_consecutive_failures.remove_matching(
      {{"namespace", ns}, {"name", name}});
}

std::string effective_deletion_policy(const FlowEnv& env, const json& backup) {
  const auto spec = backup.value("spec", json::object());
  if (const auto p = spec.value("deletionPolicy", std::string()); !p.empty()) return p;
  const auto labels = backup.value("metadata", json::object()).value("labels", json::object());
  const auto status = backup.value("status", json::object());
  if (status.value("origin", "") == "discovered" || status.value("phase", "") == "Discovered" ||
      labels.value("kopiur.io/origin", "") == "discovered") {
    return "Retain";
  }
  const auto ref = spec.value("configRef", json::object());
  if (ref.is_object() && !ref.value("name", "").empty()) {
    const ObjectCache* cache = env.runtime->cache("BackupConfig");
    auto config =
        cache != nullptr ? cache->get(namespace_of(backup), ref.value("name", "")) : nullptr;
    if (config != nullptr) {
      const auto p =
          config->value("spec", json::object()).value("defaultDeletionPolicy", std::string());
      if (!p.empty()) return p;
    }
  }
  return "Delete";
}

json job_owner(const json& backup) {
  const auto meta = backup.value("metadata", json::object());
  return {{"apiVersion", backup.value("apiVersion", "")},
          {"kind", backup.value("kind", "Backup")},
          {"metadata",
           {{"name", meta.value("name", "")},
            {"namespace", meta.value("namespace", "")},
            {"uid", meta.value("uid", "")}}}};
}

}  // namespace kopiur::controller::backup_detail
