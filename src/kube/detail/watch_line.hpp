// decode_watch_line(): one line of a watch stream (`{"type":"ADDED","object":{...}}`) to a
// WatchEvent, or nullopt for a line that is not a JSON object (tolerated and skipped, so one bad
// line never fails a watch). An unknown or missing type reads as kError. Header-only so the watch
// fuzzer (tests/fuzz/watch_stream_fuzz.cpp) decodes exactly what Client::watch decodes.
#pragma once

#include <optional>
#include <string_view>

#include "kopiur/kube/client.hpp"
#include "kopiur/support/json.hpp"

namespace kopiur::kube::detail {

inline WatchEvent::Type watch_event_type(std::string_view type) {
  if (type == "ADDED") return WatchEvent::Type::kAdded;
  if (type == "MODIFIED") return WatchEvent::Type::kModified;
  if (type == "DELETED") return WatchEvent::Type::kDeleted;
  if (type == "BOOKMARK") return WatchEvent::Type::kBookmark;
  return WatchEvent::Type::kError;
}

inline std::optional<WatchEvent> decode_watch_line(std::string_view line) {
  auto parsed = nlohmann::json::parse(line, nullptr, false);
  if (!parsed.is_object()) return std::nullopt;
  WatchEvent event;
  const auto type = parsed.find("type");
  event.type = type != parsed.end() && type->is_string()
                   ? watch_event_type(type->get_ref<const std::string&>())
                   : WatchEvent::Type::kError;
  event.object = std::move(parsed["object"]);
  return event;
}

}  // namespace kopiur::kube::detail
