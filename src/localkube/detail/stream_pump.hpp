// StreamPump: one thread that drives every open watch and followed log. After each change in the
// store (and when a stream's own time falls due: a bookmark, a timeout, the next look at a log
// file) it lets each stream send what is new into its HTTP writer, which never blocks. So an open
// watch costs its connection and its queued bytes, not a thread, and a client that stops reading
// is dropped by the HTTP server without slowing the others.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "localkube/detail/local_store.hpp"

namespace kopiur::localkube::detail {

class StreamPump {
 public:
  using Clock = std::chrono::steady_clock;

  class Stream {
   public:
    virtual ~Stream() = default;
    // Sends what is new. Returns the latest time it wants to run again even without a change in
    // the store, or nullopt when it is finished (it has closed its writer, or the client left).
    virtual std::optional<Clock::time_point> pump() = 0;
    // Ends the stream (server stopping): its response ends cleanly.
    virtual void close() = 0;
  };

  explicit StreamPump(LocalStore& store);
  ~StreamPump();
  StreamPump(const StreamPump&) = delete;
  StreamPump& operator=(const StreamPump&) = delete;

  // Runs the stream's first pump on the calling thread, then hands it to the pump thread.
  void add(std::unique_ptr<Stream> stream);
  // Closes every stream and joins the thread; later add()s close their stream at once.
  void stop();
  // Streams open now (for tests and diagnostics).
  [[nodiscard]] std::size_t size() const;

 private:
  void run();
  // One pass over every stream; returns the earliest time one wants to run again.
  Clock::time_point pump_all(Clock::time_point now);

  LocalStore& store_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Stream>> incoming_;  // added, not yet seen by the pump thread
  bool stopping_ = false;
  std::vector<std::unique_ptr<Stream>> active_;  // the pump thread's own
  std::size_t active_count_ = 0;                 // active_.size(), readable under mu_
  std::thread thread_;
};

}  // namespace kopiur::localkube::detail
