// File: kopiur/telemetry/http/server.hpp
//
// HttpServer: the small HTTP(S) server behind every component's /metrics, /healthz and /readyz
// (and the webhook's admission routes) and under the local API server. Routes are exact paths;
// GET routes also answer HEAD; a fallback handler (set_fallback) takes every other path, else
// unknown paths get 404 and known paths with another method 405. TLS certificate and key files
// are re-read when they change on disk. Handlers run on the server's worker threads and must be
// thread-safe. A response may be streamed (Response::stream: watches, followed logs), written
// chunk by chunk as its producer pushes them. Slow or stalled clients cost a socket, a timer and
// their buffered bytes, never a thread.
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
// Cost: one std::function call per request (on the worker pool, or inline on the event loop for
// routes that ask for it: see Execution) plus a copy of the body; gzip (zlib
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

// The producing side of a streamed response (Response::stream). Thread-safe, and no call ever
// waits for the client: chunks are queued and written by the server's event loop.
class StreamWriter {
 public:
  virtual ~StreamWriter() = default;
  // Queues one chunk, sent as soon as the connection can take it: a chunk is never held back
  // waiting for more, nor compressed. Empty chunks are ignored. Returns false once the stream has
  // ended: the client went away, it was dropped for not reading (more than
  // ServerOptions::max_stream_buffer_bytes queued), the producer closed it, or the server stops.
  // The producer should then let go of the writer.
  virtual bool write(std::string chunk) = 0;
  // Ends the response after what is queued. Idempotent.
  virtual void close() = 0;
  // Cuts the connection now, without what is queued and without the last chunk (the client sees
  // a reset in the middle of the body, as when a proxy or the server dies): for fault tests.
  // Nothing happens once the stream has ended.
  virtual void abort() = 0;
  // Whether write() still accepts chunks.
  [[nodiscard]] virtual bool open() const = 0;
  // Bytes queued and not yet written to the socket; a producer with much to send (a large log)
  // waits while this is high instead of running into the drop bound.
  [[nodiscard]] virtual std::size_t queued_bytes() const = 0;
};

// Starts a streamed body with the writer the producer keeps (called once, on a worker thread).
using StreamStart = std::function<void(std::shared_ptr<StreamWriter> writer)>;

// Content-Type and Content-Length come from content_type and body. A Content-Encoding in
// headers means the body is already encoded, and the server leaves it alone.
struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::multimap<std::string, std::string> headers;
  // When set, `body` is ignored and the body is streamed: the status and headers go out with
  // chunked transfer encoding (never gzip, so no chunk waits for a compressor), then `stream` is
  // called with the writer. The connection closes after the stream ends. HEAD gets the head only.
  StreamStart stream;
};

using Handler = std::function<Response(const Request&)>;

// Where a route's handler runs. Handing a request to the worker pool and its answer back costs
// two thread switches, more than rendering a small /metrics or answering /healthz; a handler that
// can block (a store lookup, a large render, a call to another server) must stay on the pool,
// since while it runs inline its event-loop thread serves no other connection.
enum class Execution {
  kPool,    // on the worker pool (the default)
  kInline,  // on the event-loop thread: short handlers that never block (/healthz, /readyz)
  // Inline while the route's last run took at most ServerOptions::inline_budget, else on the
  // pool; a run on the pool that is fast again brings the route back inline. /metrics: a small
  // exposition renders inline, a registry grown to 100,000 series moves to the pool by itself.
  kInlineWhileFast,
};

struct TlsFiles {
  std::string cert_file;  // PEM chain
  std::string key_file;   // PEM private key
};

struct ServerOptions {
  std::string address = "0.0.0.0:8080";              // host:port; port 0 picks a free one
  std::optional<TlsFiles> tls;                       // HTTPS when set
  std::chrono::milliseconds tls_reload_check{2000};  // how often to stat the cert/key files
  // Threads running handlers (a bounded pool; the event loop never waits for a handler).
  int worker_threads = 4;
  // Threads reading and writing the connections, each running its own event loop; connections
  // are dealt to them in turn. Two use both cores of a small node for inline handlers (/metrics).
  int io_threads = 2;
  // The longest a Execution::kInlineWhileFast handler may have taken last time to run inline.
  std::chrono::microseconds inline_budget{250};
  bool gzip = true;  // compress responses when the client sends Accept-Encoding: gzip

