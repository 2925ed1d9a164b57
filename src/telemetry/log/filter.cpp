// RUST_LOG parsing and matching (tracing-subscriber EnvFilter semantics, lossy on bad input).
// Differential test against the crate itself: tests/telemetry/log/differential_test.cpp.
#include "kopiur/telemetry/log/filter.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <unordered_map>

#include "telemetry/log/detail/text.hpp"

namespace kopiur::telemetry::log {
namespace {

// "`text`" + rest, built by appending: GCC 12 at -O3 reports a false -Wrestrict overlap for the
// equivalent `"`" + std::string(text) + ...` chain.
std::string backticked(std::string_view text, std::string_view rest) {
  std::string out;
  out.reserve(text.size() + rest.size() + 2);
  out += '`';
  out += text;
  out += '`';
  out += rest;
  return out;
}

constexpr std::string_view kLevelChoices = "off, error, warn, info, debug, trace (or 0-5)";

// tracing's `[\w:-]`: ASCII word characters, `:` and `-`; every non-ASCII byte is accepted so that
// Unicode targets (`ünï::cödé`) work (the `regex` crate's `\w` is Unicode-aware).
bool is_target_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == ':' || c == '-' || static_cast<unsigned char>(c) >= 0x80;
}

bool is_field_name(std::string_view name) noexcept {
  if (name.empty() || name.front() == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.';
  });
}

// Splits on commas that are not inside [...] or {...}: `[span{a=1,b=2}]` is one directive.
// One pass over the spec.
std::vector<std::string_view> split_directives(std::string_view spec) {
  std::vector<std::string_view> out;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < spec.size(); ++i) {
    const char c = spec[i];
    if (c == '[' || c == '{') {
      ++depth;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    } else if (c == ',' && depth == 0) {
      out.push_back(spec.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(spec.substr(start));
  return out;
}

std::string_view unquote(std::string_view value) noexcept {
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    return value.substr(1, value.size() - 2);
  }
  return value;
}

// Parses `{...}`'s inside: comma-separated `name` or `name=value`; blank items are ignored, so
// `{}` is no condition at all (as in tracing).
std::optional<std::string> parse_fields(std::string_view body, Directive& out) {
  std::size_t start = 0;
  while (start <= body.size()) {
    std::size_t comma = body.find(',', start);
    if (comma == std::string_view::npos) comma = body.size();
    const std::string_view item = detail::trim(body.substr(start, comma - start));
    start = comma + 1;
    if (item.empty()) continue;
    FieldMatch match;
    const std::size_t eq = item.find('=');
    const std::string_view field_name = detail::trim(item.substr(0, eq));
    if (!is_field_name(field_name)) {
      return backticked(field_name, " is not a field name (letters, digits, `_` and `.`)");
    }
    match.name = std::string(field_name);
    if (eq != std::string_view::npos) {
      // As tracing: the value ends at a further `=`.
      std::string_view value = item.substr(eq + 1);
      value = detail::trim(value.substr(0, value.find('=')));
      value = unquote(value);
      if (value.empty()) return backticked(item, ": no value after `=`");
      if (auto reason = compile_field_value(value, match)) return reason;
    }
    out.fields.push_back(std::move(match));
  }
  return std::nullopt;
}

// Parses the inside of `[...]`: `name`, `name{fields}`, `{fields}` or nothing (no span filter).
std::optional<std::string> parse_span_part(std::string_view text, Directive& out) {
  const std::size_t brace = text.find('{');
  const std::string_view name = detail::trim(text.substr(0, brace));
  if (name.find_first_of("{}") != std::string_view::npos) {
    return std::string("the span name may not contain braces");
  }
  out.span = std::string(name);
  if (brace == std::string_view::npos) return std::nullopt;
  const std::size_t close = text.find('}', brace);
  if (close == std::string_view::npos) {
    return std::string("a field list `{...}` is not closed");
  }
  if (!detail::trim(text.substr(close + 1)).empty()) {
    return std::string("nothing may follow the field list `{...}` inside `[...]`");
  }
  return parse_fields(text.substr(brace + 1, close - brace - 1), out);
}

// The selector before `=`: up to two parts, a target and a `[span]` in either order (as
// tracing's grammar allows).
std::optional<std::string> parse_selector(std::string_view selector, Directive& out) {
  std::size_t pos = 0;
  bool have_target = false;
  bool have_span = false;
  while (pos < selector.size()) {
    if (selector[pos] == '[') {
      const std::size_t close = selector.find(']', pos + 1);
      if (close == std::string_view::npos) {
        return std::string("the span filter `[...]` is not closed");
      }
      if (have_span) return std::string("more than one span filter `[...]`");
      have_span = true;
      if (auto reason = parse_span_part(selector.substr(pos + 1, close - pos - 1), out)) {
        return reason;
      }
      pos = close + 1;
      continue;
    }
    std::size_t end = pos;
    while (end < selector.size() && is_target_char(selector[end])) ++end;
    if (end == pos || have_target) {
      return backticked(selector, " is not a target (letters, digits, `_`, `-` and `::` only)");
    }
    have_target = true;
    const std::string_view target = selector.substr(pos, end - pos);
    // As tracing: a target spelled like a level is no target (`trace=info` is a default level).
    if (!parse_level(target)) out.target = std::string(target);
    pos = end;
  }
  return std::nullopt;
}

// Parses one non-empty directive; returns a reason when it is invalid.
std::optional<std::string> parse_directive(std::string_view text, Directive& out) {
  if (auto level = parse_level(text)) {  // a bare level: the default
    out.level = *level;
    return std::nullopt;
  }
  // The level follows the last '=' outside [...] (span fields use '=' too).
  std::size_t eq = std::string_view::npos;
  int depth = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '[' || text[i] == '{') ++depth;
    if ((text[i] == ']' || text[i] == '}') && depth > 0) --depth;
    if (text[i] == '=' && depth == 0) eq = i;
  }
  std::string_view selector = text;
  out.level = Level::Trace;  // a bare target, or `target=`, enables everything under it
  if (eq != std::string_view::npos) {
    const std::string_view level_text = detail::trim(text.substr(eq + 1));
    if (!level_text.empty()) {
      auto level = parse_level(level_text);
      if (!level) {
        return backticked(level_text,
                          " is not a level (expected one of " + std::string(kLevelChoices) + ")");
      }
      out.level = *level;
    }
    selector = detail::trim(text.substr(0, eq));
    if (selector.empty()) return std::string("nothing before `=` (expected a target or a [span])");
  }
  return parse_selector(selector, out);
}

