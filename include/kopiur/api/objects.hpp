// File: kopiur/api/objects.hpp
//
// Typed reads and writes of the seven kinds, compiled once (src/api/objects.cpp) so that code
// which only needs the C++ value of an object does not instantiate the codec templates again:
//
//   api::Backup backup;
//   if (auto errors = api::read_object(object, backup); !errors.empty()) ... // field paths
//   nlohmann::json status = api::write_status(*backup.status);
//
// read_object() is resource.hpp's from_json(): apiVersion and kind checked, every problem
// reported with its JSON path. write_status() encodes a status (absent optionals omitted).
//
// Thread-safety: stateless. Failure: read_object() never throws on bad input.
#pragma once

#include "kopiur/api/backup.hpp"
#include "kopiur/api/codec.hpp"
#include "kopiur/api/maintenance.hpp"
#include "kopiur/api/repository.hpp"
#include "kopiur/api/restore.hpp"
#include "kopiur/support/json.hpp"

namespace kopiur::api {

FieldErrors read_object(const nlohmann::json& in, Repository& out);
FieldErrors read_object(const nlohmann::json& in, ClusterRepository& out);
FieldErrors read_object(const nlohmann::json& in, BackupConfig& out);
FieldErrors read_object(const nlohmann::json& in, Backup& out);
FieldErrors read_object(const nlohmann::json& in, BackupSchedule& out);
FieldErrors read_object(const nlohmann::json& in, Restore& out);
FieldErrors read_object(const nlohmann::json& in, Maintenance& out);

nlohmann::json write_status(const RepositoryStatus& status);
nlohmann::json write_status(const ClusterRepositoryStatus& status);
nlohmann::json write_status(const BackupConfigStatus& status);
nlohmann::json write_status(const BackupStatus& status);
nlohmann::json write_status(const BackupScheduleStatus& status);
nlohmann::json write_status(const RestoreStatus& status);
nlohmann::json write_status(const MaintenanceStatus& status);

// read_status(): a status object (e.g. one kept in a cache) decoded leniently: problems are
// returned, the fields that decoded are kept.
FieldErrors read_status(const nlohmann::json& in, BackupStatus& out);

}  // namespace kopiur::api
