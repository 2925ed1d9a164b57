#undef KOPIUR_LOG_TARGET
#define KOPIUR_LOG_TARGET "grpc"

#include "kopiur/telemetry/otlp/grpc_log.hpp"

#include <mutex>
#include <string>

#include <grpc/support/log.h>

#include "kopiur/telemetry/log/log.hpp"

namespace kopiur::telemetry::otlp {
namespace {

namespace log = telemetry::log;

void forward(gpr_log_func_args* args) {
  if (args == nullptr || args->message == nullptr) return;
  // A log call that itself makes gRPC log (an export of this very line failing) must not recurse.
  thread_local bool inside = false;
  if (inside) return;
  inside = true;
  const std::string file = args->file != nullptr ? args->file : "";
  const auto line = static_cast<std::int64_t>(args->line);
  switch (args->severity) {
    case GPR_LOG_SEVERITY_ERROR:
      KOPIUR_ERROR(args->message, log::kv("file", file), log::kv("line", line));
      break;
    case GPR_LOG_SEVERITY_INFO:
      KOPIUR_INFO(args->message, log::kv("file", file), log::kv("line", line));
      break;
    default:
      KOPIUR_DEBUG(args->message, log::kv("file", file), log::kv("line", line));
      break;
  }
  inside = false;
}

}  // namespace

void route_grpc_logs() {
  static std::once_flag once;
  std::call_once(once, [] { gpr_set_log_function(forward); });
}

}  // namespace kopiur::telemetry::otlp
