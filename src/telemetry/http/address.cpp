#include "kopiur/telemetry/http/address.hpp"

#include <charconv>

namespace kopiur::telemetry::http {
namespace {

std::string invalid(std::string_view text, std::string_view why) {
  std::string msg = "invalid address '";
  msg.append(text).append("': ").append(why);
  return msg;
}

}  // namespace

std::string parse_host_port(std::string_view text, HostPort& out) {
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return invalid(text, "missing ']' after the IPv6 host");
    host = text.substr(1, close - 1);
    if (host.empty()) return invalid(text, "empty IPv6 host between '[' and ']'");
    if (close + 1 >= text.size() || text[close + 1] != ':') {
      return invalid(text, "expected ':port' after ']'");
    }
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return invalid(text, "expected host:port, [ipv6]:port or :port");
    }
    host = text.substr(0, colon);
    if (host.find(':') != std::string_view::npos) {
      return invalid(text, "an IPv6 host must be bracketed, e.g. [::1]:8080");
    }
    port = text.substr(colon + 1);
  }
  if (port.empty()) return invalid(text, "missing port number after ':'");
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc{} || end != port.data() + port.size()) {
    return invalid(text, "port '" + std::string(port) + "' is not a number");
  }
  if (value > 65535) {
    return invalid(text, "port " + std::string(port) + " is out of range 0-65535");
  }
  out.host = host.empty() ? "0.0.0.0" : std::string(host);
  out.port = static_cast<std::uint16_t>(value);
  return {};
}

std::string format_host_port(const HostPort& address) {
  const bool v6 = address.host.find(':') != std::string::npos;
  std::string text = v6 ? "[" + address.host + "]" : address.host;
  return text + ":" + std::to_string(address.port);
}

}  // namespace kopiur::telemetry::http
