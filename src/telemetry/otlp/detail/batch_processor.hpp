// BatchProcessor<Item>: the bounded queue and worker thread behind the span and log exporters.
//
// try_push() is the only call on a recording thread: a short mutex section that moves the item
// into a deque, or refuses it (counted) when the queue is full. The worker wakes when a batch is
// full, the schedule delay has passed, or a flush/shutdown asks, and exports up to
// max_export_batch_size items at a time outside the lock. flush(t) waits until everything queued
// before the call has been exported or given up. shutdown(t) drains what it can by t, then
// cancels the transport so a dead collector cannot hold the caller, and joins the worker.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "kopiur/telemetry/otlp/config.hpp"

#include "telemetry/otlp/detail/drop_reporter.hpp"

namespace kopiur::telemetry::otlp::detail {

template <class Item>
class BatchProcessor {
 public:
  using Clock = std::chrono::steady_clock;
  // Exports one batch; returns true on success. Called on the worker thread only.
  using ExportFn = std::function<bool(std::vector<Item>& batch, Clock::time_point deadline)>;
  // Aborts exports in flight and all later ones (shutdown on a deadline).
  using CancelFn = std::function<void()>;

  BatchProcessor(const BatchConfig& config, std::chrono::milliseconds export_timeout,
                 ExportFn export_fn, CancelFn cancel_fn, DropReporter& reporter)
      : config_(config),
        export_timeout_(export_timeout),
        export_fn_(std::move(export_fn)),
        cancel_fn_(std::move(cancel_fn)),
        reporter_(reporter),
        worker_([this] { run(); }) {}

  ~BatchProcessor() { shutdown(std::chrono::milliseconds{0}); }

  BatchProcessor(const BatchProcessor&) = delete;
  BatchProcessor& operator=(const BatchProcessor&) = delete;

  // A lock-free early check for the recording thread: when the queue is full (the steady state
  // behind a dead collector) the caller can count the drop without building the item.
  [[nodiscard]] bool full() const noexcept {
    return size_.load(std::memory_order_relaxed) >= config_.max_queue_size;
  }
  void note_dropped() noexcept { reporter_.note_queue_full(); }

  bool try_push(Item&& item) noexcept {
    std::unique_lock lock(mutex_);
    if (stopping_ || queue_.size() >= config_.max_queue_size) {
      lock.unlock();
      reporter_.note_queue_full();
      return false;
    }
    try {
      queue_.push_back(std::move(item));
    } catch (...) {  // no memory for the queue's next block: drop and count, never terminate
      lock.unlock();
      reporter_.note_out_of_memory(1);
      return false;
    }
    size_.store(queue_.size(), std::memory_order_relaxed);
    ++enqueued_;
    const bool batch_ready = queue_.size() >= config_.max_export_batch_size;
    lock.unlock();
    if (batch_ready) wake_.notify_one();
    return true;
  }

  bool flush(std::chrono::milliseconds timeout) noexcept {
    std::unique_lock lock(mutex_);
    if (worker_exited_) return queue_.empty();
    const std::uint64_t target = enqueued_;
    flush_target_ = std::max(flush_target_, target);
    wake_.notify_one();
    return done_cv_.wait_for(lock, timeout, [&] { return finished_ >= target; });
  }

  void shutdown(std::chrono::milliseconds timeout) noexcept {
    {
      std::unique_lock lock(mutex_);
      if (shutdown_called_) {
        lock.unlock();
        join_once();
        return;
      }
      shutdown_called_ = true;
      stopping_ = true;
      shutdown_deadline_ = Clock::now() + timeout;
      wake_.notify_one();
      const bool drained =
          done_cv_.wait_until(lock, shutdown_deadline_, [&] { return worker_exited_; });
      if (!drained) {
        lock.unlock();
        cancel_fn_();  // the worker's export returns promptly; it then drops the rest
      }
    }
    join_once();
  }

 private:
  // worker_ is touched only here, under join_mutex_ (flush and shutdown read the worker's state
  // through worker_exited_ under mutex_), so overlapping flush/shutdown calls cannot race on it.
  // A shutdown from the worker itself (an export callback) never joins its own thread.
  void join_once() {
    std::lock_guard lock(join_mutex_);
    if (worker_.joinable() && std::this_thread::get_id() != worker_.get_id()) worker_.join();
  }

  // The warning builds strings: out of memory it is skipped (the counters still say it all).
  void warn_if_losing() noexcept {
    try {
      reporter_.maybe_warn();
    } catch (...) {
    }
  }

  void run() {
    std::unique_lock lock(mutex_);
    auto next_export = Clock::now() + config_.schedule_delay;
    while (true) {
      wake_.wait_until(lock, next_export, [&] {
        return stopping_ || queue_.size() >= config_.max_export_batch_size ||
               flush_target_ > finished_;
      });
      if (queue_.empty()) {
        if (stopping_) break;
        next_export = Clock::now() + config_.schedule_delay;
        lock.unlock();
        warn_if_losing();
        lock.lock();
        continue;
      }
      const bool due = Clock::now() >= next_export || stopping_ ||
                       queue_.size() >= config_.max_export_batch_size || flush_target_ > finished_;
      if (!due) continue;
      const std::size_t n = std::min(queue_.size(), config_.max_export_batch_size);
      std::vector<Item> batch;
      try {
        batch.reserve(n);
      } catch (...) {
        // No memory for the batch: drop these items (counted) rather than end the process.
        for (std::size_t i = 0; i < n; ++i) queue_.pop_front();
        size_.store(queue_.size(), std::memory_order_relaxed);
        reporter_.note_out_of_memory(n);
        finished_ += n;
        done_cv_.notify_all();
        continue;
      }
      for (std::size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));  // reserved: cannot allocate
        queue_.pop_front();
      }
      size_.store(queue_.size(), std::memory_order_relaxed);
      auto deadline = Clock::now() + export_timeout_;
      if (stopping_ && shutdown_deadline_ < deadline) deadline = shutdown_deadline_;
      lock.unlock();
      bool ok = false;
      try {
        ok = export_fn_(batch, deadline);
      } catch (...) {
        ok = false;
      }
      if (ok) reporter_.note_exported(n);
      warn_if_losing();
      lock.lock();
      finished_ += n;
      if (queue_.empty()) next_export = Clock::now() + config_.schedule_delay;
      done_cv_.notify_all();
    }
    worker_exited_ = true;
    done_cv_.notify_all();
  }

  const BatchConfig config_;
  const std::chrono::milliseconds export_timeout_;
  ExportFn export_fn_;
  CancelFn cancel_fn_;
  DropReporter& reporter_;

  std::mutex mutex_;
  std::condition_variable wake_;     // wakes the worker
  std::condition_variable done_cv_;  // wakes flush/shutdown waiters
  std::deque<Item> queue_;
  std::atomic<std::size_t> size_{0};  // queue_.size(), readable without the lock
  std::uint64_t enqueued_ = 0;
  std::uint64_t finished_ = 0;  // items exported or given up
  std::uint64_t flush_target_ = 0;
  bool stopping_ = false;
  bool shutdown_called_ = false;
  bool worker_exited_ = false;
  Clock::time_point shutdown_deadline_{};
  std::mutex join_mutex_;
  std::thread worker_;  // last: starts after every field above is ready
};

}  // namespace kopiur::telemetry::otlp::detail
