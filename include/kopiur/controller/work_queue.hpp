// File: kopiur/controller/work_queue.hpp
//
// WorkQueue: the controller's scheduler, with client-go's work-queue guarantees.
//   - Deduplication: a key added while it waits is queued once ("dirty" set).
//   - Exclusion: a key is handed to one worker at a time; added while a worker has it, it is
//     queued again when that worker calls done(), so every change after a reconcile started is
//     seen by a later reconcile, and two reconciles of one object never overlap.
//   - Delays: add_after(key, d) makes the key ready at now + d; the earliest pending time wins,
//     and an immediate add() cancels a pending delayed one (kube-rs' scheduler merges the same
//     way), so a change to an object in backoff is reconciled at once.
//   - Pause: a paused queue (a follower in leader election) keeps accepting keys but hands none
//     out, so the first reconcile after winning the lease sees everything that changed.
//
//   WorkQueue queue(clock);
//   queue.add("Backup/ns/a");
//   while (auto key = queue.get()) { reconcile(*key); queue.done(*key); }
//
// Thread-safety: every method is safe from any thread. get() blocks until a key is ready, the
// queue is resumed or shutdown() is called (then it returns nullopt). Cost: O(log n) per add,
// one mutex. Failure: none (std::bad_alloc only).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

#include "kopiur/controller/clock.hpp"

namespace kopiur::controller {

class WorkQueue {
 public:
  explicit WorkQueue(const Clock& clock) : clock_(clock) {}

  void add(const std::string& key);
  void add_after(const std::string& key, Clock::duration delay);
  // The next ready key, now marked as being processed; nullopt once shut down.
  std::optional<std::string> get();
  // The worker has finished `key`; a key added meanwhile becomes ready again.
  void done(const std::string& key);
  void set_paused(bool paused);
  void shutdown();

  struct Counts {
    std::size_t ready = 0;           // waiting for a worker
    std::size_t delayed = 0;         // waiting for their time
    std::size_t processing = 0;      // held by workers
    std::size_t requeued = 0;        // held by a worker and added again meanwhile
    Clock::time_point busy_since{};  // when the queue last went from idle to having work
  };
  [[nodiscard]] Counts counts() const;
  // Calls visit(key) for every ready key (for per-kind depth metrics); under the queue's lock.
  void for_each_ready(const std::function<void(const std::string&)>& visit) const;

 private:
  void promote_due_locked(Clock::time_point now);
  void push_ready_locked(const std::string& key);

  const Clock& clock_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::string> ready_;
  std::set<std::string> dirty_;       // queued (ready, or re-queued once processing ends)
  std::set<std::string> processing_;  // handed to a worker
  std::multimap<Clock::time_point, std::string> delayed_;
  std::unordered_map<std::string, std::multimap<Clock::time_point, std::string>::iterator> due_;
  Clock::time_point busy_since_{};
  bool paused_ = false;
  bool shutdown_ = false;
};

}  // namespace kopiur::controller
