// Test helpers talking HTTP/1.1 over a plain socket, byte for byte: the tests control every
// header (no client-side Accept-Encoding or decompression) and can send malformed requests.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

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
// shuts down its sending side, as a client that gives up would (the server sees EOF early, and
// httplib then drops an unanswered request).
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

}  // namespace kopiur::telemetry::http::testing
