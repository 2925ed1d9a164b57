// File: kopiur/telemetry/otlp/mover_env.hpp
//
// mover_job_env(): the environment the controller puts on a mover Job so that the mover logs
// like the controller, exports to the same collector and joins the reconcile trace.
//   - the OTLP group (env::kOtlpPassthrough) only when a collector is configured (an endpoint
//     variable is set to a non-blank value), each variable only when set;
//   - the logging group (env::kLogPassthrough) whenever each variable is set, even empty;
//   - TRACEPARENT (and TRACESTATE) when a current trace context is given.
// Pure function; never throws except std::bad_alloc.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kopiur/telemetry/otlp/config.hpp"

namespace kopiur::telemetry {

std::vector<std::pair<std::string, std::string>> mover_job_env(const EnvLookup& env,
                                                               std::string_view traceparent,
                                                               std::string_view tracestate = {});

}  // namespace kopiur::telemetry
