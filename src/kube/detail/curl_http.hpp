// The HTTP transport of the Kubernetes client and of the local API server's webhook calls, on
// libcurl: one request on a reusable connection (perform), a pool of those connections
// (CurlPool), and a streamed response delivered as its bytes arrive and cancellable from another
// thread (CurlStream, for watches). curl stays behind this header: callers see requests,
// responses and kube::Error.
//
// Deadlines: every request has a connect deadline (TCP and TLS handshake); ordinary requests a
// total one; streams an idle one (no byte for that long ends the stream with an Error) instead.
// Errors say which URL failed and how: refused, unresolvable, timed out (which deadline), TLS.
//
// Thread-safety: a curl easy handle is used by one thread at a time: CurlPool lends each handle
// to one caller until the lease ends; CurlStream owns its handles, and only cancel() is called
// from other threads (it sets a flag and wakes curl_multi_poll, which is thread-safe).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "kopiur/kube/result.hpp"

namespace kopiur::kube::detail {

struct TlsOptions {
  std::string ca_pem;  // trusted CA bundle (PEM); "" = the system's trust store
  bool insecure_skip_verify = false;
  std::string client_cert_pem;  // client certificate and key (PEM), both or neither
  std::string client_key_pem;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;                   // scheme://host:port/path?query
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // sent when non-empty (or for POST/PUT/PATCH)
  TlsOptions tls;
  std::chrono::milliseconds connect_timeout{10000};  // TCP connect + TLS handshake
  std::chrono::milliseconds total_timeout{30000};    // the whole exchange; 0 = none (streams)
  // Ask for and decode gzip answers. Streams leave it off: a server then has nothing to buffer.
  bool accept_gzip = false;
};

struct HttpResponse {
  int status = 0;
  std::string body;
};

// CurlEasy: one libcurl easy handle; the connection it opened stays open for its next request.
class CurlEasy {
 public:
  CurlEasy();
  ~CurlEasy();
  CurlEasy(const CurlEasy&) = delete;
  CurlEasy& operator=(const CurlEasy&) = delete;
  void* get() const { return handle_; }
  // The socket of the connection the handle opened last (-1 when closed), for acknowledging
  // answers at once (see perform()).
  int* socket_slot() { return &socket_; }

 private:
  void* handle_;
  int socket_ = -1;
};

// perform(): one request on `easy` (which keeps its connection for the next one). An Error
// (step "") when no HTTP answer came; any HTTP status is a response.
Result<HttpResponse> perform(CurlEasy& easy, const HttpRequest& request);

// CurlPool: lends easy handles so that sequential requests reuse connections; at most
// `max_idle` handles are kept between requests, more are created while threads are waiting for
// none.
class CurlPool {
 public:
  explicit CurlPool(std::size_t max_idle = 4) : max_idle_(max_idle) {}
  Result<HttpResponse> perform(const HttpRequest& request);

 private:
  std::unique_ptr<CurlEasy> acquire();
  void release(std::unique_ptr<CurlEasy> easy);

  std::size_t max_idle_;
  std::mutex mu_;
  std::vector<std::unique_ptr<CurlEasy>> idle_;
};

// CurlStream: one streamed request. run() calls on_data(status, bytes) for each piece of the
// body as it arrives (before the next piece is read) until on_data returns false, the server
// ends the answer, the idle deadline passes or cancel() is called. Shared ownership lets a
// cancel callback outlive run().
class CurlStream {
  struct Private {};  // only create() constructs a CurlStream

 public:
  enum class End { kComplete, kStoppedByCaller, kCancelled };
  struct Outcome {
    End end = End::kComplete;
    int status = 0;  // the HTTP status, 0 when none arrived
  };
  using OnData = std::function<bool(int status, std::string_view bytes)>;

  static std::shared_ptr<CurlStream> create();
  explicit CurlStream(Private);
  ~CurlStream();
  CurlStream(const CurlStream&) = delete;
  CurlStream& operator=(const CurlStream&) = delete;

  // run(): once per CurlStream. Error (step "") on a transport failure or the idle deadline.
  Result<Outcome> run(const HttpRequest& request, std::chrono::milliseconds idle_timeout,
                      const OnData& on_data);
  // cancel(): from any thread, before or during run(); run() returns kCancelled promptly.
  void cancel();

 private:
  void* multi_;
  std::atomic<bool> cancelled_{false};
};

// describe_url(): the URL without its query, for messages.
std::string describe_url(const std::string& url);

}  // namespace kopiur::kube::detail
