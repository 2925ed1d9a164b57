// File: kopiur/telemetry/http/address.hpp
//
// Parsing of listen addresses as the programs' --*-address flags take them: "host:port",
// "[v6-host]:port" or ":port" (all IPv4 interfaces). Pure functions, thread-safe, no I/O: a
// program can validate a flag before anything starts. Errors are sentences naming the bad part.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kopiur::telemetry::http {

struct HostPort {
  std::string host;  // without brackets; "0.0.0.0" for ":port"
  std::uint16_t port = 0;
};

// Parses `text` into `out`. Returns an empty string on success, else why it is not an address,
// e.g. "invalid address 'nohost': expected host:port, [ipv6]:port or :port".
[[nodiscard]] std::string parse_host_port(std::string_view text, HostPort& out);

// "host:port", bracketing IPv6 hosts: the inverse of parse_host_port.
[[nodiscard]] std::string format_host_port(const HostPort& address);

}  // namespace kopiur::telemetry::http
