// File: kopiur/telemetry/log/sink.hpp
//
// Sink: where the fmt layer writes finished lines (spdlog's sink, minus the formatter).
//   FdSink      a file descriptor (stdout by default): one write(2) per line under a mutex, so
//               lines from concurrent threads never interleave; EPIPE/EBADF lose the line, never
//               the process (SIGPIPE is ignored when it is still at its default disposition,
//               as Rust programs do; a spawner should reset it in children).
//   CaptureSink keeps lines in memory for tests, with a waiting helper.
//   NullSink    discards (benchmarks).
//
// Thread-safety: write() may be called from any thread. Failure: write() never throws;
// FdSink counts the lines it could not write.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace kopiur::telemetry::log {

class Sink {
 public:
  virtual ~Sink() = default;
  // Writes one complete line (it ends with '\n').
  virtual void write(std::string_view line) noexcept = 0;
  virtual void flush() noexcept {}
};

class FdSink final : public Sink {
 public:
  // Does not take ownership of `fd`.
  explicit FdSink(int fd) noexcept;
  void write(std::string_view line) noexcept override;
  void flush() noexcept override;
  [[nodiscard]] int fd() const noexcept { return fd_; }
  // Lines lost to write errors (closed pipe, full disk, closed fd).
  [[nodiscard]] std::uint64_t failed_writes() const noexcept {
    return failed_.load(std::memory_order_relaxed);
  }

 private:
  int fd_;
  std::mutex mutex_;
  std::atomic<std::uint64_t> failed_{0};
};

class CaptureSink final : public Sink {
 public:
  void write(std::string_view line) noexcept override;
  // Lines without their trailing newline.
  [[nodiscard]] std::vector<std::string> lines() const;
  // Everything written, newlines included.
  [[nodiscard]] std::string text() const;
  [[nodiscard]] std::size_t size() const;
  void clear();
  // Waits until at least `count` lines arrived or `timeout` passed; true if they did.
  bool wait_for_lines(std::size_t count, std::chrono::milliseconds timeout) const;

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<std::string> lines_;
};

class NullSink final : public Sink {
 public:
  void write(std::string_view line) noexcept override {
    bytes_.fetch_add(line.size(), std::memory_order_relaxed);
  }
  [[nodiscard]] std::size_t bytes() const noexcept {
    return bytes_.load(std::memory_order_relaxed);
  }

 private:
  std::atomic<std::size_t> bytes_{0};  // keeps the formatting work observable
};

}  // namespace kopiur::telemetry::log
