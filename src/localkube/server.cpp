// LocalApiServer: the store, the streams' pump and the workloads behind kopiur_http's server,
// which hands every request to detail::serve (routing.cpp).
#include "kopiur/localkube/server.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <utility>

#include "kopiur/telemetry/http/server.hpp"

#include "localkube/detail/api.hpp"
#include "localkube/detail/local_store.hpp"
#include "localkube/detail/routing.hpp"
#include "localkube/detail/stream_pump.hpp"
#include "localkube/detail/workloads.hpp"

namespace kopiur::localkube {
namespace {

namespace http = telemetry::http;

http::ServerOptions http_options(const LocalApiServer::Options& options) {
  http::ServerOptions out;
  out.address = options.host + ":" + std::to_string(options.port);
  out.worker_threads = static_cast<int>(std::max<std::size_t>(1, options.threads));
  out.max_connections = options.max_connections;
  out.max_body_bytes = options.max_body_bytes;
  out.max_stream_buffer_bytes = options.max_watch_buffer_bytes;
  out.on_warning = [](std::string_view message) {
    std::fprintf(stderr, "kopiur-localkube: %.*s\n", static_cast<int>(message.size()),
                 message.data());
  };
  return out;
}

detail::LocalStore::Options store_options(const LocalApiServer::Options& options) {
  detail::LocalStore::Options out;
  out.data_dir = options.data_dir;
  out.watch_history = options.watch_history;
  return out;
}

}  // namespace

struct LocalApiServer::Impl {
  Options options;
  detail::LocalStore store;
  detail::StreamPump streams;
  std::unique_ptr<detail::Workloads> workloads;
  detail::Context context;
  http::HttpServer server;
  std::mutex stop_mu;
  bool stopped = false;

  explicit Impl(Options o)
      : options(std::move(o)),
        store(store_options(options)),
        streams(store),
        context{options, store, streams},
        server(http_options(options)) {}
};

LocalApiServer::LocalApiServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

LocalApiServer::~LocalApiServer() { stop(); }

kube::Result<std::unique_ptr<LocalApiServer>> LocalApiServer::start(Options options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  if (auto loaded = impl->store.load(); !loaded.ok()) return loaded.error();
  impl->store.enable_admission();
  if (impl->options.run_jobs) {
    auto workloads = detail::Workloads::prepare(impl->store, impl->options);
    if (!workloads.ok()) return workloads.error();
    impl->workloads = std::move(*workloads);
    impl->context.kubelet = &impl->workloads->kubelet();
  }
  auto* raw = impl.get();
  impl->server.set_fallback(
      [raw](const http::Request& request) { return detail::serve(raw->context, request); });
  if (std::string error = impl->server.start(); !error.empty()) {
    impl->store.shutdown();
    return Error{"bind " + impl->options.host + ":" + std::to_string(impl->options.port), 0, "",
                 error};
  }
  impl->context.port = impl->server.port();
  auto started = std::unique_ptr<LocalApiServer>(new LocalApiServer(std::move(impl)));
  if (raw->workloads) {
    if (auto written = started->write_kubeconfig(raw->workloads->kubeconfig_path());
        !written.ok()) {
      return written.error();
    }
    raw->workloads->start();
  }
  return started;
}

int LocalApiServer::port() const { return impl_->context.port; }

std::string LocalApiServer::url() const {
  return "http://" + impl_->options.host + ":" + std::to_string(port());
}

std::string LocalApiServer::kubeconfig() const {
  return "apiVersion: v1\nkind: Config\nclusters:\n- name: kopiur-localkube\n  cluster:\n"
         "    server: " +
         url() +
         "\ncontexts:\n- name: kopiur-localkube\n  context:\n    cluster: kopiur-localkube\n"
         "    user: kopiur-localkube\n    namespace: default\n"
         "current-context: kopiur-localkube\nusers:\n- name: kopiur-localkube\n  user: {}\n";
}

kube::Status LocalApiServer::write_kubeconfig(const std::string& path) const {
  std::ofstream out(path, std::ios::trunc);
  out << kubeconfig();
  out.close();
  if (!out) return Error{"write kubeconfig " + path, 0, "", "cannot write the file"};
  return {};
}

void LocalApiServer::stop() {
  std::lock_guard lock(impl_->stop_mu);
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->store.shutdown();
  if (impl_->workloads) impl_->workloads->stop();
  // Open watches and log streams end with their last chunk, then the server stops serving.
  impl_->streams.stop();
  impl_->server.stop();
}

}  // namespace kopiur::localkube
