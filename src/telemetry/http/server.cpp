#include "kopiur/telemetry/http/server.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <exception>
#include <map>
#include <set>
#include <thread>
#include <utility>

#include <httplib.h>
#include <sys/socket.h>

#include "kopiur/telemetry/http/address.hpp"

#include "telemetry/http/detail/bind_error.hpp"
#include "telemetry/http/detail/connection_sweep.hpp"
#include "telemetry/http/detail/gzip.hpp"
#include "telemetry/http/detail/tls_credentials.hpp"

namespace kopiur::telemetry::http {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

Response text_response(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// Methods cpp-httplib reads a request body for (and routes to per-method handler tables); any
// other method it parses reaches us through the pre-routing hook, before a body would be read.
constexpr std::string_view kBodyMethods[] = {"GET",   "HEAD",   "POST",   "PUT",
                                             "PATCH", "DELETE", "OPTIONS"};

}  // namespace

std::string Request::header(std::string_view name) const {
  const auto it = headers.find(lower(name));
  return it == headers.end() ? std::string{} : it->second;
}

class HttpServer::Impl {
 public:
  explicit Impl(ServerOptions options) : options_(std::move(options)) {
    if (!options_.on_warning) {
      options_.on_warning = [](std::string_view message) {
        std::fprintf(stderr, "kopiur http server: %.*s\n", static_cast<int>(message.size()),
                     message.data());
      };
    }
  }

