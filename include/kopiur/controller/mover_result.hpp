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
  nlohmann::json result;  // the termination message (an object) when one was read, else null
  std::string failure;    // why it failed, one line a person can act on ("" unless kFailed)
  std::string log_tail;   // the failed run's stderr tail ("" when none)
  // The failure's class when the mover left no result and the controller named it (MoverKilled),
  // else "": mover_error_class() prefers the result's own error.class.
  std::string error_class;
  bool retryable = false;            // the mover's error class says a retry can help
  std::int64_t attempts = 0;         // pods started so far
  std::string start_time, end_time;  // RFC 3339, from the result or the Job status
};

// The mover's result parsed from a termination message, or the reason it could not be.
MoverObservation interpret_result(const std::string& message);

// A failed run that left no result, from its container's terminated state in the pod status
// (exitCode, signal, reason, message, finishedAt): the failure names the Job, the exit code and
// the signal, and quotes the head of the message (a log tail under FallbackToLogsOnError). A run
// ended by a signal (exit code > 128, or `signal` set, or reason OOMKilled) has class MoverKilled.
MoverObservation interpret_lost_run(const nlohmann::json& terminated, const std::string& job);

// The result's error.class, else the class the controller named (error_class), else `fallback`:
// a run that left no result (killed, deadline) has a null `result`, on which json::value() throws.
std::string mover_error_class(const MoverObservation& seen, const std::string& fallback);

// A member of the mover's result (or of one of its objects) read without trusting its type: the
// result is outside input, may be null, and json::value() throws on either. result_member gives
// an empty object, the others `fallback`, when the member is absent or of another type.
const nlohmann::json& result_member(const nlohmann::json& object, const char* key);
std::string result_string(const nlohmann::json& object, const char* key,
                          const std::string& fallback = "");
std::int64_t result_int(const nlohmann::json& object, const char* key, std::int64_t fallback = 0);
bool result_bool(const nlohmann::json& object, const char* key, bool fallback = false);

}  // namespace kopiur::controller
