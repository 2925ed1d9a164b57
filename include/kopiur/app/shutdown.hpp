// File: kopiur/app/shutdown.hpp
//
// ShutdownSignal: turns SIGTERM and SIGINT into an orderly stop. install() must be called at the
// top of main(), before any thread starts: it blocks both signals in the calling thread (and so
// in every thread created afterwards) and starts one watcher thread that receives them with
// sigwait(), so no work ever runs in a signal handler. The first signal makes requested() true and
// wakes every waiter; a second one exits the process at once with 128+signo (the operator's
// "I mean it"). Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace kopiur::app {

class ShutdownSignal {
 public:
  // Blocks SIGTERM/SIGINT and starts the watcher. Only one may exist per process at a time.
  static std::unique_ptr<ShutdownSignal> install();
  ~ShutdownSignal();
  ShutdownSignal(const ShutdownSignal&) = delete;
  ShutdownSignal& operator=(const ShutdownSignal&) = delete;

  // Asks for shutdown as a signal would (for programmatic stops and tests).
  void request(int signo = 0);
  [[nodiscard]] bool requested() const;
  // The signal that asked for shutdown (0 when request() was called without one).
  [[nodiscard]] int signal_number() const;
  // Blocks until shutdown is requested.
  void wait() const;
  // Blocks until shutdown is requested or `timeout` passes; returns requested().
  bool wait_for(std::chrono::milliseconds timeout) const;

 private:
  ShutdownSignal() = default;
  void watch();

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  bool requested_ = false;
  bool closing_ = false;
  int signo_ = 0;
  std::thread watcher_;
};

}  // namespace kopiur::app
