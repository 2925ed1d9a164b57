// kopiur-mover: the short-lived Job that runs one kopia operation for the controller. It has no
// HTTP endpoint: its metrics, spans and logs go out over OTLP and are flushed before it exits.
#include <cstdio>

#include "kopiur/app/cli.hpp"
#include "kopiur/app/program.hpp"
#include "kopiur/app/shutdown.hpp"
#include "kopiur/telemetry/log/log.hpp"

namespace {

namespace app = kopiur::app;
namespace log = kopiur::telemetry::log;

app::ProgramSpec mover_spec() {
  app::ProgramSpec spec;
  spec.name = "kopiur-mover";
  spec.summary = "Runs one kopia operation for kopiur-controller, then flushes and exits.";
  spec.usage = "kopiur-mover [FLAGS] OPERATION";
  spec.max_positional = 1;
  spec.positional_help =
      "OPERATION: the kopia operation to run; the controller sets it on the Job.";
  spec.flags = {{"work-spec", "PATH", "The operation's work spec (JSON) written by the controller",
                 "/etc/kopiur/work.json"}};
  spec.env = {{"TRACEPARENT", "W3C trace context of the reconcile that created this Job"}};
  app::add_telemetry_env_help(spec);
  return spec;
}

}  // namespace

int main(int argc, char** argv) {
  app::Flags flags;
  if (auto code = app::handle_command_line(mover_spec(), argc, argv, flags)) return *code;
  if (flags.positional().empty()) {
    std::fputs("kopiur-mover: missing OPERATION\nRun 'kopiur-mover --help' for usage.\n", stderr);
    return 2;
  }
  auto shutdown = app::ShutdownSignal::install();
  auto telemetry = app::start_telemetry("kopiur-mover");
  if (!telemetry) return 1;
  const std::string& operation = flags.positional().front();
  // Everything the mover does happens inside one span that joins the controller's trace.
  auto span = telemetry->root_span("mover", {log::kv("operation", operation)});
  auto entered = span.enter();
  span.record_error("unknown operation");
  KOPIUR_ERROR("unknown mover operation; this build of kopiur-mover runs none yet",
               log::kv("operation", operation));
  telemetry->shutdown();
  return 2;
}
