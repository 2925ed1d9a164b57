// File: kopiur/telemetry/log/fields.hpp
//
// kv() and err(): typed structured fields for events and spans.
//
//   KOPIUR_INFO("backup finished", log::kv("bytes", stats.bytes), log::kv("ok", true));
//   KOPIUR_WARN("snapshot failed", log::err(e));   // e: a std::exception or a message
//
// A Field borrows its name and any string value: it must not outlive the full expression that
// built it (the logging macros use it within that expression, so this is automatic there).
// Building a field is a few register moves; nothing allocates. Nothing here throws.
#pragma once

#include <concepts>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <type_traits>

#include "kopiur/telemetry/log/event.hpp"

namespace kopiur::telemetry::log {

// kv: a field from a name and a string, integer, floating-point or bool value.
inline Field kv(std::string_view name, std::string_view value) noexcept { return {name, value}; }
inline Field kv(std::string_view name, const char* value) noexcept {
  return {name, std::string_view(value != nullptr ? value : "")};
}
inline Field kv(std::string_view name, const std::string& value) noexcept {
  return {name, std::string_view(value)};
}
inline Field kv(std::string_view name, bool value) noexcept { return {name, value}; }
template <std::signed_integral T>
requires(!std::same_as<T, bool> && !std::same_as<T, char>) inline Field
    kv(std::string_view name, T value) noexcept {
  return {name, static_cast<std::int64_t>(value)};
}
template <std::unsigned_integral T>
requires(!std::same_as<T, bool>) inline Field kv(std::string_view name, T value) noexcept {
  return {name, static_cast<std::uint64_t>(value)};
}
template <std::floating_point T>
inline Field kv(std::string_view name, T value) noexcept {
  return {name, static_cast<double>(value)};
}
inline Field kv(std::string_view name, ErrorValue value) noexcept { return {name, value}; }
inline Field kv(std::string_view name, const std::exception& e) noexcept {
  return {name, ErrorValue{e.what()}};
}

// err: the conventional `error` field, rendered as the error's message.
inline Field err(const std::exception& e) noexcept { return {"error", ErrorValue{e.what()}}; }
inline Field err(std::string_view message) noexcept { return {"error", ErrorValue{message}}; }

}  // namespace kopiur::telemetry::log
