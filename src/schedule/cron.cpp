// Parsing of 5-field cron expressions and macros into CronExpr bit sets.
#include "kopiur/schedule/cron.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <vector>

#include "schedule/text.hpp"

namespace kopiur::schedule {
namespace {

using detail::equal_fold;
using detail::quoted;

constexpr std::array<std::string_view, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 7> kDayNames = {"SUN", "MON", "TUE", "WED",
                                                       "THU", "FRI", "SAT"};

// One of the five fields: its bounds, what `*` spans, and the names it accepts.
struct Field {
  std::string_view name;
  unsigned min;
  unsigned max;
  unsigned star_max;  // day-of-week: `*` is 0-6 (7 is Sunday again)
  const std::string_view* names = nullptr;
  unsigned name_count = 0;
  unsigned first_name_value = 0;
  std::string_view name_kind = {};  // for messages: "a month name (JAN-DEC)"
  bool allows_question_mark = false;
};

constexpr std::array<Field, 5> kFields = {{
    {.name = "minute", .min = 0, .max = 59, .star_max = 59},
    {.name = "hour", .min = 0, .max = 23, .star_max = 23},
    {.name = "day-of-month", .min = 1, .max = 31, .star_max = 31, .allows_question_mark = true},
    {.name = "month",
     .min = 1,
     .max = 12,
     .star_max = 12,
     .names = kMonthNames.data(),
     .name_count = 12,
     .first_name_value = 1,
     .name_kind = "a month name (JAN-DEC)"},
    {.name = "day-of-week",
     .min = 0,
     .max = 7,
     .star_max = 6,
     .names = kDayNames.data(),
     .name_count = 7,
     .first_name_value = 0,
     .name_kind = "a day name (SUN-SAT)",
     .allows_question_mark = true},
}};

struct Macro {
  std::string_view name;
  std::string_view fields;
};
constexpr std::array<Macro, 7> kMacros = {{{"@yearly", "0 0 1 1 *"},
                                           {"@annually", "0 0 1 1 *"},
                                           {"@monthly", "0 0 1 * *"},
                                           {"@weekly", "0 0 * * 0"},
                                           {"@daily", "0 0 * * *"},
                                           {"@midnight", "0 0 * * *"},
                                           {"@hourly", "0 * * * *"}}};

using Mask = std::uint64_t;

// The bits a field selected, or the problem (without the field prefix).
struct FieldParse {
  Mask mask = 0;
  bool unrestricted = false;  // a bare `*` (or `?`) appeared
  std::string error;
};

std::string range_text(const Field& f) {
  return std::to_string(f.min) + "-" + std::to_string(f.max);
}

// A number or, where the field has them, a name. Sets `error` and returns false otherwise.
bool parse_value(const Field& f, std::string_view token, unsigned& value, std::string& error) {
  if (token.empty()) {
    error = "missing value";
    return false;
  }
  if (token[0] >= '0' && token[0] <= '9') {
    const auto* end = token.data() + token.size();
    const auto [ptr, ec] = std::from_chars(token.data(), end, value);
    if (ptr != end) {
      error = quoted(token) + " is not a number";
      return false;
    }
    if (ec == std::errc::result_out_of_range || value < f.min || value > f.max) {
      error = "value " + std::string(token) + " is out of range " + range_text(f);
      return false;
    }
    return true;
  }
  for (unsigned i = 0; i < f.name_count; ++i) {
    if (equal_fold(token, f.names[i])) {
      value = f.first_name_value + i;
      return true;
    }
  }
  error = quoted(token) + " is not a number";
  if (!f.name_kind.empty()) error += " or " + std::string(f.name_kind);
  return false;
}

// A backwards range gets a suggestion that says what was probably meant.
std::string backwards_range(const Field& f, std::string_view item, unsigned lo, unsigned hi) {
  const auto part = [](unsigned a, unsigned b) {
    return a == b ? std::to_string(a) : std::to_string(a) + "-" + std::to_string(b);
  };
  return "range " + quoted(item) + " is backwards: the start must not exceed the end (for a " +
         "range that wraps around write a list such as " + part(lo, f.star_max) + "," +
         part(f.min, hi) + ")";
}

// The `n` of `/n`: at least 1 and at most the field's largest value.
bool parse_step(const Field& f, std::string_view item, std::string_view text, unsigned& step,
                std::string& error) {
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, step);
  if (text.empty() || ptr != end) {
    error = "step " + quoted(text) + " in " + quoted(item) + " is not a number";
    return false;
  }
  if (ec == std::errc::result_out_of_range || step < 1 || step > f.max) {
    error = "step " + std::string(text) + " in " + quoted(item) + " is out of range 1-" +
            std::to_string(f.max);
    return false;
  }
  return true;
}

// One list item: `*`, `?`, `a`, `a-b`, each optionally followed by `/step`.
bool parse_item(const Field& f, std::string_view item, FieldParse& out) {
  if (item.empty()) {
    out.error = "empty list item";
    return false;
  }
  std::string_view base = item;
  unsigned step = 1;
  bool has_step = false;
  if (const auto slash = item.find('/'); slash != std::string_view::npos) {
    base = item.substr(0, slash);
    const auto step_text = item.substr(slash + 1);
    if (step_text.find('/') != std::string_view::npos) {
      out.error = quoted(item) + " has more than one \"/\"";
      return false;
    }
    if (!parse_step(f, item, step_text, step, out.error)) return false;
    has_step = true;
  }
  unsigned lo = 0;
  unsigned hi = 0;
  if (base == "*" || base == "?") {
    if (base == "?" && !f.allows_question_mark) {
      out.error = "\"?\" is only allowed in the day-of-month and day-of-week fields";
      return false;
    }
    lo = f.min;
    hi = f.star_max;
    if (step == 1) out.unrestricted = true;
  } else if (base.empty() || base.front() == '*' || base.front() == '?') {
    out.error = base.empty() ? "step " + quoted(item) + " needs a value, a range or \"*\""
                             : quoted(item) +
                                   " is not a value, a range or a step (after \"*\" only "
                                   "\"/n\" may follow)";
    return false;
  } else if (const auto dash = base.find('-'); dash != std::string_view::npos) {
    if (base.find('-', dash + 1) != std::string_view::npos) {
      out.error = quoted(item) + " is not a value or a range (a range has one \"-\")";
      return false;
    }
    if (dash == 0 || dash + 1 == base.size()) {
      out.error = "range " + quoted(base) + " needs a start and an end";
      return false;
    }
    if (!parse_value(f, base.substr(0, dash), lo, out.error) ||
        !parse_value(f, base.substr(dash + 1), hi, out.error)) {
      return false;
    }
    if (lo > hi) {
      out.error = backwards_range(f, base, lo, hi);
      return false;
    }
  } else {
    if (!parse_value(f, base, lo, out.error)) return false;
    // `a/n` means a-max/n (as in cronie and Kubernetes); a plain value is just itself.
    hi = has_step ? f.star_max : lo;
    if (has_step && lo > hi) hi = lo;
  }
  for (unsigned v = lo; v <= hi; v += step) out.mask |= Mask{1} << v;
  return true;
}

FieldParse parse_field(const Field& f, std::string_view text) {
  FieldParse out;
  std::size_t start = 0;
  while (true) {
    const auto comma = text.find(',', start);
    const auto item = text.substr(start, comma == std::string_view::npos ? comma : comma - start);
    if (!parse_item(f, item, out)) return out;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  // Day-of-week 7 is Sunday, like 0.
  if (f.max == 7 && (out.mask & (Mask{1} << 7))) out.mask = (out.mask | 1) & ~(Mask{1} << 7);
  return out;
}

std::vector<std::string_view> split_fields(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (i < text.size()) {
    while (i < text.size() && space(text[i])) ++i;
    const auto start = i;
    while (i < text.size() && !space(text[i])) ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

CronParse parse_macro(std::string_view text) {
  for (const auto& macro : kMacros) {
    if (equal_fold(text, macro.name)) return parse_cron(macro.fields);
  }
  return {std::nullopt, "unknown macro " + quoted(text) +
                            ": expected one of @yearly, @annually, @monthly, @weekly, @daily, "
                            "@midnight, @hourly"};
}

template <std::size_t N>
void assign(std::bitset<N>& bits, Mask mask) {
  for (std::size_t i = 0; i < N; ++i) bits[i] = ((mask >> i) & 1) != 0;
}

}  // namespace

bool CronExpr::matches_day(unsigned month, unsigned day, unsigned weekday) const {
  if (month > 12 || day > 31 || weekday > 6 || !months.test(month)) return false;
  const bool dom = days_of_month.test(day);
  const bool dow = days_of_week.test(weekday);
  if (day_of_month_restricted && day_of_week_restricted) return dom || dow;
  return dom && dow;
}

CronParse parse_cron(std::string_view text) {
  const auto fields = split_fields(text);
  if (fields.size() == 1 && fields[0].front() == '@') return parse_macro(fields[0]);
  if (!fields.empty() && (fields[0].starts_with("CRON_TZ=") || fields[0].starts_with("TZ="))) {
    return {std::nullopt, "a time zone prefix (" + quoted(fields[0]) +
                              ") is not supported: set the schedule's timezone field instead"};
  }
  if (fields.size() != 5) {
    std::string error =
        "expected 5 fields (minute hour day-of-month month day-of-week) or a macro such as "
        "@daily, got " +
        std::to_string(fields.size()) + " in " + quoted(text);
    if (fields.size() == 6) error += " (a seconds or year field is not supported)";
    return {std::nullopt, std::move(error)};
  }
  std::array<FieldParse, 5> parsed;
  for (std::size_t i = 0; i < 5; ++i) {
    parsed[i] = parse_field(kFields[i], fields[i]);
    if (!parsed[i].error.empty()) {
      return {std::nullopt, std::string(kFields[i].name) + " field " + quoted(fields[i]) + ": " +
                                parsed[i].error};
    }
  }
  CronExpr cron;
  assign(cron.minutes, parsed[0].mask);
  assign(cron.hours, parsed[1].mask);
  assign(cron.days_of_month, parsed[2].mask);
  assign(cron.months, parsed[3].mask);
  assign(cron.days_of_week, parsed[4].mask);
  cron.day_of_month_restricted = !parsed[2].unrestricted;
  cron.day_of_week_restricted = !parsed[4].unrestricted;
  return {cron, ""};
}

std::optional<std::string> never_runs(const CronExpr& cron) {
  // Every month has every weekday, so a restricted day-of-week always finds days.
  if (cron.day_of_week_restricted || !cron.day_of_month_restricted) return std::nullopt;
  constexpr std::array<unsigned, 13> kLongest = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  std::string months;
  for (unsigned m = 1; m <= 12; ++m) {
    if (!cron.months.test(m)) continue;
    for (unsigned d = 1; d <= kLongest[m]; ++d) {
      if (cron.days_of_month.test(d)) return std::nullopt;
    }
    months += (months.empty() ? "" : ", ") + std::string(kMonthNames[m - 1]);
  }
  std::string days;
  for (unsigned d = 1; d <= 31; ++d) {
    if (cron.days_of_month.test(d)) days += (days.empty() ? "" : ", ") + std::to_string(d);
  }
  return "never runs: day-of-month " + days + " does not occur in " + months;
}

}  // namespace kopiur::schedule
