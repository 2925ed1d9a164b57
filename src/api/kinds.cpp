// The kind table: one row per kind, tying names and columns to the C++ description.
#include "kopiur/api/kinds.hpp"

#include "kopiur/api/backup.hpp"
#include "kopiur/api/maintenance.hpp"
#include "kopiur/api/repository.hpp"
#include "kopiur/api/resource.hpp"
#include "kopiur/api/restore.hpp"
#include "kopiur/api/schema_check.hpp"

namespace kopiur::api {
namespace {

// What the API server answers for a write: the schema check first, as a real server runs it before
// any validating webhook; then the decoder, which stands in for the webhook (cross-field rules,
// the exactly-one groups of the schema's x-kubernetes-validations, cron shape, unknown fields).
template <class K>
FieldErrors validate_object(const nlohmann::json& in) {
  static const nlohmann::json schema = object_schema<K>();
  if (auto errors = check_schema(in, schema); !errors.empty()) return errors;
  K object;
  return from_json(in, object);
}

template <class K>
KindInfo make(std::string plural, std::string short_name, Scope scope,
              std::vector<PrinterColumn> columns, std::vector<std::string> phases) {
  KindInfo info;
  info.kind = std::string(K::kKind);
  info.plural = std::move(plural);
  info.singular = info.kind;
  for (auto& c : info.singular) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  info.short_names = {std::move(short_name)};
  info.scope = scope;
  info.printer_columns = std::move(columns);
  info.phases = std::move(phases);
  info.schema = &object_schema<K>;
  info.validate = &validate_object<K>;
  return info;
}

PrinterColumn phase_column() { return {"Phase", "string", ".status.phase", "Lifecycle phase", 0}; }

std::vector<KindInfo> build() {
  std::vector<KindInfo> all;
  all.push_back(make<Repository>(
      "repositories", "kopiarepo", Scope::kNamespaced,
      {phase_column(), {"Backend", "string", ".status.backend", "Storage backend", 0}},
      enum_names<RepositoryPhase>()));
  all.push_back(make<ClusterRepository>(
      "clusterrepositories", "kopiacrepo", Scope::kCluster,
      {phase_column(),
       {"Backend", "string", ".status.backend", "Storage backend", 0},
       {"Namespaces", "integer", ".status.allowedNamespaceCount", "Allowed namespaces", 0}},
      enum_names<RepositoryPhase>()));
  all.push_back(make<BackupConfig>(
      "backupconfigs", "kopiabc", Scope::kNamespaced,
      {{"Repository", "string", ".spec.repository.name", "Repository used", 0},
       {"Failures", "integer", ".status.consecutiveFailures", "Consecutive failed backups", 0}},
      {}));
  all.push_back(make<Backup>(
      "backups", "kopiabak", Scope::kNamespaced,
      {phase_column(),
       {"Origin", "string", ".status.origin", "scheduled, manual or discovered", 0},
       {"Snapshot", "string", ".status.snapshot.kopiaSnapshotID", "kopia snapshot ID", 0},
       {"Size", "integer", ".status.stats.sizeBytes", "Snapshot size in bytes", 1}},
      enum_names<BackupPhase>()));
  all.push_back(
      make<BackupSchedule>("backupschedules", "kopiasched", Scope::kNamespaced,
                           {{"Config", "string", ".spec.configRef.name", "BackupConfig run", 0},
                            {"Schedule", "string", ".spec.schedule.cron", "Cron expression", 0},
                            {"Suspended", "boolean", ".spec.schedule.suspend", "Suspended", 0}},
                           {}));
  all.push_back(make<Restore>("restores", "kopiarestore", Scope::kNamespaced, {phase_column()},
                              enum_names<RestorePhase>()));
  all.push_back(make<Maintenance>(
      "maintenances", "kopiamaint", Scope::kNamespaced,
      {{"Repository", "string", ".spec.repository.name", "Repository maintained", 0},
       {"Owner", "string", ".spec.ownership.owner", "Maintenance owner", 0}},
      {}));
  return all;
}

}  // namespace

const std::vector<KindInfo>& kinds() {
  static const std::vector<KindInfo> table = build();
  return table;
}

const KindInfo* find_kind(std::string_view kind) {
  for (const auto& info : kinds()) {
    if (info.kind == kind) return &info;
  }
  return nullptr;
}

const KindInfo* find_kind_by_plural(std::string_view plural) {
  for (const auto& info : kinds()) {
    if (info.plural == plural) return &info;
  }
  return nullptr;
}

}  // namespace kopiur::api
