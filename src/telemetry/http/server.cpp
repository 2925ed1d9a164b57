#include "kopiur/telemetry/http/server.hpp"

#include <algorithm>
#include <cctype>
#include <exception>
#include <map>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "kopiur/telemetry/http/address.hpp"

#include "telemetry/http/detail/ascii.hpp"
#include "telemetry/http/detail/bind_error.hpp"
#include "telemetry/http/detail/refusal_report.hpp"
#include "telemetry/http/detail/server_core.hpp"
#include "telemetry/http/detail/session.hpp"
#include "telemetry/http/detail/tls_credentials.hpp"

namespace kopiur::telemetry::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::vector<std::unique_ptr<asio::io_context>> make_loops(int io_threads) {
  std::vector<std::unique_ptr<asio::io_context>> loops;
  for (int i = 0; i < std::max(1, io_threads); ++i) {
    loops.push_back(std::make_unique<asio::io_context>(1));  // one thread runs each
  }
  return loops;
}

Response text_response(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// Options that make no sense, as a sentence naming the field; empty when all are usable.
std::string check_options(const ServerOptions& o) {
  if (o.worker_threads < 1) {
    return "worker_threads must be at least 1, got " + std::to_string(o.worker_threads);
  }
  if (o.io_threads < 1) return "io_threads must be at least 1, got " + std::to_string(o.io_threads);
  if (o.max_connections < 1) return "max_connections must be at least 1";
  if (o.inline_budget.count() < 0) return "inline_budget must not be negative";
  if (o.max_header_count < 1) return "max_header_count must be at least 1";
  if (o.max_stream_buffer_bytes < 1) return "max_stream_buffer_bytes must be at least 1";
  if (o.max_head_bytes < 64) return "max_head_bytes must be at least 64";
  if (o.head_timeout.count() <= 0 || o.handshake_timeout.count() <= 0 ||
      o.keep_alive_timeout.count() <= 0 || o.write_timeout.count() <= 0 ||
      o.refusal_log_interval.count() <= 0) {
    return "head_timeout, handshake_timeout, keep_alive_timeout, write_timeout and "
           "refusal_log_interval must be positive";
  }
  return {};
}

}  // namespace

std::uint64_t ServerStats::total() const noexcept {
  return head_timeouts + body_timeouts + handshake_timeouts + handshake_failures + head_too_large +
         request_line_too_long + body_too_large + bad_requests + write_timeouts +
         connections_evicted + connections_refused + streams_dropped;
}

std::string Request::header(std::string_view name) const {
  const auto it = headers.find(detail::ascii_lower(name));
  return it == headers.end() ? std::string{} : it->second;
}

class HttpServer::Impl final : public detail::ServerCore {
 public:
  explicit Impl(ServerOptions options)
      : ServerCore(std::move(options)),
        loops_(make_loops(options_.io_threads)),
        acceptor_(*loops_.front()),
        accept_retry_(*loops_.front()),
        report_timer_(*loops_.front()) {}

