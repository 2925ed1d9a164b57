// The fmt layer: text and JSON lines, rendered into a thread-local buffer, one write per event.
#include "kopiur/telemetry/log/fmt_layer.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <variant>
#include <vector>

#include "telemetry/log/detail/text.hpp"

namespace kopiur::telemetry::log {
namespace {

// One rendered span per thread and format: valid while the same span (address and id) is current.
struct SpanCache {
  const SpanRecord* record = nullptr;
  SpanId id;
  std::string text;
  [[nodiscard]] bool holds(const SpanRecord& span) const noexcept {
    return record == &span && id == span.context.span_id;
  }
  void remember(const SpanRecord& span) noexcept {
    record = &span;
    id = span.context.span_id;
  }
};
thread_local SpanCache tl_text_cache;
thread_local SpanCache tl_text_ansi_cache;
thread_local SpanCache tl_json_cache;

// ANSI styles, as tracing-subscriber's text format uses them.
constexpr std::string_view kReset = "\x1b[0m";
constexpr std::string_view kDim = "\x1b[2m";
constexpr std::string_view kBold = "\x1b[1m";
constexpr std::string_view kItalic = "\x1b[3m";

std::string_view level_colour(Level level) noexcept {
  switch (level) {
    case Level::Error:
      return "\x1b[31m";
    case Level::Warn:
      return "\x1b[33m";
    case Level::Info:
      return "\x1b[32m";
    case Level::Debug:
      return "\x1b[34m";
    case Level::Trace:
      return "\x1b[35m";
    case Level::Off:
      break;
  }
  return "";
}

// Right-aligned to five columns, as tracing prints levels.
std::string_view padded_level(Level level) noexcept {
  switch (level) {
    case Level::Error:
      return "ERROR";
    case Level::Warn:
      return " WARN";
    case Level::Info:
      return " INFO";
    case Level::Debug:
      return "DEBUG";
    case Level::Trace:
      return "TRACE";
    case Level::Off:
      break;
  }
  return "  OFF";
}

template <typename Int>
void append_int(std::string& out, Int value) {
  std::array<char, 24> buf{};
  auto res = std::to_chars(buf.data(), buf.data() + buf.size(), value);
  out.append(buf.data(), res.ptr);
}

void append_text_string(std::string& out, std::string_view value) {
  if (detail::is_bare_text(value)) {
    out += value;
    return;
  }
  out += '"';
  detail::append_text_escaped(out, value, /*quote=*/true);
  out += '"';
}

// A field value in text form: numbers and bools bare, strings bare when safe, else quoted.
void append_text_value(std::string& out, const FieldValue& value) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string_view>) {
          append_text_string(out, v);
        } else if constexpr (std::is_same_v<T, ErrorValue>) {
          append_text_string(out, v.message);
        } else if constexpr (std::is_same_v<T, bool>) {
          out += v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, double>) {
          detail::append_double(out, v, /*json=*/false);
        } else {
          append_int(out, v);
        }
      },
      value);
}

void append_text_owned(std::string& out, const OwnedField& field) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          append_text_string(out, v);
        } else if constexpr (std::is_same_v<T, bool>) {
          out += v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, double>) {
          detail::append_double(out, v, false);
        } else {
          append_int(out, v);
        }
      },
      field.value);
}

void append_json_string(std::string& out, std::string_view value) {
  out += '"';
  detail::append_json_escaped(out, value);
  out += '"';
}

void append_json_value(std::string& out, const FieldValue& value) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string_view>) {
          append_json_string(out, v);
        } else if constexpr (std::is_same_v<T, ErrorValue>) {
          append_json_string(out, v.message);
        } else if constexpr (std::is_same_v<T, bool>) {
          out += v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, double>) {
          detail::append_double(out, v, /*json=*/true);
        } else {
          append_int(out, v);
        }
      },
      value);
}

void append_json_owned(std::string& out, const OwnedField& field) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          append_json_string(out, v);
        } else if constexpr (std::is_same_v<T, bool>) {
          out += v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, double>) {
          detail::append_double(out, v, true);
        } else {
          append_int(out, v);
        }
      },
      field.value);
}

// One span segment: `name{a=1 b=x}:` (just `name:` without fields).
void append_text_span(std::string& out, const SpanRecord& span, bool ansi) {
  if (ansi) out += kBold;
  detail::append_text_escaped(out, span.name, false);
  if (!span.fields.empty()) {
    out += '{';
    if (ansi) out += kReset;
    bool first = true;
    for (const OwnedField& field : span.fields) {
      if (!first) out += ' ';
      first = false;
      detail::append_text_escaped(out, field.name, false);
      out += '=';
      append_text_owned(out, field);
    }
    if (ansi) out += kBold;
    out += '}';
  }
  if (ansi) out += kReset;
  out += ':';
}