  void route(std::string method, std::string path, Handler handler) {
    std::lock_guard lock(lifecycle_mu_);
    if (started_) {
      warn("route " + method + " " + path + " added after start() is ignored");
      return;
    }
    // Methods are case-sensitive on the wire and always upper-case in practice.
    std::transform(method.begin(), method.end(), method.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    routes_[std::move(path)][std::move(method)] = std::move(handler);
  }

  std::string start() {
    std::lock_guard lock(lifecycle_mu_);
    if (started_) return "server already started on port " + std::to_string(port_.load());
    HostPort address;
    if (std::string err = parse_host_port(options_.address, address); !err.empty()) return err;
    if (options_.worker_threads < 1) {
      return "worker_threads must be at least 1, got " + std::to_string(options_.worker_threads);
    }
    if (std::string err = detail::check_resolvable(address); !err.empty()) return err;
    if (std::string err = make_server(); !err.empty()) return err;

    int port = address.port;
    if (port == 0) {
      port = server_->bind_to_any_port(address.host);
    } else if (!server_->bind_to_port(address.host, port)) {
      port = -1;
    }
    if (port <= 0) {
      server_.reset();
      return detail::explain_bind_failure(address);
    }
    port_ = static_cast<std::uint16_t>(port);
    host_ = address.host;
    thread_ = std::thread([this] {
      server_->listen_after_bind();
      listener_done_ = true;
    });
    // httplib's stop() only acts once its loop runs; waiting here makes stop() right after
    // start() safe.
    while (!server_->is_running() && !listener_done_) std::this_thread::yield();
    started_ = true;
    return {};
  }

  void stop() noexcept {
    std::lock_guard lock(lifecycle_mu_);
    if (!started_ || stopped_) return;
    stopped_ = true;
    // Closes the listening socket; the loop then drains the worker pool, so in-flight requests
    // finish before join() returns. Idle keep-alive connections and stalled handshakes are
    // woken with end-of-stream instead of being waited out.
    server_->stop();
    (void)detail::shut_down_reads_of_accepted(host_, port_.load(), [this](int peer_port) {
      std::lock_guard in_flight_lock(in_flight_mu_);
      return in_flight_.contains(peer_port);
    });
    if (thread_.joinable()) thread_.join();
  }

  [[nodiscard]] std::uint16_t port() const noexcept { return port_.load(); }

 private:
  void warn(std::string_view message) const noexcept {
    try {
      options_.on_warning(message);
    } catch (...) {
      // A throwing warning sink must not take the server down.
    }
  }

  std::string make_server() {
    if (options_.tls) {
      if (options_.tls->cert_file.empty() || options_.tls->key_file.empty()) {
        return "TLS needs both a certificate file and a key file";
      }
      tls_ = std::make_unique<detail::TlsCredentials>(
          *options_.tls, options_.tls_reload_check,
          [this](std::string_view message) { warn(message); });
      if (std::string err = tls_->load(); !err.empty()) return err;
      auto server =
          std::make_unique<httplib::SSLServer>([this](SSL_CTX& ctx) { return tls_->install(ctx); });
      if (!server->is_valid()) return "cannot set up the TLS context (OpenSSL)";
      server_ = std::move(server);
    } else {
      server_ = std::make_unique<httplib::Server>();
    }
    httplib::Server& s = *server_;
    // Only SO_REUSEADDR: httplib's default also sets SO_REUSEPORT, which would let a second
    // server share a port that is already in use instead of reporting it.
    s.set_socket_options([](socket_t sock) {
      const int yes = 1;
      setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    });
    const auto workers = static_cast<std::size_t>(options_.worker_threads);
    // httplib takes ownership of the returned queue.
    s.new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
    s.set_keep_alive_timeout(std::max<time_t>(1, options_.keep_alive_timeout.count()));
    s.set_read_timeout(5, 0);
    s.set_write_timeout(5, 0);
    s.set_payload_max_length(options_.max_body_bytes);
    s.set_tcp_nodelay(true);

    auto serve = [this](const httplib::Request& in, httplib::Response& out) { dispatch(in, out); };
    s.Get(".*", serve);
    s.Post(".*", serve);
    s.Put(".*", serve);
    s.Patch(".*", serve);
    s.Delete(".*", serve);
    s.Options(".*", serve);
    // A request is in flight from the moment its head is parsed until its response is written
    // (httplib calls the logger last): stop() leaves such connections alone.
    s.set_logger([this](const httplib::Request& in, const httplib::Response&) {
      std::lock_guard lock(in_flight_mu_);
      if (auto it = in_flight_.find(in.remote_port); it != in_flight_.end()) in_flight_.erase(it);
    });
    s.set_pre_routing_handler([this](const httplib::Request& in, httplib::Response& out) {
      {
        std::lock_guard lock(in_flight_mu_);
        in_flight_.insert(in.remote_port);
      }
      const bool has_table = std::find(std::begin(kBodyMethods), std::end(kBodyMethods),
                                       in.method) != std::end(kBodyMethods);
      // httplib would read a POST/PUT/PATCH/DELETE without Content-Length or chunking until the
      // client closes (then answer 400); HTTP says such a body is empty, so serve it here.
      const bool bodiless = !in.has_header("Content-Length") && !in.has_header("Transfer-Encoding");
      if (has_table && !bodiless) return httplib::Server::HandlerResponse::Unhandled;
      dispatch(in, out);
      return httplib::Server::HandlerResponse::Handled;
    });
    s.set_exception_handler(
        [](const httplib::Request&, httplib::Response& out, const std::exception_ptr&) {
          out.status = 500;
          out.set_content("internal error\n", "text/plain; charset=utf-8");
        });
    return {};
  }

  Response handle(const Request& request) const {
    const auto by_path = routes_.find(request.path);
    if (by_path == routes_.end()) return text_response(404, "not found: " + request.path + "\n");
    const auto& methods = by_path->second;
    auto it = methods.find(request.method);
    if (it == methods.end() && request.method == "HEAD") it = methods.find("GET");
    if (it == methods.end()) {
      std::string allow;
      for (const auto& [method, handler] : methods) {
        if (!allow.empty()) allow += ", ";
        allow += method;
        if (method == "GET" && !methods.contains("HEAD")) allow += ", HEAD";
      }
      Response r = text_response(405, "method " + request.method + " not allowed on " +
                                          request.path + "; allowed: " + allow + "\n");
      r.headers.emplace("Allow", allow);
      return r;
    }
    try {
      return it->second(request);
    } catch (const std::exception& e) {
      return text_response(500, std::string("handler failed: ") + e.what() + "\n");
    } catch (...) {
      return text_response(500, "handler failed\n");
    }
  }

  void dispatch(const httplib::Request& in, httplib::Response& out) const {
    try {
      Request request;
      request.method = in.method;
      request.path = in.path;
      if (const auto q = in.target.find('?'); q != std::string::npos) {
        request.query = in.target.substr(q + 1);
      }
      request.body = in.body;
      for (const auto& [name, value] : in.headers) request.headers.emplace(lower(name), value);
      take_over_encoding(in);
      Response response = handle(request);
      write(request, std::move(response), out);
    } catch (...) {
      out.status = 500;
      out.set_content("internal error\n", "text/plain; charset=utf-8");
    }
  }

  void write(const Request& request, Response response, httplib::Response& out) const {
    out.status = response.status;
    bool encoded = false;
    for (const auto& [name, value] : response.headers) {
      out.set_header(name, value);
      encoded = encoded || lower(name) == "content-encoding";
    }
    if (options_.gzip && !encoded && response.body.size() >= kMinGzipBytes) {
      out.set_header("Vary", "Accept-Encoding");
      if (detail::accepts_gzip(request.header("accept-encoding"))) {
        if (auto packed = detail::gzip_compress(response.body);
            packed && packed->size() < response.body.size()) {
          response.body = std::move(*packed);
          out.set_header("Content-Encoding", "gzip");
        }
      }
    }
    out.set_content(response.body, response.content_type);
  }

  // httplib compresses text bodies by itself when the request's Accept-Encoding mentions gzip or
  // br, ignoring q-values, size and a Content-Encoding the handler set. Encoding is decided here
  // instead, so the header is removed from the request before httplib writes the response. The
  // request object is httplib's own mutable local, handed to handlers by const reference.
  static void take_over_encoding(const httplib::Request& in) {
    const_cast<httplib::Request&>(in).headers.erase("Accept-Encoding");
  }

  ServerOptions options_;
  std::map<std::string, std::map<std::string, Handler>, std::less<>> routes_;
  std::unique_ptr<detail::TlsCredentials> tls_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<std::uint16_t> port_{0};
  std::string host_;  // as bound, for finding our connections at stop()
  std::mutex in_flight_mu_;
  std::multiset<int> in_flight_;  // peer ports of connections with a request being served
  std::atomic<bool> listener_done_{false};
  std::mutex lifecycle_mu_;
  bool started_ = false;
  bool stopped_ = false;
};

HttpServer::HttpServer(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpServer::~HttpServer() { impl_->stop(); }

void HttpServer::route(std::string method, std::string path, Handler handler) {
  impl_->route(std::move(method), std::move(path), std::move(handler));
}

std::string HttpServer::start() {
  try {
    return impl_->start();
  } catch (const std::exception& e) {
    return std::string("cannot start the HTTP server: ") + e.what();
  }
}

void HttpServer::stop() noexcept { impl_->stop(); }

std::uint16_t HttpServer::port() const noexcept { return impl_->port(); }

}  // namespace kopiur::telemetry::http
