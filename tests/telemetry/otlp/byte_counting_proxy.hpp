// ByteCountingProxy: a TCP relay on 127.0.0.1:<ephemeral> in front of a server, counting the bytes
// the client sends. Lets a test see what actually crosses the wire (e.g. that gzip shrank it),
// which the gRPC server API hides.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace kopiur::telemetry::otlp::testing {

class ByteCountingProxy {
 public:
  explicit ByteCountingProxy(int target_port);
  ~ByteCountingProxy();
  ByteCountingProxy(const ByteCountingProxy&) = delete;
  ByteCountingProxy& operator=(const ByteCountingProxy&) = delete;

  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::uint64_t client_bytes() const { return client_bytes_.load(); }

 private:
  void accept_loop();
  void relay(int client, int server);

  int target_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> client_bytes_{0};
  std::mutex mutex_;
  std::vector<int> fds_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace kopiur::telemetry::otlp::testing
