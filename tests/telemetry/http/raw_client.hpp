// Test helpers talking HTTP/1.1 over a plain socket, byte for byte: the tests control every
// header (no client-side Accept-Encoding or decompression) and can send malformed requests.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kopiur::telemetry::http::testing {

struct RawResponse {
  int status = 0;
  std::multimap<std::string, std::string> headers;  // names lower-cased
  std::string body;
  [[nodiscard]] std::string header(const std::string& lower_name) const;
  [[nodiscard]] std::size_t count(const std::string& lower_name) const;
};

// Sends `request` to 127.0.0.1:port and reads until the server closes. Returns everything
// received (empty if the server closed without answering). With `half_close` the client also
// shuts down its sending side, as a client that gives up would (the server sees EOF early and
// closes without answering a request it has not fully received).
[[nodiscard]] std::string exchange(std::uint16_t port, std::string_view request,
                                   bool half_close = false);

// Parses a complete response; nullopt if `raw` is not one.
[[nodiscard]] std::optional<RawResponse> parse_response(const std::string& raw);

// A "Connection: close" request with the given extra header lines ("Name: value\r\n" each).
[[nodiscard]] std::string make_request(std::string_view method, std::string_view path,
                                       std::string_view extra_headers = {},
                                       std::string_view body = {});

// exchange() + parse_response(); a failed parse gives status 0.
[[nodiscard]] RawResponse send(std::uint16_t port, std::string_view method, std::string_view path,
                               std::string_view extra_headers = {}, std::string_view body = {});

// Inflates a gzip body; nullopt if it is not valid gzip.
[[nodiscard]] std::optional<std::string> gunzip(std::string_view data);

// Whether a TCP connection to 127.0.0.1:port is accepted right now.
[[nodiscard]] bool can_connect(std::uint16_t port);

// One TCP connection to 127.0.0.1:port kept open across requests: for keep-alive, pipelining,
// slow senders and watching the server close it. Every wait has a deadline.
class RawConnection {
 public:
  // receive_buffer > 0 sets SO_RCVBUF before connecting: a small one keeps the kernel from
  // buffering megabytes for a client that does not read (autotuning is then off).
  explicit RawConnection(std::uint16_t port, int receive_buffer = 0);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  [[nodiscard]] bool connected() const noexcept { return fd_ >= 0; }
  // Sends all of `bytes`; false if the connection is closed or broken.
  bool send(std::string_view bytes);
  // Reads until `count` complete responses (framed by Content-Length; `head` for answers to
  // HEAD, which carry none) have arrived, the server closes, or `timeout` passes.
  [[nodiscard]] std::vector<RawResponse> read_responses(std::size_t count,
                                                        std::chrono::milliseconds timeout,
                                                        bool head = false);
  // True when the server closes the connection (end of stream or reset) within `timeout`;
  // anything it sends meanwhile is kept for read_responses().
  [[nodiscard]] bool wait_closed(std::chrono::milliseconds timeout);
  // Whether the connection ended with a reset (ECONNRESET) rather than an orderly close.
  [[nodiscard]] bool was_reset() const noexcept { return peer_reset_; }
  // Reads until what arrived so far contains `needle`, the server closes, or `timeout` passes;
  // true when it is there. For streamed responses, read as they come.
  [[nodiscard]] bool read_until(std::string_view needle, std::chrono::milliseconds timeout);
  // Everything received and not yet consumed by read_responses().
  [[nodiscard]] const std::string& received() const noexcept { return pending_; }
  // Forgets what arrived so far (a long stream read event by event, so that read_until() does
  // not search the whole stream again for each event).
  void discard_received() noexcept { pending_.clear(); }

 private:
  // One recv() waiting at most until `deadline`; false on timeout, close or error.
  bool receive_until(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  bool peer_closed_ = false;
  bool peer_reset_ = false;
  std::string pending_;
};

}  // namespace kopiur::telemetry::http::testing
