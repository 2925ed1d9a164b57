// ScriptedServer: a plain-TCP HTTP peer on 127.0.0.1 whose every byte a test writes by hand, to
// drive the client's transport through what a real API server cannot be made to do on cue:
// stream one event and wait, stall, never answer, compress unasked. Each accepted connection runs
// the test's script on its own thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace kopiur::kube::testing {

class ScriptedConnection {
 public:
  explicit ScriptedConnection(int fd) : fd_(fd) {}
  // read_head(): the next request's line and headers (up to the blank line); "" on EOF.
  std::string read_head();
  // read_body(): exactly `size` bytes of body; false on EOF.
  bool read_body(std::size_t size);
  bool write(std::string_view bytes);
  // write_chunk(): one chunk of a chunked body ("" writes the last chunk).
  bool write_chunk(std::string_view bytes);

 private:
  int fd_;
  std::string buffer_;
};

class ScriptedServer {
 public:
  using Script = std::function<void(ScriptedConnection&)>;
  explicit ScriptedServer(Script script);
  // Closes the listener and every connection (unblocking their scripts), then joins them.
  ~ScriptedServer();
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;

  bool listening() const { return listener_ >= 0; }
  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int accepted() const { return accepted_.load(); }

 private:
  void accept_loop();

  Script script_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<int> accepted_{0};
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::vector<int> connections_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

// free_port(): a port nothing listens on (bound, then closed).
std::uint16_t free_port();

}  // namespace kopiur::kube::testing
