// File: kopiur/controller/mover_job.hpp
//
// build_mover_job(): the one place a mover Job is made, for every flow (backup, restore, catalog,
// maintenance, snapshot-delete, connect). It returns the Job and the Secret it needs, both owned
// by the kopiur object so they go with it:
//   - Secret <job>: the work spec (key work-spec.json), mounted read-only at
//     /etc/kopiur/work-spec; and, when the controller exports OTLP with headers, the headers
//     (key otlp-headers), read by the Job through a secretKeyRef. Credentials never appear in the
//     Job's env or args.
//   - Job <job>: image --mover-image, command `kopiur-mover OPERATION --work-spec
//     /etc/kopiur/work-spec/work-spec.json`, labels tying it to its resource
//     (app.kubernetes.io/managed-by=kopiur, kopiur.io/kind, kopiur.io/name, kopiur.io/operation,
//     kopiur.io/job: the Job's own name, which its pods carry too),
//     a controller owner reference, backoffLimit, activeDeadlineSeconds, ttlSecondsAfterFinished,
//     and the result read from the termination message (/dev/termination-log, policy
//     FallbackToLogsOnError so a crash still leaves its log tail).
// Its env: the logging variables (env::kLogPassthrough) whenever set on the controller; the OTLP
// variables (env::kOtlpPassthrough) only when a collector is configured, with
// OTEL_EXPORTER_OTLP_HEADERS as a secretKeyRef; TRACEPARENT of the reconcile span so the mover's
// trace continues the controller's; OTEL_RESOURCE_ATTRIBUTES naming the Job, its pod (downward
// API), its namespace and the kopiur object; KOPIUR_POD_NAME/KOPIUR_NAMESPACE/KOPIUR_NODE_NAME
// from the downward API.
//
// Pure function: no API calls, never throws except std::bad_alloc.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "kopiur/support/json.hpp"
#include "kopiur/telemetry/env.hpp"

namespace kopiur::controller {

inline constexpr const char* kWorkSpecDir = "/etc/kopiur/work-spec";
inline constexpr const char* kWorkSpecKey = "work-spec.json";
inline constexpr const char* kOtlpHeadersKey = "otlp-headers";
inline constexpr const char* kTerminationMessagePath = "/dev/termination-log";

struct MoverJobRequest {
  std::string operation;  // backup, restore, catalog, maintenance, snapshot-delete, connect
  std::string job_name;   // also the Secret's name
  // The kopiur object the Job works for: apiVersion, kind, metadata.name/namespace/uid. A
  // cluster-scoped object (ClusterRepository) needs job_namespace.
  nlohmann::json owner;
  std::string job_namespace;  // "" = the owner's namespace
  nlohmann::json work_spec;   // what the mover reads from --work-spec
  // Files of the mover's --secret-dir (the same mounted Secret), e.g. {"KOPIA_PASSWORD", ...}:
  // the repository password and backend credentials the work spec names by key.
  std::map<std::string, std::string> secret_files{};
  std::string traceparent;  // of the reconcile span ("" = none)
  std::int64_t backoff_limit = 0;
  std::int64_t active_deadline_seconds = 6 * 3600;
  std::int64_t ttl_seconds_after_finished = 24 * 3600;
  std::string service_account;                  // "" = the namespace's default
  std::vector<nlohmann::json> volumes{};        // e.g. the PVC a backup reads
  std::vector<nlohmann::json> volume_mounts{};  // their mounts in the mover container
};

struct MoverJobConfig {
  std::string image;  // --mover-image (KOPIUR_MOVER_IMAGE)
  std::string image_pull_policy = "IfNotPresent";
  telemetry::EnvLookup env;  // the controller's environment (what is forwarded)
};

struct MoverJob {
  nlohmann::json secret;
  nlohmann::json job;
};

MoverJob build_mover_job(const MoverJobRequest& request, const MoverJobConfig& config);

}  // namespace kopiur::controller
