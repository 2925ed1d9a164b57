// OTel -> Prometheus naming: sanitizing, unit suffixes, _total.
#include <array>
#include <utility>

#include "kopiur/telemetry/metrics/prometheus.hpp"

namespace kopiur::telemetry::metrics {
namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// UCUM units with a Prometheus word, as the OTel compatibility spec lists them.
constexpr std::array<std::pair<std::string_view, std::string_view>, 27> kUnits = {{
    {"d", "days"},         {"h", "hours"},         {"min", "minutes"},
    {"s", "seconds"},      {"ms", "milliseconds"}, {"us", "microseconds"},
    {"ns", "nanoseconds"}, {"By", "bytes"},        {"KiBy", "kibibytes"},
    {"MiBy", "mebibytes"}, {"GiBy", "gibibytes"},  {"TiBy", "tibibytes"},
    {"KBy", "kilobytes"},  {"MBy", "megabytes"},   {"GBy", "gigabytes"},
    {"TBy", "terabytes"},  {"m", "meters"},        {"V", "volts"},
    {"A", "amperes"},      {"J", "joules"},        {"W", "watts"},
    {"g", "grams"},        {"Cel", "celsius"},     {"Hz", "hertz"},
    {"%", "percent"},      {"bit", "bits"},        {"By/s", "bytes_per_second"},
}};

// The denominators of "X/Y" units read as "per second", "per minute"...
constexpr std::array<std::pair<std::string_view, std::string_view>, 7> kPerUnits = {{
    {"s", "second"},
    {"m", "minute"},
    {"h", "hour"},
    {"d", "day"},
    {"w", "week"},
    {"mo", "month"},
    {"y", "year"},
}};

// A unit word with no known conversion keeps only its letters and digits.
std::string keep_alnum(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (is_alpha(c) || is_digit(c)) out.push_back(c);
  }
  return out;
}

std::string convert(std::string_view unit) {
  for (const auto& [ucum, word] : kUnits) {
    if (ucum == unit) return std::string(word);
  }
  return keep_alnum(unit);
}

std::string convert_per(std::string_view unit) {
  for (const auto& [ucum, word] : kPerUnits) {
    if (ucum == unit) return std::string(word);
  }
  return convert(unit);
}

}  // namespace

std::string sanitize_metric_name(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 1);
  for (char c : name) {
    const bool valid = is_alpha(c) || is_digit(c) || c == '_' || c == ':';
    const char put = valid ? c : '_';
    if (put == '_' && !out.empty() && out.back() == '_' && !valid) continue;  // no "__" runs
    out.push_back(put);
  }
  if (out.empty() || is_digit(out.front())) out.insert(out.begin(), '_');
  return out;
}

std::string sanitize_label_name(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 4);
  for (char c : name) out.push_back(is_alpha(c) || is_digit(c) || c == '_' ? c : '_');
  if (out.empty()) return "key_";
  if (is_digit(out.front())) return "key_" + out;
  if (out.size() >= 2 && out[0] == '_' && out[1] == '_') return "key" + out;  // __ is reserved
  return out;
}

std::string prometheus_unit_suffix(std::string_view unit, InstrumentKind kind) {
  // Annotations in braces ("{file}", "By{compressed}") carry no unit.
  std::string bare;
  int depth = 0;
  for (char c : unit) {
    if (c == '{') {
      ++depth;
    } else if (c == '}') {
      if (depth > 0) --depth;
    } else if (depth == 0 && c != ' ') {
      bare.push_back(c);
    }
  }
  if (bare.empty()) return {};
  if (bare == "1") {
    const bool gauge_like = kind == InstrumentKind::Gauge || kind == InstrumentKind::UpDownCounter;
    return gauge_like ? "ratio" : "";
  }
  for (const auto& [ucum, word] : kUnits) {
    if (ucum == bare) return std::string(word);
  }
  if (const std::size_t slash = bare.find('/'); slash != std::string::npos) {
    const std::string top = convert(std::string_view(bare).substr(0, slash));
    const std::string bottom = convert_per(std::string_view(bare).substr(slash + 1));
    if (bottom.empty()) return top;
    return top.empty() ? "per_" + bottom : top + "_per_" + bottom;
  }
  return convert(bare);
}

std::string prometheus_family_name(const InstrumentDescriptor& descriptor) {
  std::string name = sanitize_metric_name(descriptor.name);
  const bool counter = descriptor.kind == InstrumentKind::Counter;
  if (counter && ends_with(name, "_total")) name.resize(name.size() - 6);
  const std::string suffix = prometheus_unit_suffix(descriptor.unit, descriptor.kind);
  if (!suffix.empty() && !ends_with(name, "_" + suffix) && name != suffix) {
    name += "_";
    name += suffix;
  }
  return name;
}

std::string prometheus_metric_name(const InstrumentDescriptor& descriptor) {
  std::string name = prometheus_family_name(descriptor);
  if (descriptor.kind == InstrumentKind::Counter) name += "_total";
  return name;
}

void append_escaped_label_value(std::string& out, std::string_view value) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c != '\\' && c != '"' && c != '\n') continue;
    out.append(value.data() + start, i - start);
    out.push_back('\\');
    out.push_back(c == '\n' ? 'n' : c);
    start = i + 1;
  }
  out.append(value.data() + start, value.size() - start);
}

}  // namespace kopiur::telemetry::metrics
