// Small helpers for reading nested JSON by path in the webhook's checks.
#pragma once

#include <string>
#include <vector>

#include "kopiur/support/json.hpp"

namespace kopiur::webhook::detail {

// The value at `path` below `root`, or nullptr when any step is missing or not an object.
inline const nlohmann::json* at(const nlohmann::json& root, const std::vector<std::string>& path) {
  const nlohmann::json* node = &root;
  for (const auto& key : path) {
    if (!node->is_object()) return nullptr;
    const auto it = node->find(key);
    if (it == node->end()) return nullptr;
    node = &*it;
  }
  return node;
}

// The string at `path`, or `fallback` when absent or not a string.
inline std::string string_at(const nlohmann::json& root, const std::vector<std::string>& path,
                             const std::string& fallback = {}) {
  const nlohmann::json* node = at(root, path);
  return node != nullptr && node->is_string() ? node->get<std::string>() : fallback;
}

// "spec.schedule.cron" for {"spec", "schedule", "cron"}.
inline std::string dotted(const std::vector<std::string>& path) {
  std::string out;
  for (const auto& key : path) out += (out.empty() ? "" : ".") + key;
  return out;
}

}  // namespace kopiur::webhook::detail
