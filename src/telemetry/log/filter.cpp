// RUST_LOG parsing and matching (tracing-subscriber EnvFilter semantics, lossy on bad input).
#include "kopiur/telemetry/log/filter.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <string>
#include <type_traits>
#include <variant>

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

bool is_target_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == ':' || c == '-' || c == '.';
}

// Splits on commas that are not inside [...] or {...}: `[span{a=1,b=2}]` is one directive.
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

// Parses the inside of `[...]`: `name`, `name{fields}` or `{fields}`. Returns a reason on error.
std::optional<std::string> parse_span_part(std::string_view text, Directive& out) {
  const std::size_t brace = text.find('{');
  std::string_view name = detail::trim(text.substr(0, brace));
  if (name.find_first_of("[]{}") != std::string_view::npos) {
    return "the span name may not contain brackets or braces";
  }
  out.span = std::string(name);
  if (brace == std::string_view::npos) {
    if (out.span.empty()) return std::string("the span filter `[]` is empty");
    return std::nullopt;
  }
  if (text.back() != '}') return std::string("a field list `{...}` must close the span filter");
  std::string_view body = text.substr(brace + 1, text.size() - brace - 2);
  if (detail::trim(body).empty()) return std::string("the field list `{}` is empty");
  std::size_t start = 0;
  while (start <= body.size()) {
    std::size_t comma = body.find(',', start);
    if (comma == std::string_view::npos) comma = body.size();
    std::string_view item = detail::trim(body.substr(start, comma - start));
    if (item.empty()) return std::string("a field in `{...}` is empty");
    FieldMatch match;
    const std::size_t eq = item.find('=');
    std::string_view field_name = detail::trim(item.substr(0, eq));
    if (field_name.empty() || field_name.find_first_of("{}[]\"") != std::string_view::npos) {
      return backticked(item, " is not a field name");
    }
    match.name = std::string(field_name);
    if (eq != std::string_view::npos) {
      match.value = std::string(unquote(detail::trim(item.substr(eq + 1))));
    }
    out.fields.push_back(std::move(match));
    start = comma + 1;
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
  if (eq != std::string_view::npos) {
    std::string_view level_text = detail::trim(text.substr(eq + 1));
    auto level = parse_level(level_text);
    if (!level) {
      if (level_text.empty())
        return std::string("no level after `=` (expected ") + std::string(kLevelChoices) + ")";
      return backticked(level_text,
                        " is not a level (expected one of " + std::string(kLevelChoices) + ")");
    }
    out.level = *level;
    selector = detail::trim(text.substr(0, eq));
    if (selector.empty()) return std::string("nothing before `=` (expected a target or a [span])");
  } else {
    out.level = Level::Trace;  // a bare target enables everything under it
  }
  const std::size_t bracket = selector.find('[');
  std::string_view target = detail::trim(selector.substr(0, bracket));
  for (char c : target) {
    if (!is_target_char(c)) {
      return backticked(target, " is not a target (letters, digits, `_`, `-`, `.` and `::` only)");
    }
  }
  out.target = std::string(target);
  if (bracket != std::string_view::npos) {
    if (selector.back() != ']') return std::string("the span filter `[...]` is not closed");
    std::string_view inner = selector.substr(bracket + 1, selector.size() - bracket - 2);
    if (inner.find_first_of("[]") != std::string_view::npos) {
      return std::string("more than one span filter `[...]`");
    }
    if (auto reason = parse_span_part(inner, out)) return reason;
  }
  return std::nullopt;
}

std::string render_value(const OwnedField& field) {
  return std::visit(
      [](const auto& value) -> std::string {
        using T = std::decay_t<decltype(value)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return value;
        } else if constexpr (std::is_same_v<T, bool>) {
          return value ? "true" : "false";
        } else if constexpr (std::is_same_v<T, double>) {
          std::array<char, 64> buf{};
          auto res = std::to_chars(buf.data(), buf.data() + buf.size(), value);
          return std::string(buf.data(), res.ptr);
        } else {
          return std::to_string(value);
        }
      },
      field.value);
}

bool field_matches(const FieldMatch& match, std::span<const OwnedField> fields) {
  for (const OwnedField& field : fields) {
    if (field.name != match.name) continue;
    if (!match.value) return true;
    const std::string rendered = render_value(field);
    if (rendered == *match.value) return true;
    // Numbers written differently (1 vs 1.0) still match.
    if (std::holds_alternative<double>(field.value)) {
      double wanted = 0;
      const auto& v = *match.value;
      auto res = std::from_chars(v.data(), v.data() + v.size(), wanted);
      if (res.ec == std::errc() && res.ptr == v.data() + v.size() &&
          wanted == std::get<double>(field.value)) {
        return true;
      }
    }
  }
  return false;
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
  add(std::move(info));
  in_order_ = {"info"};
}

Filter Filter::from_level(Level level) {
  Filter filter;
  filter.target_directives_.clear();
  filter.in_order_.clear();
  filter.max_level_ = Level::Off;
  Directive d;
  d.level = level;
  filter.in_order_.push_back(d.to_string());
  filter.add(std::move(d));
  return filter;
}

FilterParse Filter::parse(std::string_view spec) {
  FilterParse result;
  Filter& filter = result.filter;
  filter.target_directives_.clear();
  filter.in_order_.clear();
  filter.max_level_ = Level::Off;
  bool any = false;
  for (std::string_view raw : split_directives(spec)) {
    std::string_view text = detail::trim(raw);
    if (text.empty()) continue;  // "info,,debug" and a trailing comma are harmless
    Directive directive;
    if (auto reason = parse_directive(text, directive)) {
      result.warnings.push_back("ignoring RUST_LOG directive `" + std::string(text) +
                                "`: " + *reason);
      continue;
    }
    filter.in_order_.push_back(directive.to_string());
    filter.add(std::move(directive));
    any = true;
  }
  if (!any) {
    if (!result.warnings.empty()) {
      result.warnings.push_back("RUST_LOG has no valid directive; using `info`");
    }
    filter = Filter();
  }
  return result;
}

void Filter::add(Directive directive) {
  max_level_ = std::max(max_level_, directive.level);
  if (directive.is_span_directive()) {
    span_max_ = std::max(span_max_, directive.level);
    span_directives_.push_back(std::move(directive));
    return;
  }
  // The same target written twice: the later directive wins.
  auto same = std::find_if(target_directives_.begin(), target_directives_.end(),
                           [&](const Directive& d) { return d.target == directive.target; });
  if (same != target_directives_.end()) {
    *same = std::move(directive);
  } else {
    target_directives_.push_back(std::move(directive));
  }
  std::stable_sort(
      target_directives_.begin(), target_directives_.end(),
      [](const Directive& a, const Directive& b) { return a.target.size() > b.target.size(); });
  max_level_ = span_max_;
  for (const Directive& d : target_directives_) max_level_ = std::max(max_level_, d.level);
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
    if (!std::all_of(d.fields.begin(), d.fields.end(),
                     [&](const FieldMatch& m) { return field_matches(m, fields); })) {
      continue;
    }
    if (!best || d.level > *best) best = d.level;
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
