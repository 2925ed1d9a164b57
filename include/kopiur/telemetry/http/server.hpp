// File: kopiur/telemetry/http/server.hpp
//
// HttpServer: the small HTTP(S) server behind every component's /metrics, /healthz and /readyz
// (and the webhook's admission routes). Routes are exact paths; GET routes also answer HEAD;
// unknown paths get 404 and known paths with another method 405. TLS certificate and key files
// are re-read when they change on disk. Handlers run on the server's worker threads and must be
// thread-safe.
//
//   HttpServer server({.address = ":8080"});
//   Health health;
//   add_health_routes(server, health);
//   add_metrics_route(server, "/metrics", [&](std::string_view accept) {
//     return reader.scrape(accept);  // {content type, body}
//   });
//   if (std::string err = server.start(); !err.empty()) { /* report err, exit */ }
//   health.set_ready(true);
//
// Cost: one std::function call per request plus a copy of the body into the socket; gzip (zlib
// level 6) only for bodies of kMinGzipBytes or more. Failures: start() returns an actionable
// string (bad address, port in use, unreadable TLS files); a handler that throws yields a 500;
// a failed TLS reload keeps the previous certificate and reports through on_warning. Nothing in
// this header throws into its caller after construction.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace kopiur::telemetry::http {

struct Request {
  std::string method;
  std::string path;   // decoded, without the query string; routes match it exactly
  std::string query;  // the raw query string after '?', e.g. "timeout=10s"; empty if none
  std::string body;
  std::multimap<std::string, std::string> headers;  // names lower-cased
  // The value of a header (case-insensitive name), or empty.
  [[nodiscard]] std::string header(std::string_view name) const;
};

// Content-Type and Content-Length come from content_type and body. A Content-Encoding in
// headers means the body is already encoded, and the server leaves it alone.
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
  // An idle keep-alive connection is closed after this long (stop() closes idle ones at once).
  std::chrono::seconds keep_alive_timeout{2};
  std::size_t max_body_bytes = 16u << 20;  // larger request bodies get 413
  // Non-fatal problems found while serving (a TLS reload that failed, keeping the old
  // certificate). Called from a server thread; must not throw. Default: a line on stderr.
  std::function<void(std::string_view message)> on_warning;
};

// Responses smaller than this are sent uncompressed: gzip's framing would outweigh the saving.
inline constexpr std::size_t kMinGzipBytes = 1024;

// HttpServer. start() binds and serves on background threads; stop() (and the destructor) stops
// accepting, lets in-flight requests finish, closes idle keep-alive connections at once and joins
// the threads. stop() must not be called from a handler (it waits for the handlers).
class HttpServer {
 public:
  explicit HttpServer(ServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Registers a handler for an exact path and method ("GET", "POST", ...). Before start() only:
  // later calls are ignored with a warning. Bodies are read for GET, HEAD, POST, PUT, PATCH,
  // DELETE and OPTIONS; other methods reach their handler with an empty body.
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

// What a metrics reader returns for one scrape: the content type to send and the body.
using ScrapeResult = std::pair<std::string, std::string>;
// Renders one scrape; `accept` is the request's Accept header (empty when absent), so the reader
// can pick Prometheus text or OpenMetrics. Must be thread-safe (concurrent scrapes).
using ScrapeFn = std::function<ScrapeResult(std::string_view accept)>;

// Registers GET `path` (usually "/metrics") answering with `scrape(accept)`. A scrape that throws
// answers 500 with the exception's message. Keeps http independent of the metrics library.
void add_metrics_route(HttpServer& server, std::string path, ScrapeFn scrape);

}  // namespace kopiur::telemetry::http
