// Collector URL parsing: http:// or https://, a host, an optional port (default 4317, the OTLP/gRPC
// port). gRPC addresses a server by host:port only, so a path, query or user info means the value
// was written for something else (often the OTLP/HTTP endpoint) and is rejected.
#include <string>

#include "telemetry/otlp/detail/parse.hpp"

namespace kopiur::telemetry::otlp::detail {

namespace {
constexpr std::uint32_t kDefaultGrpcPort = 4317;

bool valid_host_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}
bool valid_ipv6_char(char c) noexcept {
  return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || (c >= '0' && c <= '9') || c == ':' ||
         c == '.';
}
}  // namespace

std::variant<Endpoint, std::string> parse_endpoint(std::string_view value) {
  const auto url = trim(value);
  const auto sep = url.find("://");
  if (sep == std::string_view::npos) {
    return std::string("is not a URL with a scheme");
  }
  const auto scheme = to_lower(url.substr(0, sep));
  if (scheme != "http" && scheme != "https") {
    return "has scheme \"" + scheme +
           "\"; only http:// (plaintext) and https:// (TLS) are supported";
  }
  auto rest = url.substr(sep + 3);
  const auto authority_end = rest.find_first_of("/?#");
  const auto authority = rest.substr(0, authority_end);
  const auto tail =
      authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) {
    return std::string("contains user info; put credentials in OTEL_EXPORTER_OTLP_HEADERS");
  }
  if (!tail.empty() && tail != "/") {
    return "has a path, query or fragment (\"" + std::string(tail) +
           "\"); OTLP/gRPC takes only scheme://host:port";
  }
  std::string_view host;
  std::string_view port_text;
  bool ipv6 = false;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::string("has an unclosed IPv6 bracket");
    host = authority.substr(1, close - 1);
    ipv6 = true;
    const auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::string("has junk after the IPv6 address");
      port_text = after.substr(1);
      if (port_text.empty()) return std::string("has an empty port");
    }
    for (char c : host) {
      if (!valid_ipv6_char(c)) return std::string("has an invalid IPv6 address");
    }
  } else {
    const auto colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return std::string("has an empty port");
    }
    for (char c : host) {
      if (!valid_host_char(c)) {
        return "has an invalid character '" + std::string(1, c) + "' in the host";
      }
    }
  }
  if (host.empty()) return std::string("has no host");
  std::uint32_t port = kDefaultGrpcPort;
  if (!port_text.empty()) {
    const auto parsed = parse_uint(port_text);
    if (!parsed || *parsed == 0 || *parsed > 65535) {
      return "has an invalid port \"" + std::string(port_text) + "\" (1-65535)";
    }
    port = *parsed;
  }
  Endpoint endpoint;
  endpoint.url = std::string(url);
  endpoint.tls = scheme == "https";
  endpoint.target =
      (ipv6 ? "[" + std::string(host) + "]" : std::string(host)) + ":" + std::to_string(port);
  return endpoint;
}

}  // namespace kopiur::telemetry::otlp::detail
