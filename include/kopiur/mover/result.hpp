// File: kopiur/mover/result.hpp
//
// OperationResult: what one mover run reports to the controller, written as JSON to the
// termination message path (Kubernetes keeps at most 4096 bytes of it). render() guarantees the
// limit: it drops catalog entries first, then shortens the failure tail from its oldest end,
// then the message, and says so with "truncated": true.
//
//   mover::OperationResult r;  r.operation = "backup";  r.result = mover::Outcome::kSucceeded;
//   std::string json = mover::render(r);          // < 4096 bytes
//   mover::write_termination_message(path, json); // error text on failure
//
// Thread-safety: plain values. Failure: render() never throws but std::bad_alloc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kopiur/mover/kopia_json.hpp"
#include "kopiur/support/json.hpp"

namespace kopiur::mover {

enum class Outcome { kSucceeded, kFailed, kCancelled };
std::string_view outcome_name(Outcome outcome);  // "succeeded", "failed", "cancelled"

// Error classes the controller maps onto transient (retryable) or structural.
enum class ErrorClass {
  kInvalidSpec,    // the work spec or Secret is wrong
  kKopiaNotFound,  // no kopia binary
  kAuthFailure,    // invalid repository password
  kRepositoryNotInitialized,
  kNotFound,               // snapshot not found
  kRepositoryUnavailable,  // storage unreachable (retryable)
  kUnexpectedOutput,       // --json of an unexpected shape
  kKilled,                 // kopia died from a signal (retryable)
  kCancelled,              // the mover was asked to stop
  kMaintenanceNotOwned,    // another identity owns the repository's maintenance
  kUnknown,
};
std::string_view error_class_name(ErrorClass c);
bool retryable(ErrorClass c);

struct FailureInfo {
  ErrorClass error_class = ErrorClass::kUnknown;
  std::string message;
  std::string tail;               // kopia's stderr tail
  std::optional<int> kopia_exit;  // kopia's exit code (128+signal when killed)
};

struct OperationResult {
  std::string operation;
  Outcome result = Outcome::kFailed;
  std::string start_time, end_time;  // RFC 3339 UTC
  double duration_seconds = 0;
  std::optional<SnapshotInfo> snapshot;              // backup
  std::optional<RepositoryStatus> repository;        // connect
  std::optional<std::vector<SnapshotInfo>> catalog;  // catalog
  std::optional<std::int64_t> reclaimed_bytes;       // full maintenance
  std::string maintenance_mode;
  std::string restored;  // restore: kopia's "Restored N files, ..." line
  std::optional<FailureInfo> failure;
};

inline constexpr std::size_t kTerminationMessageLimit = 4096;

nlohmann::ordered_json to_json(const OperationResult& r);
// The JSON text, at most `limit` bytes.
std::string render(const OperationResult& r, std::size_t limit = kTerminationMessageLimit);
// Writes `text` to `path` (created or truncated); returns "" or the reason it failed.
std::string write_termination_message(const std::string& path, const std::string& text);

// The time now as RFC 3339 UTC with milliseconds.
std::string utc_now();

}  // namespace kopiur::mover
