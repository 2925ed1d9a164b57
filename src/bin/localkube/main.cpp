// kopiur-localkube: serves a local Kubernetes API on 127.0.0.1 until SIGINT/SIGTERM, for
// development, the test suite and tools/run-local.sh.
//
// Prints "listening on http://127.0.0.1:PORT" once it serves, then "kubeconfig: PATH" when it
// wrote one (scripts wait for those lines).
#include <cstdio>
#include <cstdlib>
#include <string>

#include "kopiur/app/cli.hpp"
#include "kopiur/app/shutdown.hpp"
#include "kopiur/localkube/server.hpp"
#include "kopiur/telemetry/http/address.hpp"

namespace {

namespace app = kopiur::app;

app::ProgramSpec localkube_spec() {
  app::ProgramSpec spec;
  spec.name = "kopiur-localkube";
  spec.summary = "A local Kubernetes API server for kopiur (kubectl works against it).";
  spec.flags = {
      {"listen", "HOST:PORT", "Address to serve on (port 0: a free one)", "127.0.0.1:0"},
      {"data-dir", "DIR",
       "Keep state in DIR (state.json and state.log) across restarts (default: memory)", ""},
      {"kubeconfig-out", "PATH", "Write a kubeconfig pointing at this server to PATH", ""},
      {"watch-history", "N", "Events kept for resuming watches", "1000"},
      {"run-jobs", "", "Run Jobs' pods as local processes (command, args, env; logs via kubectl)",
       ""},
      {"work-dir", "DIR", "Where pods' logs live (default: DATA-DIR/pods, else a temporary dir)",
       ""},
      {"volumes-dir", "DIR",
       "PersistentVolumeClaims' data as DIR/NAMESPACE/CLAIM (default: DATA-DIR/volumes, else "
       "WORK-DIR/volumes)",
       ""},
  };
  return spec;
}

int fail(const std::string& message, int code) {
  std::fprintf(stderr, "kopiur-localkube: %s\n", message.c_str());
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  app::Flags flags;
  if (auto code = app::handle_command_line(localkube_spec(), argc, argv, flags)) return *code;

  kopiur::localkube::LocalApiServer::Options options;
  kopiur::telemetry::http::HostPort listen;
  if (std::string error = kopiur::telemetry::http::parse_host_port(flags.get("listen"), listen);
      !error.empty()) {
    return fail("--listen: " + error, 2);
  }
  options.host = listen.host;
  options.port = listen.port;
  options.data_dir = flags.get("data-dir");
  options.run_jobs = flags.enabled("run-jobs");
  options.work_dir = flags.get("work-dir");
  options.volumes_dir = flags.get("volumes-dir");
  const std::string history = flags.get("watch-history");
  char* end = nullptr;
  options.watch_history = std::strtoul(history.c_str(), &end, 10);
  if (history.empty() || *end != '\0' || options.watch_history == 0) {
    return fail("--watch-history must be a positive number, got '" + history + "'", 2);
  }

  auto shutdown = app::ShutdownSignal::install();
  auto server = kopiur::localkube::LocalApiServer::start(options);
  if (!server.ok()) return fail(server.error().to_string(), 1);
  const std::string kubeconfig_out = flags.get("kubeconfig-out");
  std::printf("listening on %s\n", (*server)->url().c_str());
  if (!kubeconfig_out.empty()) {
    if (auto written = (*server)->write_kubeconfig(kubeconfig_out); !written.ok()) {
      return fail(written.error().to_string(), 1);
    }
    std::printf("kubeconfig: %s\n", kubeconfig_out.c_str());
  }
  std::fflush(stdout);
  shutdown->wait();
  (*server)->stop();
  return 0;
}
