// Turning a failed bind into a sentence naming the address, the reason and what to do.
#pragma once

#include <string>

#include "kopiur/telemetry/http/address.hpp"

namespace kopiur::telemetry::http::detail {

// Resolves `address` as a passive TCP address. Empty when it resolves, else
// "cannot resolve host 'x': Name or service not known".
[[nodiscard]] std::string check_resolvable(const HostPort& address);

// "cannot bind h:p: <strerror(err)> (<hint>)" for a bind that failed with errno `err`.
[[nodiscard]] std::string describe_bind_error(const HostPort& address, int err);

// Why binding `address` fails now, as "cannot bind h:p: <reason> (<hint>)". Called after the
// server's own bind failed; if the probe binds fine (the port was freed meanwhile) the reason
// says so.
[[nodiscard]] std::string explain_bind_failure(const HostPort& address);

}  // namespace kopiur::telemetry::http::detail
