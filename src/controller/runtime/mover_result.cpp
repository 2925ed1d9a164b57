#include "kopiur/controller/mover_result.hpp"

#include <algorithm>
#include <utility>

namespace kopiur::controller {

namespace {

using nlohmann::json;

constexpr std::size_t kQuotedHead = 300;

// The head of a pod's message quoted in a failure, cut at a character boundary: a cut inside a
// UTF-8 sequence would make the status unwritable (nlohmann::json::dump() throws on it).
std::string quoted_head(const std::string& message) {
  std::size_t end = std::min(message.size(), kQuotedHead);
  while (end > 0 && end < message.size() &&
         (static_cast<unsigned char>(message[end]) & 0xC0) == 0x80) {
    --end;
  }
  return message.substr(0, end);
}

// The name of the signals a container is commonly ended by ("" for others).
const char* signal_name(std::int64_t signal) {
  static constexpr std::pair<int, const char*> kNames[] = {{1, "SIGHUP"},   {2, "SIGINT"},
                                                           {6, "SIGABRT"},  {9, "SIGKILL"},
                                                           {11, "SIGSEGV"}, {15, "SIGTERM"}};
  for (const auto& [number, name] : kNames) {
    if (number == signal) return name;
  }
  return "";
}

}  // namespace

const json& result_member(const json& object, const char* key) {
  static const json kEmpty = json::object();
  if (!object.is_object()) return kEmpty;
  const auto it = object.find(key);
  return it != object.end() && it->is_object() ? *it : kEmpty;
}

std::int64_t result_int(const json& object, const char* key, std::int64_t fallback) {
  if (!object.is_object()) return fallback;
  const auto it = object.find(key);
  return it != object.end() && it->is_number_integer() ? it->get<std::int64_t>() : fallback;
}

bool result_bool(const json& object, const char* key, bool fallback) {
  if (!object.is_object()) return fallback;
  const auto it = object.find(key);
  return it != object.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

std::string result_string(const json& object, const char* key, const std::string& fallback) {
  if (!object.is_object()) return fallback;
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : fallback;
}

MoverObservation interpret_result(const std::string& message) {
  MoverObservation out;
  const json doc = json::parse(message, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("result")) {
    out.state = MoverState::kFailed;
    std::string head = quoted_head(message);
    out.failure = head.empty() ? "the mover left no result"
                               : "the mover left no result; its last output: " + head;
    out.log_tail = message;
    return out;
  }
  out.result = doc;
  const json& timing = result_member(doc, "timing");
  out.start_time = result_string(timing, "startTime", "");
  out.end_time = result_string(timing, "endTime", "");
  const std::string result = result_string(doc, "result", "");
  if (result == "succeeded") {
    out.state = MoverState::kSucceeded;
    return out;
  }
  out.state = MoverState::kFailed;
  const json& error = result_member(doc, "error");
  out.failure = result_string(error, "class", "Unknown") + ": " +
                result_string(error, "message",
                              "the mover reported " + (result.empty() ? "failure" : result));
  out.log_tail = result_string(error, "tail", "");
  const auto retry = error.find("retryable");
  out.retryable = retry != error.end() && retry->is_boolean() && retry->get<bool>();
  return out;
}

MoverObservation interpret_lost_run(const json& terminated, const std::string& job) {
  MoverObservation out;
  out.state = MoverState::kFailed;
  const std::string message = result_string(terminated, "message");
  const std::string reason = result_string(terminated, "reason");
  const std::int64_t code = result_int(terminated, "exitCode");
  // A container runtime reports a signal's end as 128 + the signal; some also set `signal`.
  std::int64_t signal = result_int(terminated, "signal");
  if (signal == 0 && code > 128 && code < 128 + 65) signal = code - 128;
  const bool killed = signal != 0 || reason == "OOMKilled";
  std::string detail = "exit code " + std::to_string(code);
  if (!reason.empty()) detail += ", reason " + reason;
  std::string what = "the mover of Job " + job;
  if (killed) {
    // "was killed by SIGKILL (signal 9, exit code 137, reason Error)"
    out.error_class = "MoverKilled";
    const std::string name = signal_name(signal);
    if (signal != 0) detail = "signal " + std::to_string(signal) + ", " + detail;
    what += " was killed" + (name.empty() ? std::string() : " by " + name) + " (" + detail +
            ") before it wrote a result";
  } else {
    what += " ended (" + detail + ") without writing a result";
  }
  if (reason == "OOMKilled") what += "; raise the mover's memory limit";
  if (!message.empty()) what += "; its last output: " + quoted_head(message);
  out.failure = what;
  out.log_tail = message;
  out.start_time = result_string(terminated, "startedAt");
  out.end_time = result_string(terminated, "finishedAt");
  return out;
}

std::string mover_error_class(const MoverObservation& seen, const std::string& fallback) {
  const std::string own = seen.error_class.empty() ? fallback : seen.error_class;
  return result_string(result_member(seen.result, "error"), "class", own);
}

}  // namespace kopiur::controller
