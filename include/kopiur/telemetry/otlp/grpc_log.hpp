// File: kopiur/telemetry/otlp/grpc_log.hpp
//
// route_grpc_logs(): gRPC's own diagnostics (a failed TLS handshake, a refused connection) go
// through kopiur's logger under target `grpc` instead of gRPC's default stderr writer, whose
// `E1201 12:00:00.000 ... ssl_transport_security.cc:1234] Handshake failed` lines would break
// JSON log output and ignore RUST_LOG. gRPC's ERROR becomes error, INFO info, DEBUG debug; the
// source file and line are fields.
//
// Like the logger install it is process-wide (gRPC keeps one log function per process):
// init_telemetry() calls it once the logger is live; later calls do nothing.
//
// Thread-safety: any thread; gRPC calls the hook from its own threads. Failure: none.
#pragma once

namespace kopiur::telemetry::otlp {

void route_grpc_logs();

}  // namespace kopiur::telemetry::otlp
