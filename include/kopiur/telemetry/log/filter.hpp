// File: kopiur/telemetry/log/filter.hpp
//
// Filter: RUST_LOG directives with tracing-subscriber EnvFilter semantics.
//
//   auto parsed =
//   log::Filter::parse("info,kopia=debug,kopiur_controller[reconcile{kind=Backup}]=trace"); for
//   (auto& w : parsed.warnings) ...;   // one per skipped directive, naming it and why
//
// Syntax: directives separated by commas, each `target[span{field=value,...}]=level` with every
// part optional: `level` sets the default; `target=level`; a bare `target` or `target=` means
// trace; `off` silences. Levels are case-insensitive (off, error, warn, info, debug, trace, 0-5).
// A target spelled like a level (`trace=info`) is a default level, `[]` means no span filter and
// `{}` no field condition, as in tracing-subscriber. Field values are typed or regexes
// (FieldMatch). Matching: a target directive applies to every target that starts with it; the
// longest such target wins (a directive with no target is the fallback). Span directives (`[...]`)
// enable every event inside a matching span, whatever its target, up to their level. A later
// directive for the same target (or the same span filter) replaces the earlier one. Differences
// from tracing-subscriber, on purpose (docs/logging.md lists them): blanks around a directive are
// trimmed; commas inside `{...}` separate field conditions that must all hold; an empty or blank
// value, or one with no valid directive, means `info` (not "nothing"); a bad directive is skipped
// with a warning while the good ones still apply.
//
// Thread-safety: a Filter is an immutable value once parsed; share it freely.
// Cost: parse() is O(n log n) in the number of directives; static_level() compares the target
// with each target directive (a handful of prefix compares); callers cache its answer per call
// site (see log.hpp).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kopiur/telemetry/log/event.hpp"

namespace kopiur::telemetry::log {

// Parses a level name (case-insensitive, surrounding blanks ignored) or a digit 0-5.
std::optional<Level> parse_level(std::string_view text) noexcept;

// The compiled regular expression of a FieldMatch (kept out of this header: <regex> is heavy).
struct FieldRegex;

// FieldMatch: `{name}` (the span has the field) or `{name=value}`, where value is, as in
// tracing-subscriber, `true`/`false` (a bool field), an integer (an integer field), a float (a
// float field, NaN included) or else a regular expression the whole string value must match.
struct FieldMatch {
  enum class Kind { kAny, kBool, kU64, kI64, kF64, kNaN, kRegex };
  std::string name{};
  std::optional<std::string> value{};  // as written
  Kind kind = Kind::kAny;
  bool boolean = false;
  std::uint64_t u64 = 0;
  std::int64_t i64 = 0;
  double f64 = 0;
  std::shared_ptr<const FieldRegex> regex{};
  // Whether `field` (already known to have this name) satisfies the value condition.
  [[nodiscard]] bool matches(const OwnedField& field) const;
};

// Compiles `value` into `out` (kind and typed value); returns why it cannot, e.g. an invalid
// regular expression.
std::optional<std::string> compile_field_value(std::string_view value, FieldMatch& out);

// Directive: one parsed RUST_LOG directive.
struct Directive {
  std::string target{};  // empty: any target
  std::string span{};    // empty: no span-name constraint
  std::vector<FieldMatch> fields{};
  Level level = Level::Trace;
  [[nodiscard]] bool is_span_directive() const noexcept { return !span.empty() || !fields.empty(); }
  [[nodiscard]] std::string to_string() const;
};

struct FilterParse;

class Filter {
 public:
  // The default filter: `info`.
  Filter();
  // A filter with one default directive at `level`.
  static Filter from_level(Level level);
  // Lossy parse: bad directives are skipped, each with one warning. A blank spec, or one with no
  // valid directive, yields `info`.
  static FilterParse parse(std::string_view spec);

  // The most verbose level any directive can enable, or create a span at (the global gate; every
  // level once a span directive has a field value, as tracing's max_level_hint).
  [[nodiscard]] Level max_level() const noexcept { return max_level_; }
  // The level the most specific target directive sets for `target` (Off when none matches).
  [[nodiscard]] Level static_level(std::string_view target) const noexcept;
  [[nodiscard]] bool has_span_directives() const noexcept { return !span_directives_.empty(); }
  // The most verbose level any span directive enables.
  [[nodiscard]] Level span_directive_max() const noexcept { return span_max_; }
  // A span some span directive is about (span_scope_level() has a value) is created when its
  // level is at most this: tracing-subscriber's max_level_hint (every level once any directive
  // has a field value, else the most verbose level any directive ever asked for).
  [[nodiscard]] Level span_enable_max() const noexcept { return span_enable_max_; }
  // For a span (target, name, fields): nullopt when no span directive is about it (target prefix,
  // name, field names); otherwise the most verbose level of those whose field values match, or
  // Off when none does. A span some directive is about is created whatever its own level.
  [[nodiscard]] std::optional<Level> span_scope_level(std::string_view target,
                                                      std::string_view name,
                                                      std::span<const OwnedField> fields) const;
  // The directives in effect, comma-separated (for the start-up line).
  [[nodiscard]] std::string to_string() const;
  [[nodiscard]] const std::vector<Directive>& target_directives() const noexcept {
    return target_directives_;
  }
  [[nodiscard]] const std::vector<Directive>& span_directives() const noexcept {
    return span_directives_;
  }

 private:
  // Adds the directives in order (a later one replaces an earlier one for the same target, span
  // and fields) and indexes them: O(n log n).
  void build(std::vector<Directive> directives);

  std::vector<Directive> target_directives_;  // sorted: longest target first
  std::vector<Directive> span_directives_;
  std::vector<std::string> in_order_;  // directives as written, for to_string()
  Level max_level_ = Level::Off;
  Level span_max_ = Level::Off;
  Level span_enable_max_ = Level::Off;
};

// FilterParse: the filter plus one human-readable warning per skipped directive.
struct FilterParse {
  Filter filter{};
  std::vector<std::string> warnings{};
};

}  // namespace kopiur::telemetry::log
