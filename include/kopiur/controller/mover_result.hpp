// File: kopiur/controller/mover_result.hpp
//
// The mover's result as the controller reads it: the JSON termination message of the mover's
// pod (docs/mover.md "Result"), which is outside input. interpret_result() never throws: a
// message that is not a result object, or whose fields have the wrong types, reads as a failure
// naming what was found (fields of the wrong type count as absent).
//
//   auto seen = interpret_result(message);
//   if (seen.state == MoverState::kFailed) set_failed(seen.failure);
//
// Thread-safety: a pure function. Cost: one JSON parse of the message (at most 4 KiB).
#pragma once

#include <cstdint>
#include <string>

#include "kopiur/support/json.hpp"

namespace kopiur::controller {

enum class MoverState { kNotFound, kRunning, kSucceeded, kFailed };

struct MoverObservation {
  MoverState state = MoverState::kNotFound;
  nlohmann::json result;      // the termination message (an object) when one was read, else null
  std::string failure;        // why it failed, one line a person can act on ("" unless kFailed)
  std::string log_tail;       // the failed run's stderr tail ("" when none)
  bool retryable = false;     // the mover's error class says a retry can help
  std::int64_t attempts = 0;  // pods started so far
  std::string start_time, end_time;  // RFC 3339, from the result or the Job status
};

// The mover's result parsed from a termination message, or the reason it could not be.
MoverObservation interpret_result(const std::string& message);

// The result's error.class, or `fallback` when there is none: a run that left no result (killed,
// deadline) has a null `result`, on which json::value() throws.
std::string mover_error_class(const MoverObservation& seen, const std::string& fallback);

}  // namespace kopiur::controller
