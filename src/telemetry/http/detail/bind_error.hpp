// Turning a failed bind into a sentence: cpp-httplib reports only "failed", so HttpServer asks
// the system again to learn and explain why.
#pragma once

#include <string>

#include "kopiur/telemetry/http/address.hpp"

namespace kopiur::telemetry::http::detail {

// Resolves `address` as a passive TCP address. Empty when it resolves, else
// "cannot resolve host 'x': Name or service not known".
[[nodiscard]] std::string check_resolvable(const HostPort& address);

// Why binding `address` fails now, as "cannot bind h:p: <reason> (<hint>)". Called after the
// server's own bind failed; if the probe binds fine (the port was freed meanwhile) the reason
// says so.
[[nodiscard]] std::string explain_bind_failure(const HostPort& address);

}  // namespace kopiur::telemetry::http::detail
