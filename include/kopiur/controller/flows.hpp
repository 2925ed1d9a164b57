// File: kopiur/controller/flows.hpp
//
// The reconcile function of each kind (docs/controller.md, "Flows"). Each lives in its own file
// under src/controller/flows/ and is registered by kinds.cpp; all share FlowEnv and the helpers
// of flow_support.hpp, mover_runs.hpp and repository_access.hpp.
//
//   Repository, ClusterRepository  connect Job -> Ready; catalog scans; discovered Backups;
//                                  kopiur_repo_*, kopiur_repository_maintenance_configured
//   BackupConfig                   resolves sources; consecutive failures; the kopiur_backup_*
//                                  gauges of its newest Backup
//   Backup                         backup Job; stats and timing; finalizer snapshot-delete
//   BackupSchedule                 cron -> Backups; kopiur_schedule_backups_created_total
//   Restore                        resolve -> restore Job; kopiur_restore_duration_seconds
//   Maintenance                    quick/full maintenance Jobs; reclaimed bytes
//
// Thread-safety: reconcile functions are called by the runtime's workers, never concurrently for
// one object. Failure: they return ReconcileError values and never throw on bad input.
#pragma once

#include "kopiur/controller/flow_env.hpp"
#include "kopiur/controller/runtime.hpp"

namespace kopiur::controller::flows {

ReconcileResult repository(FlowEnv& env, ReconcileContext& context);  // both repository kinds
ReconcileResult backup_config(FlowEnv& env, ReconcileContext& context);
ReconcileResult backup(FlowEnv& env, ReconcileContext& context);
ReconcileResult backup_schedule(FlowEnv& env, ReconcileContext& context);
ReconcileResult restore(FlowEnv& env, ReconcileContext& context);
ReconcileResult maintenance(FlowEnv& env, ReconcileContext& context);

}  // namespace kopiur::controller::flows
