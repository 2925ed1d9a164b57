#include "kopiur/controller/mover_result.hpp"

namespace kopiur::controller {

namespace {

using nlohmann::json;

// The member `key` of `object` when it is a string, else `fallback`: the message comes from a
// pod, so json::value() (which throws on a type mismatch) is not safe here.
std::string result_text(const json& object, const char* key, const std::string& fallback) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : fallback;
}

const json& result_object(const json& object, const char* key) {
  static const json kEmpty = json::object();
  const auto it = object.find(key);
  return it != object.end() && it->is_object() ? *it : kEmpty;
}

}  // namespace

MoverObservation interpret_result(const std::string& message) {
  MoverObservation out;
  const json doc = json::parse(message, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("result")) {
    out.state = MoverState::kFailed;
    std::string head = message.substr(0, 300);
    out.failure = head.empty() ? "the mover left no result"
                               : "the mover left no result; its last output: " + head;
    out.log_tail = message;
    return out;
  }
  out.result = doc;
  const json& timing = result_object(doc, "timing");
  out.start_time = result_text(timing, "startTime", "");
  out.end_time = result_text(timing, "endTime", "");
  const std::string result = result_text(doc, "result", "");
  if (result == "succeeded") {
    out.state = MoverState::kSucceeded;
    return out;
  }
  out.state = MoverState::kFailed;
  const json& error = result_object(doc, "error");
  out.failure =
      result_text(error, "class", "Unknown") + ": " +
      result_text(error, "message", "the mover reported " + (result.empty() ? "failure" : result));
  out.log_tail = result_text(error, "tail", "");
  const auto retry = error.find("retryable");
  out.retryable = retry != error.end() && retry->is_boolean() && retry->get<bool>();
  return out;
}

std::string mover_error_class(const MoverObservation& seen, const std::string& fallback) {
  if (!seen.result.is_object()) return fallback;
  return result_text(result_object(seen.result, "error"), "class", fallback);
}

}  // namespace kopiur::controller
