// One HTTP/1.1 connection on the server's event loop: TLS handshake, request head and body under
// deadlines and limits, the handler (inline or on the worker pool), the answer, keep-alive.
// Requests on a connection are answered one after another, so pipelined requests get their answers
// in order.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "telemetry/http/detail/server_core.hpp"

namespace kopiur::telemetry::http::detail {

// A connection's socket, bound to the concrete executor of its event loop: the type-erased
// any_io_executor of tcp::socket is copied, moved and destroyed by every asynchronous operation,
// a few percent of a small /metrics request's CPU.
using LoopExecutor = boost::asio::io_context::executor_type;
using LoopSocket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, LoopExecutor>;

// Serves `socket` (whose executor is an event loop run by one thread) until it closes. With `tls`
// the connection starts with a server-side TLS handshake. `core` must outlive the connection.
void serve_connection(LoopSocket socket, ServerCore& core, boost::asio::ssl::context* tls);

}  // namespace kopiur::telemetry::http::detail
