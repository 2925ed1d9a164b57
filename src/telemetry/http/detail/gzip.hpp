// gzip helpers for HttpServer: whether a request accepts gzip, and compression of a body.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kopiur::telemetry::http::detail {

// True when an Accept-Encoding header value lists gzip (or *) with a non-zero q-value.
[[nodiscard]] bool accepts_gzip(std::string_view accept_encoding) noexcept;

// The gzip (RFC 1952) encoding of `body`, or nullopt if zlib fails (the caller then sends the
// body uncompressed).
[[nodiscard]] std::optional<std::string> gzip_compress(std::string_view body);

}  // namespace kopiur::telemetry::http::detail
