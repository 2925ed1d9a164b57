// Reading fields of objects that users wrote: every accessor tolerates a missing field, a null or
// a value of the wrong type and returns the fallback, so a malformed object is treated as
// "not set" instead of throwing from a controller loop.
#pragma once

#include <cstdint>
#include <string>

#include "kopiur/support/json.hpp"

namespace kopiur::localkube::detail::field {

// The member `key` of `object`, or null when object is not an object or lacks it.
inline const nlohmann::json& get(const nlohmann::json& object, const char* key) {
  static const nlohmann::json kNull;
  if (!object.is_object()) return kNull;
  const auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

inline std::string text(const nlohmann::json& object, const char* key,
                        const std::string& fallback = "") {
  const auto& value = get(object, key);
  return value.is_string() ? value.get<std::string>() : fallback;
}

inline std::int64_t integer(const nlohmann::json& object, const char* key, std::int64_t fallback) {
  const auto& value = get(object, key);
  return value.is_number_integer() ? value.get<std::int64_t>() : fallback;
}

inline bool flag(const nlohmann::json& object, const char* key, bool fallback = false) {
  const auto& value = get(object, key);
  return value.is_boolean() ? value.get<bool>() : fallback;
}

// The array `key`, or an empty array.
inline const nlohmann::json& list(const nlohmann::json& object, const char* key) {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  const auto& value = get(object, key);
  return value.is_array() ? value : kEmpty;
}

// The object `key`, or an empty object.
inline const nlohmann::json& map(const nlohmann::json& object, const char* key) {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  const auto& value = get(object, key);
  return value.is_object() ? value : kEmpty;
}

}  // namespace kopiur::localkube::detail::field
