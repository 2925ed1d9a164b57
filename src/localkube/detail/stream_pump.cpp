#include "localkube/detail/stream_pump.hpp"

#include <algorithm>
#include <exception>
#include <utility>

namespace kopiur::localkube::detail {

StreamPump::StreamPump(LocalStore& store) : store_(store), thread_([this] { run(); }) {}

StreamPump::~StreamPump() { stop(); }

void StreamPump::add(std::unique_ptr<Stream> stream) {
  if (!stream->pump()) return;
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      incoming_.push_back(std::move(stream));
      stream = nullptr;
    }
  }
  if (stream) {
    stream->close();
    return;
  }
  store_.wake_waiters();
}

void StreamPump::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  store_.wake_waiters();
  // The thread may have ended on its own (store shut down); it is joined here either way.
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

std::size_t StreamPump::size() const {
  std::lock_guard lock(mu_);
  return active_count_ + incoming_.size();
}

void StreamPump::run() {
  while (true) {
    // The token and the resourceVersion are read before the streams look at the store, so a
    // change or an add() after that ends the wait below at once.
    const auto token = store_.wake_token();
    const auto rv = store_.current_rv();
    {
      std::lock_guard lock(mu_);
      // A shut-down store ends every wait at once: the streams end with it.
      if (store_.is_shut_down()) stopping_ = true;
      if (stopping_) break;
      for (auto& s : incoming_) active_.push_back(std::move(s));
      incoming_.clear();
    }
    const auto wake = pump_all(Clock::now());
    {
      std::lock_guard lock(mu_);
      active_count_ = active_.size();
    }
    store_.wait_for_change(rv, wake, token);
  }
  std::vector<std::unique_ptr<Stream>> left;
  {
    std::lock_guard lock(mu_);
    left = std::move(incoming_);
    active_count_ = 0;
  }
  for (auto& s : active_) s->close();
  for (auto& s : left) s->close();
  active_.clear();
}

StreamPump::Clock::time_point StreamPump::pump_all(Clock::time_point now) {
  // At least once a second every stream looks whether its client is still there.
  auto wake = now + std::chrono::seconds(1);
  for (auto& s : active_) {
    std::optional<Clock::time_point> due;
    try {
      due = s->pump();
    } catch (const std::exception&) {
      s->close();  // a malformed object must not end every other stream
    }
    if (due) {
      wake = std::min(wake, *due);
    } else {
      s.reset();
    }
  }
  std::erase(active_, nullptr);
  return wake;
}

}  // namespace kopiur::localkube::detail