  void route(std::string method, std::string path, Handler handler, Execution execution) {
    std::lock_guard lock(lifecycle_mu_);
    if (started_) {
      warn("route " + method + " " + path + " added after start() is ignored");
      return;
    }
    // Methods are case-sensitive on the wire and always upper-case in practice.
    std::transform(method.begin(), method.end(), method.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    routes_[std::move(path)].insert_or_assign(
        std::move(method),
        Route{std::move(handler), execution, std::make_shared<std::atomic<std::int64_t>>(0)});
  }

  void set_fallback(Handler handler) {
    std::lock_guard lock(lifecycle_mu_);
    if (started_) {
      warn("fallback handler set after start() is ignored");
      return;
    }
    fallback_ = std::move(handler);
  }

  std::string start() {
    std::lock_guard lock(lifecycle_mu_);
    if (started_) return "server already started on port " + std::to_string(port_.load());
    HostPort address;
    if (std::string err = parse_host_port(options_.address, address); !err.empty()) return err;
    if (std::string err = check_options(options_); !err.empty()) return err;
    if (std::string err = detail::check_resolvable(address); !err.empty()) return err;
    if (std::string err = make_tls(); !err.empty()) return err;
    if (std::string err = bind(address); !err.empty()) return err;

    start_pool();
    accept();
    schedule_report();
    for (auto& loop : loops_) {
      // A loop with no connection yet must not return from run() at once.
      keep_running_.push_back(asio::make_work_guard(*loop));
      io_threads_.emplace_back([&loop] { loop->run(); });
    }
    started_ = true;
    return {};
  }

  void stop() noexcept {
    std::lock_guard lock(lifecycle_mu_);
    if (!started_ || stopped_) return;
    stopped_ = true;
    // The loop ends by itself once nothing is left to do: the listener and the report timer are
    // gone, idle and half-received connections are closed, and requests being handled finish and
    // write their answers (a handler's job holds the loop open until its answer is posted back).
    asio::post(*loops_.front(), [this] {
      stopping_ = true;
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      accept_retry_.cancel();
      report_timer_.cancel();
      close_all_soon();
    });
    keep_running_.clear();
    for (auto& t : io_threads_) t.join();
    join_pool();
  }

  [[nodiscard]] std::uint16_t port() const noexcept { return port_.load(); }

  [[nodiscard]] bool runs_inline(const Request& request) const override {
    const Route* route = find(request);
    if (route == nullptr) return false;  // the fallback and 404/405 answers
    switch (route->execution) {
      case Execution::kPool:
        return false;
      case Execution::kInline:
        return true;
      case Execution::kInlineWhileFast:
        return route->last_ns->load(std::memory_order_relaxed) <=
               std::chrono::nanoseconds(options_.inline_budget).count();
    }
    return false;
  }

  [[nodiscard]] Response handle(const Request& request) const override {
    if (const Route* route = find(request)) {
      if (route->execution != Execution::kInlineWhileFast) return call(route->handler, request);
      const auto start = std::chrono::steady_clock::now();
      Response answer = call(route->handler, request);
      route->last_ns->store((std::chrono::steady_clock::now() - start).count(),
                            std::memory_order_relaxed);
      return answer;
    }
    const auto by_path = routes_.find(request.path);
    if (by_path == routes_.end()) {
      if (fallback_) return call(fallback_, request);
      return text_response(404, "not found: " + request.path + "\n");
    }
    std::string allow;
    for (const auto& [method, route] : by_path->second) {
      if (!allow.empty()) allow += ", ";
      allow += method;
      if (method == "GET" && !by_path->second.contains("HEAD")) allow += ", HEAD";
    }
    Response r = text_response(405, "method " + request.method + " not allowed on " + request.path +
                                        "; allowed: " + allow + "\n");
    r.headers.emplace("Allow", allow);
    return r;
  }

 private:
  struct Route {
    Handler handler;
    Execution execution = Execution::kPool;
    // How long the last run took, for kInlineWhileFast; shared so the route map stays copyable.
    std::shared_ptr<std::atomic<std::int64_t>> last_ns;
  };

  // The route for the request's path and method (HEAD falls back to GET), or null.
  [[nodiscard]] const Route* find(const Request& request) const {
    const auto by_path = routes_.find(request.path);
    if (by_path == routes_.end()) return nullptr;
    auto it = by_path->second.find(request.method);
    if (it == by_path->second.end() && request.method == "HEAD") it = by_path->second.find("GET");
    return it == by_path->second.end() ? nullptr : &it->second;
  }

  static Response call(const Handler& handler, const Request& request) {
    try {
      return handler(request);
    } catch (const std::exception& e) {
      return text_response(500, std::string("handler failed: ") + e.what() + "\n");
    } catch (...) {
      return text_response(500, "handler failed\n");
    }
  }

  std::string make_tls() {
    if (!options_.tls) return {};
    if (options_.tls->cert_file.empty() || options_.tls->key_file.empty()) {
      return "TLS needs both a certificate file and a key file";
    }
    tls_creds_ = std::make_unique<detail::TlsCredentials>(
        *options_.tls, options_.tls_reload_check,
        [this](std::string_view message) { warn(message); });
    if (std::string err = tls_creds_->load(); !err.empty()) return err;
    tls_ctx_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    tls_ctx_->set_options(asio::ssl::context::default_workarounds |
                          asio::ssl::context::single_dh_use);
    if (!tls_creds_->install(*tls_ctx_->native_handle())) {
      return "cannot set up the TLS context (OpenSSL)";
    }
    return {};
  }

  std::string bind(const HostPort& address) {
    boost::system::error_code ec;
    const auto ip = asio::ip::make_address(address.host, ec);
    tcp::endpoint endpoint;
    if (!ec) {
      endpoint = tcp::endpoint(ip, address.port);
    } else {
      tcp::resolver resolver(*loops_.front());
      auto results = resolver.resolve(address.host, std::to_string(address.port),
                                      tcp::resolver::passive | tcp::resolver::numeric_service, ec);
      if (ec || results.empty()) return detail::check_resolvable(address);
      endpoint = results.begin()->endpoint();
    }
    // Only SO_REUSEADDR, never SO_REUSEPORT: a second server on a busy port must fail loudly.
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      return ec.category() == boost::system::system_category()
                 ? detail::describe_bind_error(address, ec.value())
                 : detail::explain_bind_failure(address);
    }
    port_ = acceptor_.local_endpoint(ec).port();
    return {};
  }

