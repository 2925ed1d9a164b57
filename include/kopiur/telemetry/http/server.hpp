// File: kopiur/telemetry/http/server.hpp
//
// HttpServer: the small HTTP(S) server behind every component's /metrics, /healthz and /readyz
// (and the webhook's admission routes). Routes are exact paths; GET routes also answer HEAD;
// unknown paths get 404 and known paths with another method 405. TLS certificate and key files
// are re-read when they change on disk. Handlers run on the server's worker threads and must be
// thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace kopiur::telemetry::http {

struct Request {
  std::string method;
  std::string path;
  std::string body;
  std::multimap<std::string, std::string> headers;  // names lower-cased
  // The value of a header (case-insensitive name), or empty.
  [[nodiscard]] std::string header(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::multimap<std::string, std::string> headers;
};

using Handler = std::function<Response(const Request&)>;

struct TlsFiles {
  std::string cert_file;  // PEM chain
  std::string key_file;   // PEM private key
};

struct ServerOptions {
  std::string address = "0.0.0.0:8080";              // host:port; port 0 picks a free one
  std::optional<TlsFiles> tls;                       // HTTPS when set
  std::chrono::milliseconds tls_reload_check{2000};  // how often to stat the cert/key files
  int worker_threads = 4;
  bool gzip = true;  // compress responses when the client sends Accept-Encoding: gzip
};

// HttpServer. start() binds and serves on background threads; stop() (and the destructor) stops
// accepting, lets in-flight requests finish and joins the threads.
class HttpServer {
 public:
  explicit HttpServer(ServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Registers a handler for an exact path and method ("GET", "POST", ...). Before start() only.
  void route(std::string method, std::string path, Handler handler);

  // Binds and starts serving. Returns an empty string on success, else an actionable error
  // (e.g. "cannot bind 0.0.0.0:8080: Address already in use").
  [[nodiscard]] std::string start();
  void stop() noexcept;

  // The bound port (useful with port 0), 0 before start().
  [[nodiscard]] std::uint16_t port() const noexcept;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Health: liveness and readiness state behind /healthz and /readyz. Thread-safe.
class Health {
 public:
  // Not ready until set_ready(true); the reason is shown in the 503 body of /readyz.
  void set_ready(bool ready, std::string reason = {});
  [[nodiscard]] bool ready() const;
  [[nodiscard]] std::string reason() const;

 private:
  mutable std::mutex mu_;
  bool ready_ = false;
  std::string reason_ = "starting";
};

// Registers GET /healthz (always 200 "ok" while the process serves) and GET /readyz (200 "ok"
// when ready, else 503 with the reason) on `server`. `health` must outlive the server.
void add_health_routes(HttpServer& server, const Health& health);

}  // namespace kopiur::telemetry::http
