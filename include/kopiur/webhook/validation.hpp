// File: kopiur/webhook/validation.hpp
//
// What kopiur-webhook decides about a write of one of kopiur's seven kinds. review() runs, in
// order, and collects every problem with its JSON path:
//   1. the API types' own validation (api::find_kind(kind)->validate: the schema a real API
//      server checks, then the decoder's cross-field rules), so the webhook, the controller and
//      the local API server report the same words;
//   2. cron expressions and IANA time zones parsed as the scheduler parses them (kopiur_schedule),
//      including schedules that can never fire; retention that keeps no snapshot;
//   3. references (through an ObjectLookup, never a request per review): the Repository or
//      ClusterRepository of a BackupConfig, Restore or Maintenance, with the ClusterRepository's
//      spec.allowedNamespaces rule; the BackupConfig of a BackupSchedule, Backup or Restore.
//      Checked on CREATE, and on UPDATE only when the reference itself changed, so an object whose
//      referent was deleted can still have its finalizers removed;
//   4. on UPDATE, the immutable fields (immutable_fields()) compared with oldObject.
// An object being deleted (metadata.deletionTimestamp set) is allowed as is: only its finalizers
// can still change.
//
//   Verdict v = review(request, &cache);     // cache may be nullptr: references unchecked
//   if (!v.allowed) answer 403 with v.message
//
// Thread-safety: review() is re-entrant; the lookup must be thread-safe. Cost: one decode of the
// object (two on UPDATE) and a few map lookups. Failure: never throws on any object.
#pragma once

#include <string>
#include <vector>

#include "kopiur/api/codec.hpp"
#include "kopiur/webhook/admission.hpp"
#include "kopiur/webhook/lookup.hpp"

namespace kopiur::webhook {

struct Verdict {
  bool allowed = true;
  api::FieldErrors errors;            // every problem, with its path
  std::vector<std::string> warnings;  // returned to the client (kubectl prints them)
  // The denial, one line: `Backup "nightly" is invalid: spec.a: ...; spec.b: ...`.
  std::string message;
};

// review(): the decision for a request whose kind is one of the seven (see find_kind()).
[[nodiscard]] Verdict review(const AdmissionRequest& request, const ObjectLookup* lookup);

// An immutable field: its path under the object, and why it cannot change.
struct ImmutableField {
  std::vector<std::string> path;  // e.g. {"spec", "repository"}
  std::string reason;
  bool only_once_ready = false;  // free to change until the old object was Ready or Degraded
};

// immutable_fields(): the fields of `kind` an UPDATE may not change (docs/webhook.md argues them).
[[nodiscard]] const std::vector<ImmutableField>& immutable_fields(const std::string& kind);

}  // namespace kopiur::webhook
