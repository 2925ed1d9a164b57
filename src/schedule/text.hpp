// Small text helpers for kopiur_schedule's messages.
#pragma once

#include <string>
#include <string_view>

namespace kopiur::schedule::detail {

// ASCII case-insensitive equality (cron names and macros, zone name hints).
inline bool equal_fold(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// `text` in double quotes, cut at 64 characters so a huge input cannot make a huge message.
inline std::string quoted(std::string_view text) {
  constexpr std::size_t kMax = 64;
  if (text.size() <= kMax) return "\"" + std::string(text) + "\"";
  return "\"" + std::string(text.substr(0, kMax)) + "...\"";
}

}  // namespace kopiur::schedule::detail