void format_text(const Event& event, bool ansi, std::string& out) {
  if (ansi) out += kDim;
  detail::append_rfc3339_micros(out, event.timestamp);
  if (ansi) out += kReset;
  out += ' ';
  if (ansi) out += level_colour(event.level);
  out += padded_level(event.level);
  if (ansi) out += kReset;
  out += ' ';
  if (event.span != nullptr) {
    // A span's chain renders the same for every event inside it: render it once per thread and
    // span (tracing-subscriber likewise formats span fields once, at creation).
    SpanCache& cache = ansi ? tl_text_ansi_cache : tl_text_cache;
    if (!cache.holds(*event.span)) {
      cache.text.clear();
      std::array<const SpanRecord*, 32> chain{};  // root first, usually 1-3 deep
      std::size_t depth = 0;
      for (const SpanRecord* s = event.span; s != nullptr && depth < chain.size(); s = s->parent) {
        chain[depth++] = s;
      }
      while (depth > 0) append_text_span(cache.text, *chain[--depth], ansi);
      cache.text += ' ';
      cache.remember(*event.span);
    }
    out += cache.text;
  }
  if (ansi) out += kDim;
  detail::append_text_escaped(out, event.target, false);
  out += ':';
  if (ansi) out += kReset;
  out += ' ';
  detail::append_text_escaped(out, event.message, false);
  for (const Field& field : event.fields) {
    out += ' ';
    if (ansi) out += kItalic;
    detail::append_text_escaped(out, field.name, false);
    if (ansi) out += kReset;
    out += '=';
    append_text_value(out, field.value);
  }
  out += '\n';
}

// One span as tracing's JSON shows it: `{field...,"name":"..."}`.
void append_json_span_object(std::string& out, const SpanRecord& span) {
  out += '{';
  for (const OwnedField& field : span.fields) {
    append_json_string(out, field.name);
    out += ':';
    append_json_owned(out, field);
    out += ',';
  }
  out += "\"name\":";
  append_json_string(out, span.name);
  out += '}';
}

// `,"span":{...},"spans":[{root},...,{current}]` plus the trace and span ids.
void append_json_span(std::string& out, const SpanRecord& span) {
  out += ",\"span\":";
  append_json_span_object(out, span);
  std::array<const SpanRecord*, 32> chain{};  // root first, usually 1-3 deep
  std::size_t depth = 0;
  for (const SpanRecord* s = &span; s != nullptr && depth < chain.size(); s = s->parent) {
    chain[depth++] = s;
  }
  out += ",\"spans\":[";
  for (std::size_t i = depth; i > 0; --i) {
    append_json_span_object(out, *chain[i - 1]);
    if (i > 1) out += ',';
  }
  out += ']';
  if (span.context.valid()) {
    // Hex into a stack buffer, appended once: no temporary strings, no per-character appends.
    constexpr char kHex[] = "0123456789abcdef";
    constexpr std::string_view kTrace = ",\"trace_id\":\"";
    constexpr std::string_view kSpan = "\",\"span_id\":\"";
    std::array<char, kTrace.size() + 32 + kSpan.size() + 16 + 1> ids{};
    char* p = std::copy(kTrace.begin(), kTrace.end(), ids.data());
    for (std::uint8_t b : span.context.trace_id.bytes) {
      *p++ = kHex[b >> 4];
      *p++ = kHex[b & 0x0f];
    }
    p = std::copy(kSpan.begin(), kSpan.end(), p);
    for (std::uint8_t b : span.context.span_id.bytes) {
      *p++ = kHex[b >> 4];
      *p++ = kHex[b & 0x0f];
    }
    *p++ = '"';
    out.append(ids.data(), static_cast<std::size_t>(p - ids.data()));
  }
}

void format_json(const Event& event, std::string& out) {
  out += "{\"timestamp\":\"";
  detail::append_rfc3339_micros(out, event.timestamp);
  out += "\",\"level\":\"";
  out += to_string(event.level);
  out += "\",\"fields\":{\"message\":";
  append_json_string(out, event.message);
  for (const Field& field : event.fields) {
    out += ',';
    append_json_string(out, field.name);
    out += ':';
    append_json_value(out, field.value);
  }
  out += "},\"target\":";
  append_json_string(out, event.target);
  if (event.span != nullptr) {
    SpanCache& cache = tl_json_cache;
    if (!cache.holds(*event.span)) {
      cache.text.clear();
      append_json_span(cache.text, *event.span);
      cache.remember(*event.span);
    }
    out += cache.text;
  }
  out += "}\n";
}

}  // namespace

std::string_view to_string(LogFormat format) noexcept {
  return format == LogFormat::kJson ? "json" : "text";
}

LogFormatParse parse_log_format(std::string_view value) {
  const std::string_view trimmed = detail::trim(value);
  std::string lower(trimmed);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  LogFormatParse result;
  if (lower == "json") {
    result.format = LogFormat::kJson;
  } else if (!(lower.empty() || lower == "text" || lower == "plain" || lower == "fmt")) {
    std::string shown;
    detail::append_text_escaped(shown, value, true);
    result.warning =
        "unknown KOPIUR_LOG_FORMAT value \"" + shown + "\"; using text (valid values: text, json)";
  }
  return result;
}

void format_event(const Event& event, const FmtOptions& options, std::string& out) {
  out.clear();
  if (options.format == LogFormat::kJson) {
    format_json(event, out);
  } else {
    format_text(event, options.ansi, out);
  }
}

FmtLayer::FmtLayer(std::shared_ptr<Sink> sink, FmtOptions options) noexcept
    : sink_(std::move(sink)), options_(options) {}

void FmtLayer::on_event(const Event& event) noexcept {
  if (sink_ == nullptr) return;
  thread_local std::string buffer;
  try {
    format_event(event, options_, buffer);
  } catch (...) {
    return;  // out of memory: lose the line, keep the process
  }
  sink_->write(buffer);
  // A rare huge event must not pin its memory to the thread forever.
  if (buffer.capacity() > 64 * 1024) std::string().swap(buffer);
}

bool FmtLayer::flush(std::chrono::milliseconds /*timeout*/) noexcept {
  if (sink_ != nullptr) sink_->flush();
  return true;
}

}  // namespace kopiur::telemetry::log
