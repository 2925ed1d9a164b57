// Span field conditions of RUST_LOG directives: `{name=value}` values typed as tracing-subscriber
// types them (bool, u64, i64, f64, else a regular expression that must match a suffix of the
// value).
#include <charconv>
#include <cmath>
#include <limits>
#include <regex>
#include <string>
#include <string_view>

#include "kopiur/telemetry/log/filter.hpp"

namespace kopiur::telemetry::log {

struct FieldRegex {
  std::regex re;
};

namespace {

// Rust's integer parse: an optional sign ('-' only for signed), then digits only.
template <typename Int>
bool parse_int(std::string_view text, Int& out) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty() || text.front() == '+') return false;
  auto res = std::from_chars(text.data(), text.data() + text.size(), out);
  return res.ec == std::errc() && res.ptr == text.data() + text.size();
}

bool parse_float(std::string_view text, double& out) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty() || text.front() == '+') return false;
  auto res = std::from_chars(text.data(), text.data() + text.size(), out);
  return res.ec == std::errc() && res.ptr == text.data() + text.size();
}

// The `regex` crate's DFA (what tracing-subscriber uses here) refuses anchors and word
// boundaries; refuse them too, outside character classes, so the same directives are rejected.
std::optional<std::string> unsupported_regex(std::string_view pattern) {
  bool in_class = false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      const char next = pattern[++i];
      if (!in_class && (next == 'A' || next == 'z' || next == 'b' || next == 'B')) {
        return std::string("anchors and word boundaries (^, $, \\A, \\z, \\b) are not supported");
      }
      if (next >= '1' && next <= '9') return std::string("back-references are not supported");
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      continue;
    }
    if (c == '[') {
      in_class = true;
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') ++i;
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') ++i;  // `[]...]`: a literal `]`
    } else if (c == '^' || c == '$') {
      return std::string("anchors and word boundaries (^, $, \\A, \\z, \\b) are not supported");
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> compile_field_value(std::string_view value, FieldMatch& out) {
  out.value = std::string(value);
  if (value == "true" || value == "false") {
    out.kind = FieldMatch::Kind::kBool;
    out.boolean = value == "true";
  } else if (parse_int(value, out.u64)) {
    out.kind = FieldMatch::Kind::kU64;
  } else if (parse_int(value, out.i64)) {
    out.kind = FieldMatch::Kind::kI64;
  } else if (parse_float(value, out.f64)) {
    out.kind = std::isnan(out.f64) ? FieldMatch::Kind::kNaN : FieldMatch::Kind::kF64;
  } else {
    if (auto reason = unsupported_regex(value)) return reason;
    try {
      // Compiled alone first, so an error names the user's pattern, not the wrapper below.
      const std::regex check{std::string(value), std::regex::ECMAScript};
      // tracing-subscriber runs an unanchored DFA over the value and asks whether it ends in a
      // match state: the pattern must match a suffix of the value (`up` matches `Backup`).
      out.regex = std::make_shared<const FieldRegex>(FieldRegex{
          std::regex("[\\s\\S]*(?:" + std::string(value) + ")",
                     // libstdc++'s breadth-first matcher: its default depth-first one recurses
                     // once per character and overflows the stack on long values.
                     std::regex::ECMAScript | std::regex_constants::__polynomial)});
    } catch (const std::regex_error& e) {
      return "`" + std::string(value) + "` is not a valid regular expression (" + e.what() + ")";
    }
    out.kind = FieldMatch::Kind::kRegex;
  }
  return std::nullopt;
}

bool FieldMatch::matches(const OwnedField& field) const {
  const auto& v = field.value;
  switch (kind) {
    case Kind::kAny:
      return true;
    case Kind::kBool:
      return std::holds_alternative<bool>(v) && std::get<bool>(v) == boolean;
    case Kind::kU64:
      // As tracing: a u64 condition also matches a signed field holding the same value.
      if (std::holds_alternative<std::uint64_t>(v)) return std::get<std::uint64_t>(v) == u64;
      return std::holds_alternative<std::int64_t>(v) && std::get<std::int64_t>(v) >= 0 &&
             static_cast<std::uint64_t>(std::get<std::int64_t>(v)) == u64;
    case Kind::kI64:
      return std::holds_alternative<std::int64_t>(v) && std::get<std::int64_t>(v) == i64;
    case Kind::kF64:
      return std::holds_alternative<double>(v) &&
             std::fabs(std::get<double>(v) - f64) < std::numeric_limits<double>::epsilon();
    case Kind::kNaN:
      return std::holds_alternative<double>(v) && std::isnan(std::get<double>(v));
    case Kind::kRegex:
      if (!std::holds_alternative<std::string>(v) || regex == nullptr) return false;
      try {
        return std::regex_match(std::get<std::string>(v), regex->re);
      } catch (const std::exception&) {
        return false;  // out of memory or a complexity limit: no match, no crash
      }
  }
  return false;
}

}  // namespace kopiur::telemetry::log
