// libFuzzer target for RUST_LOG directives: any text parses (lossy, bad directives skipped with a
// warning each), and the filter it yields answers queries and prints itself without crashing.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kopiur/telemetry/log/filter.hpp"

#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using kopiur::telemetry::log::Filter;
  const std::string_view spec(reinterpret_cast<const char*>(data), size);
  const auto parsed = Filter::parse(spec);
  for (const auto& warning : parsed.warnings) kopiur::fuzz::fuzz_require(!warning.empty());
  const Filter& filter = parsed.filter;
  (void)filter.static_level("kopiur_controller::reconcile");
  (void)filter.static_level(spec);
  (void)filter.span_scope_level("kopiur_controller", "reconcile", {});
  // to_string() is for the start-up line, not a round trip: a span name may hold bytes the
  // parser reads differently on its own, so only printing and parsing it must not crash.
  (void)Filter::parse(filter.to_string());
  return 0;
}
