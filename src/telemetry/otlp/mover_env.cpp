// mover_job_env(): the env the controller forwards onto mover Jobs.
#include "kopiur/telemetry/otlp/mover_env.hpp"

#include "kopiur/telemetry/env.hpp"

#include "telemetry/otlp/detail/parse.hpp"

namespace kopiur::telemetry {

std::vector<std::pair<std::string, std::string>> mover_job_env(const EnvLookup& env,
                                                               std::string_view traceparent,
                                                               std::string_view tracestate) {
  std::vector<std::pair<std::string, std::string>> out;
  auto non_blank = [&env](std::string_view name) {
    const auto value = env(name);
    return value && !otlp::detail::trim(*value).empty();
  };
  const bool collector_configured =
      non_blank(env::kOtlpEndpoint) || non_blank(env::kOtlpTracesEndpoint) ||
      non_blank(env::kOtlpMetricsEndpoint) || non_blank(env::kOtlpLogsEndpoint);
  if (collector_configured) {
    for (const auto name : env::kOtlpPassthrough) {
      if (auto value = env(name)) out.emplace_back(std::string(name), std::move(*value));
    }
  }
  for (const auto name : env::kLogPassthrough) {
    if (auto value = env(name)) out.emplace_back(std::string(name), std::move(*value));
  }
  if (!traceparent.empty()) {
    out.emplace_back(std::string(env::kTraceparent), std::string(traceparent));
    if (!tracestate.empty()) {
      out.emplace_back(std::string(env::kTracestate), std::string(tracestate));
    }
  }
  return out;
}

}  // namespace kopiur::telemetry
