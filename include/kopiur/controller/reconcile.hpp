// File: kopiur/controller/reconcile.hpp
//
// What a reconcile function returns, kube-rs style: an Action (done, or requeue after a delay)
// when it succeeded, a ReconcileError when it did not. Errors carry their class, which decides
// the retry policy (see backoff.hpp) and the `class` label of
// kopiur_controller_reconcile_errors_total, plus a CamelCase reason and a note for the Warning
// Event a person reads:
//   - transient: a retry can help (API 5xx, timeouts, conflicts, a Job still running);
//   - structural: a person must act (invalid spec, a missing Secret or referenced object, RBAC).
//
//   if (!secret.ok()) return ReconcileError::from_api(secret.error(), "SecretUnavailable",
//       "cannot read Secret " + name, "create it in namespace " + ns);
//   return Action::requeue_after(std::chrono::minutes(1));
//
// Thread-safety: plain values. Failure: none.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <variant>

#include "kopiur/kube/result.hpp"

namespace kopiur::controller {

struct Action {
  std::optional<std::chrono::steady_clock::duration> requeue;  // nullopt: wait for a change

  static Action done() { return {}; }
  static Action requeue_after(std::chrono::steady_clock::duration delay) { return {delay}; }
};

enum class ErrorClass { kTransient, kStructural };

// "transient" / "structural": the label value.
const char* error_class_name(ErrorClass error_class);

struct ReconcileError {
  ErrorClass error_class = ErrorClass::kTransient;
  std::string reason;  // CamelCase, machine-readable (the Event's reason)
  std::string note;    // what failed, why, and how to fix it (the Event's note)

  static ReconcileError transient(std::string reason, std::string note);
  static ReconcileError structural(std::string reason, std::string note);
  // from_api(): classifies an API error: no answer, 5xx, 409 Conflict, 429 and timeouts are
  // transient; 4xx otherwise (404 of a referenced object, 403, 422) are structural. The note is
  // "<what>: <error>" followed by `fix` for structural errors.
  static ReconcileError from_api(const kube::Error& error, std::string reason,
                                 const std::string& what, const std::string& fix);
};

// classify(): the class from_api() gives an API error.
ErrorClass classify(const kube::Error& error);

// What a reconcile returns.
using ReconcileResult = std::variant<Action, ReconcileError>;

}  // namespace kopiur::controller
