// kopiur-mover: the short-lived Job that runs one kopia operation for the controller. It has no
// HTTP endpoint: its metrics, spans and logs go out over OTLP and are flushed before it exits.
// main() only wires flags, environment and signals to the kopiur_mover library.
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "kopiur/app/cli.hpp"
#include "kopiur/app/program.hpp"
#include "kopiur/app/shutdown.hpp"
#include "kopiur/mover/mover.hpp"
#include "kopiur/process/process.hpp"

namespace {

namespace app = kopiur::app;
namespace mover = kopiur::mover;

app::ProgramSpec mover_spec() {
  app::ProgramSpec spec;
  spec.name = "kopiur-mover";
  spec.summary = "Runs one kopia operation for kopiur-controller, then flushes and exits.";
  spec.usage = "kopiur-mover [FLAGS] OPERATION";
  spec.max_positional = 1;
  spec.positional_help =
      "OPERATION: connect, catalog, backup, snapshot-delete, restore or maintenance.";
  spec.flags = {
      {"work-spec", "PATH", "The operation's work spec (JSON) written by the controller",
       "/etc/kopiur/work.json"},
      {"secret-dir", "DIR", "The mounted Secret: one file per key (repository password)",
       "/etc/kopiur/secret"},
      {"termination-message-path", "PATH",
       "Where the result JSON goes (default: $KOPIUR_TERMINATION_MESSAGE_PATH when set)",
       "/dev/termination-log"},
      {"kill-grace-seconds", "N",
       "After SIGTERM, how long kopia may take to stop before SIGKILL (keep it under the pod's "
       "terminationGracePeriodSeconds)",
       "10"},
  };
  spec.env = {{"TRACEPARENT", "W3C trace context of the reconcile that created this Job"},
              {"KOPIA_BIN", "The kopia program to run (default: kopia from PATH)"},
              {"KOPIUR_TERMINATION_MESSAGE_PATH", "Result path set by the local kubelet"},
              {"KOPIUR_LOCAL_MOUNTS", "Mount table set by the local kubelet (mountPath -> host)"}};
  app::add_telemetry_env_help(spec);
  return spec;
}

std::string env_or(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : std::move(fallback);
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

  mover::MoverOptions options;
  options.operation = flags.positional().front();
  options.work_spec_path = flags.get("work-spec");
  options.secret_dir = flags.get("secret-dir");
  options.termination_message_path =
      flags.given("termination-message-path")
          ? flags.get("termination-message-path")
          : env_or("KOPIUR_TERMINATION_MESSAGE_PATH", flags.get("termination-message-path"));
  options.kopia_binary = env_or("KOPIA_BIN", "kopia");
  options.environment = kopiur::process::current_environment();
  options.local_mounts = env_or("KOPIUR_LOCAL_MOUNTS", "");
  options.cancelled = [&shutdown] { return shutdown->requested(); };
  const std::string grace = flags.get("kill-grace-seconds");
  char* end = nullptr;
  const long seconds = std::strtol(grace.c_str(), &end, 10);
  if (grace.empty() || *end != '\0' || seconds < 0 || seconds > 3600) {
    std::fprintf(stderr, "kopiur-mover: --kill-grace-seconds: expected 0-3600, got \"%s\"\n",
                 grace.c_str());
    return 2;
  }
  options.kill_grace = std::chrono::seconds(seconds);
  // run() closes the root span, writes the result and flushes telemetry before it returns.
  return mover::run(options, *telemetry);
}
