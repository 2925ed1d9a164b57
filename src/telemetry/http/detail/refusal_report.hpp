// The periodic summary of what an HttpServer refused: one line per interval, never per request.
#pragma once

#include <string>

#include "kopiur/telemetry/http/server.hpp"

namespace kopiur::telemetry::http::detail {

// "refused or cut off 7 connections in the last interval: 431 head too large: 5, head
// timeout: 2" for the counters that grew from `before` to `now`; empty when none did.
[[nodiscard]] std::string describe_refusals(const ServerStats& before, const ServerStats& now);

}  // namespace kopiur::telemetry::http::detail
