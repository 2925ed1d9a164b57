#include "kopiur/controller/repository_access.hpp"

#include "kopiur/api/codec.hpp"
#include "kopiur/controller/flow_support.hpp"
#include "kopiur/controller/runtime.hpp"
#include "kopiur/kube/secret.hpp"

namespace kopiur::controller {

using nlohmann::json;

bool namespace_allowed(const json& cluster_repository, const std::string& ns) {
  const auto spec = cluster_repository.value("spec", json::object());
  for (const auto& allowed : spec.value("allowedNamespaces", json::array())) {
    if (allowed.is_string() && (allowed == "*" || allowed == ns)) return true;
  }
  return false;
}

namespace {

std::string describe(const json& repository) {
  const std::string ns = namespace_of(repository);
  return repository.value("kind", std::string("Repository")) + " " + (ns.empty() ? "" : ns + "/") +
         name_of(repository);
}

// The backend name ("s3", "filesystem", ...) of spec.backend, "" when none is set.
std::string backend_name(const json& spec) {
  const auto backend = spec.value("backend", json::object());
  for (const auto& [key, value] : backend.items()) {
    if (!value.is_null()) return key;
  }
  return "";
}

}  // namespace

AccessResult access_repository(const FlowEnv& env, const json& repository,
                               const std::string& job_namespace) {
  RepositoryAccess out;
  out.kind = repository.value("kind", "Repository");
  out.namespace_ = namespace_of(repository);
  out.name = name_of(repository);
  out.object = repository;
  const auto spec = repository.value("spec", json::object());
  const std::string backend = backend_name(spec);
  if (backend.empty()) {
    return ReconcileError::structural("InvalidSpec", describe(repository) +
                                                         " has no backend; set exactly one of "
                                                         "spec.backend.filesystem, s3, gcs, ...");
  }
  const auto create = spec.value("create", json::object());
  // A read-only connection never creates: kopia would refuse the writes anyway.
  out.work_spec_repository = {{"create", !read_only(repository) && create.value("enabled", false)},
                              {"passwordKey", kPasswordFile}};
  if (read_only(repository)) out.work_spec_repository["readOnly"] = true;
  // A Repository's Secrets live beside it; a ClusterRepository's in the controller's namespace.
  const std::string secret_ns = out.namespace_.empty() ? env.system_namespace : out.namespace_;
  if (backend == "filesystem") {
    const auto fs = spec["backend"]["filesystem"];
    std::string path = fs.value("path", "");
    if (const auto claim = fs.value("claimName", std::string()); !claim.empty()) {
      out.volumes.push_back(
          {{"name", "repository"}, {"persistentVolumeClaim", {{"claimName", claim}}}});
      out.volume_mounts.push_back({{"name", "repository"}, {"mountPath", kRepositoryMount}});
      while (!path.empty() && path.front() == '/') path.erase(path.begin());
      path = std::string(kRepositoryMount) + (path.empty() ? "" : "/" + path);
    }
    out.work_spec_repository["filesystem"] = {{"path", path}};
  } else {
    // The backend's settings go to the mover as they are; its credentials Secret's keys become
    // files of the Job's Secret (the names the mover reads: docs/mover.md, "Backends").
    json settings = spec["backend"][backend];
    const std::string creds =
        settings.value("credentialsSecretRef", json::object()).value("name", "");
    settings.erase("credentialsSecretRef");
    out.work_spec_repository[backend] = settings;
    if (!creds.empty()) {
      auto secret = env.client.get(kube::resources::kSecrets, secret_ns, creds);
      if (!secret.ok()) {
        return ReconcileError::from_api(
            secret.error(), "MissingCredentialsSecret",
            "cannot read Secret " + secret_ns + "/" + creds + " (the " + backend +
                " credentials of " + describe(repository) + ")",
            "create it with the keys docs/mover.md lists for the " + backend + " backend");
      }
      const json data = secret->value("data", json::object());  // items() must not outlive it
      for (const auto& [key, value] : data.items()) {
        if (auto bytes = kube::secret_value(*secret, key)) out.secret_files[key] = *bytes;
      }
    }
  }

  const auto ref =
      spec.value("encryption", json::object()).value("passwordSecretRef", json::object());
  const std::string secret_name = ref.value("name", "");
  const std::string secret_key = ref.value("key", "");
  auto secret = env.client.get(kube::resources::kSecrets, secret_ns, secret_name);
  if (!secret.ok()) {
    return ReconcileError::from_api(
        secret.error(), "MissingCredentialsSecret",
        "cannot read Secret " + secret_ns + "/" + secret_name + " (the password of " +
            describe(repository) + ")",
        "create it with the key \"" + secret_key + "\" holding the repository password");
  }
  auto password = kube::secret_value(*secret, secret_key);
  if (!password) {
    return ReconcileError::structural("MissingCredentialsSecret",
                                      "Secret " + secret_ns + "/" + secret_name + " has no key \"" +
                                          secret_key + "\" (spec.encryption.passwordSecretRef of " +
                                          describe(repository) +
                                          "); add the key or fix the reference");
  }
  out.secret_files[kPasswordFile] = *password;
  (void)job_namespace;
  return out;
}

bool read_only(const json& repository) {
  const auto spec = repository.value("spec", json::object());
  return spec.is_object() && spec.value("mode", "") == "ReadOnly";
}

std::optional<ReconcileError> refuse_writes(const RepositoryAccess& access,
                                            const std::string& what) {
  if (!read_only(access.object)) return std::nullopt;
  const std::string repo =
      access.kind + " " + (access.namespace_.empty() ? "" : access.namespace_ + "/") + access.name;
  return ReconcileError::structural(
      "RepositoryReadOnly", repo + " is ReadOnly (spec.mode), so " + what +
                                " cannot write to it; restores and catalog scans still work. "
                                "Set spec.mode: ReadWrite on it, or use another repository");
}

AccessResult resolve_repository(const FlowEnv& env, const api::RepositoryRef& ref,
                                const std::string& from_namespace, bool require_ready) {
  const bool cluster = ref.kind == api::RepositoryKind::kClusterRepository;
  const std::string kind(api::enum_name(ref.kind));
  const std::string ns = cluster ? "" : ref.namespace_.value_or(from_namespace);
  const ObjectCache* cache = env.runtime->cache(kind);
  auto object = cache != nullptr ? cache->get(ns, ref.name) : nullptr;
  const std::string what = kind + " " + (ns.empty() ? "" : ns + "/") + ref.name;
  if (object == nullptr) {
    return ReconcileError::structural("RepositoryNotFound",
                                      what + " does not exist; create it or fix spec.repository");
  }
  if (cluster && !namespace_allowed(*object, from_namespace)) {
    return ReconcileError::structural(
        "NamespaceNotAllowed", "namespace " + from_namespace + " may not use " + what +
                                   "; add it to the ClusterRepository's spec.allowedNamespaces");
  }
  if (require_ready) {
    const std::string phase = phase_of_status(*object);
    // Degraded: connected, but the last catalog scan failed; backups and restores still work.
    if (phase != "Ready" && phase != "Degraded") {
      return ReconcileError::transient(
          "RepositoryNotReady",
          what + " is " + (phase.empty() ? std::string("not reconciled yet") : phase) +
              "; waiting for it to become Ready (kubectl describe it for the reason)");
    }
  }
  return access_repository(env, *object, from_namespace);
}

}  // namespace kopiur::controller
