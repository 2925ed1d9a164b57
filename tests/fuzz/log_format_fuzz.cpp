// libFuzzer target for KOPIUR_LOG_FORMAT: any value reads as text or json, and an unknown one
// yields a warning that quotes it escaped (one line, no control characters).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kopiur/telemetry/log/fmt_layer.hpp"

#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kopiur::telemetry::log;
  const std::string_view value(reinterpret_cast<const char*>(data), size);
  const auto parsed = parse_log_format(value);
  if (parsed.warning) {
    kopiur::fuzz::fuzz_require(parsed.format == LogFormat::kText);
    for (const char c : *parsed.warning) {
      kopiur::fuzz::fuzz_require(c != '\n' && c != '\r' && c != '\0');
    }
  }
  return 0;
}
