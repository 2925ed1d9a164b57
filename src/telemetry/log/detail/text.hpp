// Internal: string helpers shared by the filter, the formatters and init: trimming, escaping
// (JSON and text, with invalid UTF-8 replaced by U+FFFD) and RFC 3339 timestamps.
#pragma once

#include <string>
#include <string_view>

#include "kopiur/telemetry/log/event.hpp"

namespace kopiur::telemetry::log::detail {

inline std::string_view trim(std::string_view text) noexcept {
  constexpr std::string_view kBlank = " \t\r\n\f\v";
  const std::size_t first = text.find_first_not_of(kBlank);
  if (first == std::string_view::npos) return {};
  const std::size_t last = text.find_last_not_of(kBlank);
  return text.substr(first, last - first + 1);
}

// Appends `text` as the inside of a JSON string: quotes, backslashes and control characters
// escaped, invalid UTF-8 replaced by U+FFFD.
void append_json_escaped(std::string& out, std::string_view text);
// Appends `text` for a text-format line: control characters as \n, \t, \u{1b}..., invalid UTF-8
// as U+FFFD; with `quote`, also escapes '"' and '\\' (the caller adds the quotes).
void append_text_escaped(std::string& out, std::string_view text, bool quote);
// True when `text` can be printed bare as a text-format field value (no blanks, quotes, '=',
// control or non-ASCII bytes, not empty).
bool is_bare_text(std::string_view text) noexcept;

// Appends `2026-01-02T03:04:05.000006Z`; caches the date part per thread.
void append_rfc3339_micros(std::string& out, Clock::time_point time);

// Appends a double the shortest way that reads back exactly; non-finite as written by JSON
// encoders that cannot represent them (`null` when `json`, else nan/inf/-inf).
void append_double(std::string& out, double value, bool json);

}  // namespace kopiur::telemetry::log::detail
