#include "telemetry/http/detail/stream_channel.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace kopiur::telemetry::http::detail {
namespace {

void append_chunk(std::string& wire, const std::string& data) {
  char size[24];
  const int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  wire.append(size, static_cast<std::size_t>(n));
  wire += data;
  wire += "\r\n";
}

}  // namespace

StreamChannel::StreamChannel(std::size_t max_queued_bytes, std::function<void()> wake)
    : max_queued_bytes_(max_queued_bytes), wake_(std::move(wake)) {}

bool StreamChannel::write(std::string chunk) {
  std::function<void()> wake;
  bool dropped = false;
  {
    std::lock_guard lock(mu_);
    if (closed_ || ended_) return false;
    if (chunk.empty()) return true;
    if (queued_bytes_ + chunk.size() > max_queued_bytes_) {
      // Dropped, not blocked: the connection closes it and the producer moves on.
      dropped_ = true;
      ended_ = true;
      queue_.clear();
    } else {
      queued_bytes_ += chunk.size();
      queue_.push_back(std::move(chunk));
    }
    if (!wake_pending_ || dropped_) {
      wake_pending_ = true;
      wake = wake_;
    }
    if (dropped_) wake_ = nullptr;
    dropped = dropped_;
  }
  if (wake) wake();
  return !dropped;
}

void StreamChannel::close() {
  std::function<void()> wake;
  {
    std::lock_guard lock(mu_);
    if (closed_ || ended_) return;
    closed_ = true;
    if (!wake_pending_) {
      wake_pending_ = true;
      wake = wake_;
    }
  }
  if (wake) wake();
}

void StreamChannel::abort() {
  std::function<void()> wake;
  {
    std::lock_guard lock(mu_);
    if (ended_ || last_taken_) return;
    aborted_ = true;
    ended_ = true;
    queue_.clear();
    wake = std::move(wake_);
    wake_ = nullptr;
  }
  if (wake) wake();  // the connection sees aborted() and resets
}

bool StreamChannel::open() const {
  std::lock_guard lock(mu_);
  return !closed_ && !ended_;
}

std::size_t StreamChannel::queued_bytes() const {
  std::lock_guard lock(mu_);
  return queued_bytes_;
}

StreamChannel::Batch StreamChannel::take() {
  std::lock_guard lock(mu_);
  wake_pending_ = false;
  Batch batch;
  if (ended_) return batch;
  for (const auto& chunk : queue_) {
    append_chunk(batch.wire, chunk);
    batch.payload += chunk.size();
  }
  queue_.clear();
  if (closed_ && !last_taken_) {
    batch.wire += "0\r\n\r\n";
    batch.last = true;
    last_taken_ = true;
  }
  return batch;
}

void StreamChannel::written(std::size_t payload) {
  std::lock_guard lock(mu_);
  queued_bytes_ -= std::min(payload, queued_bytes_);
}

void StreamChannel::end() {
  std::function<void()> wake;
  {
    std::lock_guard lock(mu_);
    ended_ = true;
    queue_.clear();
    wake = std::move(wake_);
    wake_ = nullptr;
  }
  // Destroyed outside the lock: it may hold the last reference to the connection.
}

bool StreamChannel::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

bool StreamChannel::aborted() const {
  std::lock_guard lock(mu_);
  return aborted_;
}

}  // namespace kopiur::telemetry::http::detail
