// File: kopiur/telemetry/log/fmt_layer.hpp
//
// The fmt layer: renders each event as one line, text or JSON, into a thread-local reused
// buffer and hands it to a Sink with a single write.
//
// Text (tracing-subscriber's default line):
//   2026-01-02T03:04:05.000006Z  INFO reconcile{kind=Backup namespace=ns name=x}:
//   kopiur_controller::backup: started attempt=1
// JSON (tracing-subscriber's JSON with the current span, plus the ids that join it to a trace):
//   {"timestamp":"...","level":"INFO","fields":{"message":"started","attempt":1},
//    "target":"kopiur_controller::backup","span":{"kind":"Backup",...,"name":"reconcile"},
//    "trace_id":"<32 hex>","span_id":"<16 hex>"}
// Every string is escaped: control characters (newlines included) become escapes and invalid
// UTF-8 becomes U+FFFD, so one event is always exactly one line, and JSON lines always parse.
// ANSI colour is used only when FmtOptions::ansi is set (init_tracing sets it for a TTY without
// NO_COLOR).
//
// Thread-safety: on_event() may run on any thread. Cost: no allocation once a thread's buffer
// has grown; one Sink::write per event. Failure: never throws; a failing sink loses the line.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "kopiur/telemetry/log/layer.hpp"
#include "kopiur/telemetry/log/sink.hpp"

namespace kopiur::telemetry::log {

enum class LogFormat { kText, kJson };

std::string_view to_string(LogFormat format) noexcept;  // "text" / "json"

// LogFormatParse: KOPIUR_LOG_FORMAT read: trimmed, case-insensitive; empty/text/plain/fmt ->
// text, json -> json; anything else -> text plus `warning` naming the value and the choices.
struct LogFormatParse {
  LogFormat format = LogFormat::kText;
  std::optional<std::string> warning{};
};
LogFormatParse parse_log_format(std::string_view value);

struct FmtOptions {
  LogFormat format = LogFormat::kText;
  bool ansi = false;  // text only
};

// Renders one event as a complete line (with '\n') into `out` (cleared first). Exposed for tests
// and benchmarks; the layer uses it.
void format_event(const Event& event, const FmtOptions& options, std::string& out);

class FmtLayer final : public Layer {
 public:
  FmtLayer(std::shared_ptr<Sink> sink, FmtOptions options) noexcept;
  void on_event(const Event& event) noexcept override;
  bool flush(std::chrono::milliseconds timeout) noexcept override;
  [[nodiscard]] const FmtOptions& options() const noexcept { return options_; }

 private:
  std::shared_ptr<Sink> sink_;
  FmtOptions options_;
};

inline std::shared_ptr<FmtLayer> make_fmt_layer(std::shared_ptr<Sink> sink, FmtOptions options) {
  return std::make_shared<FmtLayer>(std::move(sink), options);
}

}  // namespace kopiur::telemetry::log
