// kopiur-localkube: serves a local Kubernetes API on 127.0.0.1 until SIGINT/SIGTERM.
//
//   kopiur-localkube [--listen 127.0.0.1:0] [--data-dir DIR] [--kubeconfig-out PATH]
//
// Prints "listening on http://127.0.0.1:PORT" once ready (scripts wait for that line).
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "kopiur/kube/local_server.hpp"
#include "kopiur/version.hpp"

namespace {

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: kopiur-localkube [--listen HOST:PORT] [--data-dir DIR] "
               "[--kubeconfig-out PATH] [--watch-history N]\n"
               "  --listen          address to serve on (default 127.0.0.1:0, a free port)\n"
               "  --data-dir        keep state in DIR/state.json across restarts\n"
               "  --kubeconfig-out  write a kubeconfig pointing at this server to PATH\n"
               "  --watch-history   events kept for resuming watches (default 1000)\n");
}

}  // namespace

int main(int argc, char** argv) {
  kopiur::kube::LocalApiServer::Options options;
  std::string kubeconfig_out;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "error: %s needs a value\n", arg.c_str());
        usage(stderr);
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      usage(stdout);
      return 0;
    } else if (arg == "--version") {
      std::printf("kopiur-localkube %s\n", kopiur::kVersion);
      return 0;
    } else if (arg == "--listen") {
      const auto listen = value();
      const auto colon = listen.rfind(':');
      char* end = nullptr;
      const long port =
          colon == std::string::npos ? -1 : std::strtol(listen.c_str() + colon + 1, &end, 10);
      if (colon == std::string::npos || *end != '\0' || port < 0 || port > 65535) {
        std::fprintf(stderr, "error: --listen expects HOST:PORT (e.g. 127.0.0.1:6443), got %s\n",
                     listen.c_str());
        return 2;
      }
      options.host = listen.substr(0, colon);
      options.port = static_cast<int>(port);
    } else if (arg == "--data-dir") {
      options.data_dir = value();
    } else if (arg == "--kubeconfig-out") {
      kubeconfig_out = value();
    } else if (arg == "--watch-history") {
      const auto text = value();
      options.watch_history = std::strtoul(text.c_str(), nullptr, 10);
      if (options.watch_history == 0) {
        std::fprintf(stderr, "error: --watch-history must be a positive number, got %s\n",
                     text.c_str());
        return 2;
      }
    } else {
      std::fprintf(stderr, "error: unknown argument %s\n", arg.c_str());
      usage(stderr);
      return 2;
    }
  }

  // Block the stop signals before any thread starts so only sigwait() below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto server = kopiur::kube::LocalApiServer::start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "error: %s\n", server.error().to_string().c_str());
    return 1;
  }
  if (!kubeconfig_out.empty()) {
    if (auto written = (*server)->write_kubeconfig(kubeconfig_out); !written.ok()) {
      std::fprintf(stderr, "error: %s\n", written.error().to_string().c_str());
      return 1;
    }
  }
  std::printf("listening on %s\n", (*server)->url().c_str());
  if (!kubeconfig_out.empty()) std::printf("kubeconfig: %s\n", kubeconfig_out.c_str());
  std::fflush(stdout);
  int received = 0;
  sigwait(&signals, &received);
  (*server)->stop();
  return 0;
}
