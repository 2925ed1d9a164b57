// Level names, as tracing prints them.
#include "kopiur/telemetry/log/event.hpp"

namespace kopiur::telemetry::log {

std::string_view to_string(Level level) noexcept {
  switch (level) {
    case Level::Off:
      return "OFF";
    case Level::Error:
      return "ERROR";
    case Level::Warn:
      return "WARN";
    case Level::Info:
      return "INFO";
    case Level::Debug:
      return "DEBUG";
    case Level::Trace:
      return "TRACE";
  }
  return "UNKNOWN";
}

}  // namespace kopiur::telemetry::log
