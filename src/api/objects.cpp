// The codec instantiations behind objects.hpp, in one translation unit.
#include "kopiur/api/objects.hpp"

#include "kopiur/api/resource.hpp"

namespace kopiur::api {

FieldErrors read_object(const nlohmann::json& in, Repository& out) { return from_json(in, out); }
FieldErrors read_object(const nlohmann::json& in, ClusterRepository& out) {
  return from_json(in, out);
}
FieldErrors read_object(const nlohmann::json& in, BackupConfig& out) { return from_json(in, out); }
FieldErrors read_object(const nlohmann::json& in, Backup& out) { return from_json(in, out); }
FieldErrors read_object(const nlohmann::json& in, BackupSchedule& out) {
  return from_json(in, out);
}
FieldErrors read_object(const nlohmann::json& in, Restore& out) { return from_json(in, out); }
FieldErrors read_object(const nlohmann::json& in, Maintenance& out) { return from_json(in, out); }

nlohmann::json write_status(const RepositoryStatus& status) { return encode(status); }
nlohmann::json write_status(const ClusterRepositoryStatus& status) { return encode(status); }
nlohmann::json write_status(const BackupConfigStatus& status) { return encode(status); }
nlohmann::json write_status(const BackupStatus& status) { return encode(status); }
nlohmann::json write_status(const BackupScheduleStatus& status) { return encode(status); }
nlohmann::json write_status(const RestoreStatus& status) { return encode(status); }
nlohmann::json write_status(const MaintenanceStatus& status) { return encode(status); }

FieldErrors read_status(const nlohmann::json& in, BackupStatus& out) { return decode(in, out); }

}  // namespace kopiur::api
