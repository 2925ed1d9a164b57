// Valid objects of the seven kinds, and AdmissionReview bodies around them, for the webhook tests.
#pragma once

#include <string>

#include "kopiur/support/json.hpp"
#include "kopiur/webhook/lookup.hpp"

namespace kopiur::webhook::test {

using nlohmann::json;

inline json meta(const std::string& name, const std::string& ns) {
  json m = {{"name", name}};
  if (!ns.empty()) m["namespace"] = ns;
  return m;
}

inline json object(const std::string& kind, const std::string& name, const std::string& ns,
                   json spec) {
  return {{"apiVersion", "kopiur.home-operations.com/v1alpha1"},
          {"kind", kind},
          {"metadata", meta(name, ns)},
          {"spec", std::move(spec)}};
}

inline json repository(const std::string& name = "store", const std::string& ns = "apps") {
  return object(
      "Repository", name, ns,
      {{"backend", {{"s3", {{"bucket", "backups"}}}}},
       {"encryption", {{"passwordSecretRef", {{"name", "kopia"}, {"key", "password"}}}}}});
}

inline json cluster_repository(const std::string& name = "shared",
                               json allowed = json::array({"apps"})) {
  json repo = repository(name, "");
  repo["kind"] = "ClusterRepository";
  repo["spec"]["allowedNamespaces"] = std::move(allowed);
  return repo;
}

inline json backup_config(const std::string& name = "nightly", const std::string& ns = "apps") {
  return object("BackupConfig", name, ns,
                {{"repository", {{"kind", "Repository"}, {"name", "store"}}},
                 {"sources", json::array({{{"pvc", "data"}}})}});
}

inline json backup_schedule() {
  return object("BackupSchedule", "nightly", "apps",
                {{"configRef", {{"name", "nightly"}}}, {"schedule", {{"cron", "0 2 * * *"}}}});
}

inline json backup() {
  return object("Backup", "nightly-1", "apps", {{"configRef", {{"name", "nightly"}}}});
}

inline json restore() {
  return object("Restore", "back", "apps",
                {{"source", {{"fromConfig", {{"name", "nightly"}}}}},
                 {"target", {{"pvcRef", {{"name", "data"}}}}}});
}

inline json maintenance() {
  return object("Maintenance", "store", "apps",
                {{"repository", {{"kind", "Repository"}, {"name", "store"}}},
                 {"ownership", {{"owner", "kopiur"}}},
                 {"schedule", {{"quick", {{"cron", "@hourly"}}}, {"full", {{"cron", "@daily"}}}}}});
}

inline json valid(const std::string& kind) {
  if (kind == "Repository") return repository();
  if (kind == "ClusterRepository") return cluster_repository();
  if (kind == "BackupConfig") return backup_config();
  if (kind == "BackupSchedule") return backup_schedule();
  if (kind == "Backup") return backup();
  if (kind == "Restore") return restore();
  return maintenance();
}

inline std::string plural(const std::string& kind) {
  if (kind == "Repository") return "repositories";
  if (kind == "ClusterRepository") return "clusterrepositories";
  if (kind == "Maintenance") return "maintenances";
  std::string p;
  for (char c : kind) p += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return p + "s";
}

// An AdmissionReview of `object` (and `old_object` for UPDATE).
inline json review(const json& object, const std::string& operation = "CREATE",
                   const json& old_object = nullptr, const std::string& uid = "uid-1") {
  const std::string kind = object.value("kind", "");
  json request = {
      {"uid", uid},
      {"kind", {{"group", "kopiur.home-operations.com"}, {"version", "v1alpha1"}, {"kind", kind}}},
      {"resource",
       {{"group", "kopiur.home-operations.com"},
        {"version", "v1alpha1"},
        {"resource", plural(kind)}}},
      {"operation", operation},
      {"name", object["metadata"].value("name", "")},
      {"namespace", object["metadata"].value("namespace", "")},
      {"userInfo", {{"username", "alice"}}},
      {"object", object}};
  if (!old_object.is_null()) request["oldObject"] = old_object;
  return {{"apiVersion", "admission.k8s.io/v1"}, {"kind", "AdmissionReview"}, {"request", request}};
}

// The objects reviewed objects refer to: Repository apps/store, ClusterRepository shared
// (allowing apps) and BackupConfig apps/nightly.
inline MapLookup cluster() {
  MapLookup lookup;
  lookup.add(repository());
  lookup.add(cluster_repository());
  lookup.add(backup_config());
  return lookup;
}

}  // namespace kopiur::webhook::test
