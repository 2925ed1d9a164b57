// Stand-in for kopiur_log's current_span_context() while that library is absent from the build
// (src/telemetry/metrics/CMakeLists.txt compiles this file only then): no span is ever current.
#include "kopiur/telemetry/context.hpp"

namespace kopiur::telemetry {

SpanContext current_span_context() noexcept { return {}; }

}  // namespace kopiur::telemetry
