#include "telemetry/http/detail/refusal_report.hpp"

#include <cstdint>
#include <utility>

namespace kopiur::telemetry::http::detail {

std::string describe_refusals(const ServerStats& before, const ServerStats& now) {
  const std::pair<const char*, std::uint64_t ServerStats::*> fields[] = {
      {"head timeout", &ServerStats::head_timeouts},
      {"body too slow", &ServerStats::body_timeouts},
      {"TLS handshake timeout", &ServerStats::handshake_timeouts},
      {"TLS handshake failed", &ServerStats::handshake_failures},
      {"431 head too large", &ServerStats::head_too_large},
      {"414 request line too long", &ServerStats::request_line_too_long},
      {"413 body too large", &ServerStats::body_too_large},
      {"400 malformed", &ServerStats::bad_requests},
      {"response not read in time", &ServerStats::write_timeouts},
      {"idle connection closed at max_connections", &ServerStats::connections_evicted},
      {"refused at max_connections", &ServerStats::connections_refused},
      {"stream dropped: client not reading", &ServerStats::streams_dropped},
  };
  std::string parts;
  std::uint64_t total = 0;
  for (const auto& [name, member] : fields) {
    const std::uint64_t grew = now.*member - before.*member;
    if (grew == 0) continue;
    total += grew;
    if (!parts.empty()) parts += ", ";
    parts += std::string(name) + ": " + std::to_string(grew);
  }
  if (total == 0) return {};
  return "refused or cut off " + std::to_string(total) +
         " requests or connections since the last report: " + parts;
}

}  // namespace kopiur::telemetry::http::detail