// Directives that replace each other: same target, span name and field conditions as written.
std::string identity(const Directive& d) {
  std::string key = d.target;
  key += '\0';
  key += d.span;
  for (const FieldMatch& f : d.fields) {
    key += '\0';
    key += f.name;
    if (f.value) {
      key += '=';
      key += *f.value;
    }
  }
  return key;
}

}  // namespace

std::optional<Level> parse_level(std::string_view text) noexcept {
  text = detail::trim(text);
  if (text.size() > 5) return std::nullopt;
  std::array<char, 5> lower{};
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    lower[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  const std::string_view word(lower.data(), text.size());
  if (word == "off" || word == "0") return Level::Off;
  if (word == "error" || word == "1") return Level::Error;
  if (word == "warn" || word == "2") return Level::Warn;
  if (word == "info" || word == "3") return Level::Info;
  if (word == "debug" || word == "4") return Level::Debug;
  if (word == "trace" || word == "5") return Level::Trace;
  return std::nullopt;
}

std::string Directive::to_string() const {
  std::string out = target;
  if (is_span_directive()) {
    out += '[';
    out += span;
    if (!fields.empty()) {
      out += '{';
      for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i > 0) out += ',';
        out += fields[i].name;
        if (fields[i].value) {
          out += '=';
          out += *fields[i].value;
        }
      }
      out += '}';
    }
    out += ']';
  }
  std::string level_name(log::to_string(level));
  std::transform(level_name.begin(), level_name.end(), level_name.begin(), [](char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  if (out.empty()) return level_name;
  return out + "=" + level_name;
}

Filter::Filter() {
  Directive info;
  info.level = Level::Info;
  in_order_ = {"info"};
  std::vector<Directive> one;
  one.push_back(std::move(info));
  build(std::move(one));
}

Filter Filter::from_level(Level level) {
  Filter filter;
  Directive d;
  d.level = level;
  filter.in_order_ = {d.to_string()};
  std::vector<Directive> one;
  one.push_back(std::move(d));
  filter.build(std::move(one));
  return filter;
}

FilterParse Filter::parse(std::string_view spec) {
  FilterParse result;
  std::vector<Directive> directives;
  std::vector<std::string> in_order;
  for (std::string_view raw : split_directives(spec)) {
    std::string_view text = detail::trim(raw);
    if (text.empty()) continue;  // "info,,debug" and a trailing comma are harmless
    Directive directive;
    if (auto reason = parse_directive(text, directive)) {
      result.warnings.push_back("ignoring RUST_LOG directive `" + std::string(text) +
                                "`: " + *reason);
      continue;
    }
    in_order.push_back(directive.to_string());
    directives.push_back(std::move(directive));
  }
  if (directives.empty()) {
    if (!result.warnings.empty()) {
      result.warnings.push_back("RUST_LOG has no valid directive; using `info`");
    }
    return result;  // the default filter: info
  }
  result.filter.in_order_ = std::move(in_order);
  result.filter.build(std::move(directives));
  return result;
}

void Filter::build(std::vector<Directive> directives) {
  target_directives_.clear();
  span_directives_.clear();
  max_level_ = Level::Off;
  span_max_ = Level::Off;
  // A later directive replaces an earlier one with the same identity, in place: one hash lookup
  // per directive, then one sort, so parse() stays O(n log n) for thousands of directives.
  std::unordered_map<std::string, std::size_t> target_index;
  std::unordered_map<std::string, std::size_t> span_index;
  Level asked_max = Level::Off;
  for (Directive& d : directives) {
    const bool span = d.is_span_directive();
    // As tracing: the most verbose level ever asked for, replaced directives included.
    if (span) span_max_ = std::max(span_max_, d.level);
    asked_max = std::max(asked_max, d.level);
    auto& index = span ? span_index : target_index;
    auto& list = span ? span_directives_ : target_directives_;
    auto [it, inserted] = index.try_emplace(identity(d), list.size());
    if (inserted) {
      list.push_back(std::move(d));
    } else {
      list[it->second] = std::move(d);
    }
  }
  std::stable_sort(
      target_directives_.begin(), target_directives_.end(),
      [](const Directive& a, const Directive& b) { return a.target.size() > b.target.size(); });
  max_level_ = span_max_;
  for (const Directive& d : target_directives_) max_level_ = std::max(max_level_, d.level);
  const bool value_conditions =
      std::any_of(span_directives_.begin(), span_directives_.end(), [](const Directive& d) {
        return std::any_of(d.fields.begin(), d.fields.end(),
                           [](const FieldMatch& f) { return f.value.has_value(); });
      });
  span_enable_max_ = value_conditions ? Level::Trace : asked_max;
  // The global gate must let such spans be created (their events stay filtered).
  max_level_ = std::max(max_level_, span_enable_max_);
}

Level Filter::static_level(std::string_view target) const noexcept {
  for (const Directive& d : target_directives_) {
    if (target.substr(0, d.target.size()) == d.target) return d.level;
  }
  return Level::Off;
}

std::optional<Level> Filter::span_scope_level(std::string_view target, std::string_view name,
                                              std::span<const OwnedField> fields) const {
  std::optional<Level> best;
  for (const Directive& d : span_directives_) {
    if (target.substr(0, d.target.size()) != d.target) continue;
    if (!d.span.empty() && d.span != name) continue;
    // The directive is about this span when the span has every field it names ...
    bool has_names = true;
    bool values_match = true;
    for (const FieldMatch& m : d.fields) {
      auto field = std::find_if(fields.begin(), fields.end(),
                                [&](const OwnedField& f) { return f.name == m.name; });
      if (field == fields.end()) {
        has_names = false;
        break;
      }
      if (!m.matches(*field)) values_match = false;
    }
    if (!has_names) continue;
    // ... and enables events inside it when the values match too.
    const Level level = values_match ? d.level : Level::Off;
    if (!best || level > *best) best = level;
  }
  return best;
}

std::string Filter::to_string() const {
  std::string out;
  for (const std::string& d : in_order_) {
    if (!out.empty()) out += ',';
    out += d;
  }
  return out;
}

}  // namespace kopiur::telemetry::log
