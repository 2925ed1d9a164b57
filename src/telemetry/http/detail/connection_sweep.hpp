// Ending idle connections at shutdown. cpp-httplib's stop() closes the listener, but a worker
// serving a keep-alive connection waits up to the keep-alive timeout for the next request (and
// one stuck in a TLS handshake up to the read timeout) before it notices. httplib never shows us
// the accepted sockets, so stop() finds them in /proc/self/fd by their local address and shuts
// down their receiving side, so waiting reads see end-of-stream at once. Connections with a
// request in flight are skipped (httplib treats a read-shut socket as dead and would not write
// the response); they close by themselves once answered, as the listener is gone.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace kopiur::telemetry::http::detail {

// Shuts down the read side of every connected TCP socket of this process whose local port is
// `port` and whose local address is `host` (any address when `host` is a wildcard such as
// "0.0.0.0" or "::"), except those whose peer port `busy` reports as serving a request. Returns
// how many sockets it touched. Linux-only; a no-op elsewhere.
int shut_down_reads_of_accepted(const std::string& host, std::uint16_t port,
                                const std::function<bool(int peer_port)>& busy) noexcept;

}  // namespace kopiur::telemetry::http::detail