  // Deadlines. A connection that misses one is closed and counted (see ServerStats).
  // The request head (line and headers) must arrive within this of the connection, of its
  // first byte after an idle keep-alive wait, or of the previous response when pipelined.
  std::chrono::milliseconds head_timeout{10'000};
  // The TLS handshake must finish within this of the connection.
  std::chrono::milliseconds handshake_timeout{10'000};
  // An idle keep-alive connection is closed after this long (stop() closes idle ones at once).
  std::chrono::milliseconds keep_alive_timeout{60'000};
  // A request body must arrive at min_body_bytes_per_second after a grace of body_grace.
  std::chrono::milliseconds body_grace{10'000};
  std::size_t min_body_bytes_per_second = 1024;
  // A response must be written (the client must read it) within this.
  std::chrono::milliseconds write_timeout{30'000};

  // Limits. Refusals answer with the status named and close the connection.
  std::size_t max_head_bytes = 64u << 10;     // request line + headers -> 431
  std::size_t max_header_count = 100;         // -> 431
  std::size_t max_request_line_bytes = 8192;  // method + target + version -> 414
  std::size_t max_body_bytes = 3u << 20;      // POST, PUT, ... bodies -> 413, rest unread
  std::size_t max_get_body_bytes = 0;         // GET and HEAD bodies (the routes take none)
  // Open connections; at the cap the longest idle one (else the oldest still sending its
  // head) is closed for a new one, and with none of those the new one is refused.
  std::size_t max_connections = 1024;
  // A streamed response whose client lets more than this many bytes queue up (it does not read)
  // is dropped, as a real API server drops slow watchers; the producer and other streams never
  // wait for it.
  std::size_t max_stream_buffer_bytes = 4u << 20;
  // Refusals are reported through on_warning at most once per interval, as a summary.
  std::chrono::milliseconds refusal_log_interval{60'000};

  // Called on an event-loop thread for each request refused with 413 (body over the limit), with
  // its path (the target without the query string), so a program can count them by route. Must
  // be cheap and must not throw. Default: none.
  std::function<void(std::string_view path)> on_body_too_large;

  // Non-fatal problems found while serving (a TLS reload that failed, keeping the old
  // certificate; the periodic refusal summary). Called from a server thread; must not throw.
  // Default: a line on stderr.
  std::function<void(std::string_view message)> on_warning;
};

// Connections and requests the server refused or cut off since start(), by cause.
struct ServerStats {
  std::uint64_t head_timeouts = 0;          // head not received within head_timeout
  std::uint64_t body_timeouts = 0;          // body slower than min_body_bytes_per_second
  std::uint64_t handshake_timeouts = 0;     // TLS handshake not finished within handshake_timeout
  std::uint64_t handshake_failures = 0;     // not TLS, no common protocol, ...
  std::uint64_t head_too_large = 0;         // 431: head over max_head_bytes or max_header_count
  std::uint64_t request_line_too_long = 0;  // 414
  std::uint64_t body_too_large = 0;         // 413
  std::uint64_t bad_requests = 0;           // 400: not parseable as HTTP/1.x
  std::uint64_t write_timeouts = 0;         // the client did not read its response in time
  std::uint64_t connections_evicted = 0;    // closed at max_connections for a new one
  std::uint64_t connections_refused = 0;    // at max_connections with nothing to evict
  std::uint64_t streams_dropped = 0;        // streamed response over max_stream_buffer_bytes
  [[nodiscard]] std::uint64_t total() const noexcept;
};

// Responses smaller than this are sent uncompressed: gzip's framing would outweigh the saving.
inline constexpr std::size_t kMinGzipBytes = 1024;

// HttpServer. start() binds and serves on background threads: io_threads each run an event loop
// (Boost.Asio) reading and writing their share of the connections, handlers run on
// worker_threads (or inline: Execution). stop()
// (and the destructor) stops accepting, lets in-flight requests finish and write their answers,
// closes idle and half-received connections at once and joins the threads. stop() must not be
// called from a handler (it waits for the handlers).
class HttpServer {
 public:
  explicit HttpServer(ServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Registers a handler for an exact path and method ("GET", "POST", ...), run as `execution`
  // says. Before start() only: later calls are ignored with a warning.
  void route(std::string method, std::string path, Handler handler,
             Execution execution = Execution::kPool);

  // Registers the handler for every request whose path has no exact route, whatever its method
  // (it answers 404 and 405 itself), e.g. an API server's /api/... and /apis/... trees. Before
  // start() only: later calls are ignored with a warning.
  void set_fallback(Handler handler);

  // Binds and starts serving. Returns an empty string on success, else an actionable error
  // (e.g. "cannot bind 0.0.0.0:8080: Address already in use").
  [[nodiscard]] std::string start();
  void stop() noexcept;

  // The bound port (useful with port 0), 0 before start().
  [[nodiscard]] std::uint16_t port() const noexcept;

  // Refusals and cut-off connections so far.
  [[nodiscard]] ServerStats stats() const noexcept;

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
// when ready, else 503 with the reason) on `server`, both inline. `health` must outlive the
// server.
void add_health_routes(HttpServer& server, const Health& health);

// What a metrics reader returns for one scrape: the content type to send and the body.
using ScrapeResult = std::pair<std::string, std::string>;
// Renders one scrape; `accept` is the request's Accept header (empty when absent), so the reader
// can pick Prometheus text or OpenMetrics. Must be thread-safe (concurrent scrapes).
using ScrapeFn = std::function<ScrapeResult(std::string_view accept)>;

// Registers GET `path` (usually "/metrics") answering with `scrape(accept)`, run with
// Execution::kInlineWhileFast. A scrape that throws answers 500 with the exception's message.
// Keeps http independent of the metrics library.
void add_metrics_route(HttpServer& server, std::string path, ScrapeFn scrape);

}  // namespace kopiur::telemetry::http
