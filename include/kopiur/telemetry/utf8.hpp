// File: kopiur/telemetry/utf8.hpp
//
// UTF-8 validation and repair shared by the log formatters, metric attributes and the resource:
// every string kopiur exports (log lines, Prometheus label values, OTLP strings) must be valid
// UTF-8, so invalid input is repaired where it enters, one U+FFFD per invalid byte.
//
//   std::string value = sanitize_utf8("bad\xFFx");  // "bad\uFFFDx"
//
// Thread-safety: pure functions. Cost: one pass over the bytes; ASCII runs are skipped quickly.
// Failures: none but std::bad_alloc from the functions that build a string. Implemented in
// kopiur_log.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace kopiur::telemetry {

inline constexpr std::string_view kUtf8Replacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence starting at text[i] (i < text.size()), or 0 if it is
// invalid there (overlongs, surrogates and code points past U+10FFFF are invalid).
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) noexcept;

// True when every byte of `text` belongs to a valid UTF-8 sequence.
bool is_valid_utf8(std::string_view text) noexcept;

// Appends `text` with each byte that starts no valid sequence replaced by U+FFFD.
void append_utf8_sanitized(std::string& out, std::string_view text);
[[nodiscard]] std::string sanitize_utf8(std::string_view text);

}  // namespace kopiur::telemetry