  void accept() {
    // Connections are dealt to the loops in turn; each loop has one thread, so a connection's
    // handlers never run concurrently and no strand is needed.
    const std::size_t loop = next_loop_++ % loops_.size();
    acceptor_.async_accept(*loops_[loop],
                           [this](boost::system::error_code ec, detail::LoopSocket socket) {
                             if (ec == asio::error::operation_aborted || stopping_) return;
                             if (!ec) {
                               detail::serve_connection(std::move(socket), *this, tls_ctx_.get());
                               return accept();
                             }
                             // Out of file descriptors (or memory) fails every accept at once until
                             // a connection closes; retrying after a pause keeps that from spinning
                             // the loop.
                             accept_retry_.expires_after(std::chrono::milliseconds(50));
                             accept_retry_.async_wait([this](boost::system::error_code wait_ec) {
                               if (!wait_ec && !stopping_) accept();
                             });
                           });
  }

  // Refusals are summarised once per interval instead of logged per request, so a flood cannot
  // turn into a flood of log lines.
  void schedule_report() {
    report_timer_.expires_after(options_.refusal_log_interval);
    report_timer_.async_wait([this](boost::system::error_code ec) {
      if (ec || stopping_) return;
      const ServerStats now = stats();
      if (std::string line = detail::describe_refusals(reported_, now); !line.empty()) warn(line);
      reported_ = now;
      schedule_report();
    });
  }

  std::map<std::string, std::map<std::string, Route>, std::less<>> routes_;
  Handler fallback_;
  // One event loop per I/O thread: a connection lives on one loop, so its wake-ups stay on one
  // thread instead of passing through a scheduler shared by all (its lock and condition variable
  // cost more than a small /metrics render).
  std::vector<std::unique_ptr<asio::io_context>> loops_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> keep_running_;
  std::size_t next_loop_ = 0;  // used on the accepting loop only
  tcp::acceptor acceptor_;
  asio::steady_timer accept_retry_;
  asio::steady_timer report_timer_;
  ServerStats reported_;
  std::unique_ptr<detail::TlsCredentials> tls_creds_;
  std::unique_ptr<asio::ssl::context> tls_ctx_;
  std::vector<std::thread> io_threads_;
  std::atomic<std::uint16_t> port_{0};
  std::mutex lifecycle_mu_;
  bool started_ = false;
  bool stopped_ = false;
};

HttpServer::HttpServer(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpServer::~HttpServer() { impl_->stop(); }

void HttpServer::route(std::string method, std::string path, Handler handler, Execution execution) {
  impl_->route(std::move(method), std::move(path), std::move(handler), execution);
}

void HttpServer::set_fallback(Handler handler) { impl_->set_fallback(std::move(handler)); }

std::string HttpServer::start() {
  try {
    return impl_->start();
  } catch (const std::exception& e) {
    return std::string("cannot start the HTTP server: ") + e.what();
  }
}

void HttpServer::stop() noexcept { impl_->stop(); }

std::uint16_t HttpServer::port() const noexcept { return impl_->port(); }

ServerStats HttpServer::stats() const noexcept { return impl_->stats(); }

}  // namespace kopiur::telemetry::http
