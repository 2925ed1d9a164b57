#include "kopiur/controller/work_queue.hpp"

namespace kopiur::controller {

void WorkQueue::add(const std::string& key) {
  std::lock_guard lock(mu_);
  if (auto it = due_.find(key); it != due_.end()) {  // an immediate add wins over a delayed one
    delayed_.erase(it->second);
    due_.erase(it);
  }
  push_ready_locked(key);
}

void WorkQueue::add_after(const std::string& key, Clock::duration delay) {
  if (delay <= Clock::duration::zero()) {
    add(key);
    return;
  }
  std::lock_guard lock(mu_);
  if (dirty_.count(key) != 0) return;  // already due at once
  const auto when = clock_.now() + delay;
  if (auto it = due_.find(key); it != due_.end()) {
    if (it->second->first <= when) return;  // the earlier time wins
    delayed_.erase(it->second);
    due_.erase(it);
  }
  due_[key] = delayed_.emplace(when, key);
  wake_.notify_all();  // a waiter may need an earlier wake-up
}

std::optional<std::string> WorkQueue::get() {
  std::unique_lock lock(mu_);
  while (true) {
    if (shutdown_) return std::nullopt;
    promote_due_locked(clock_.now());
    if (!paused_ && !ready_.empty()) {
      std::string key = std::move(ready_.front());
      ready_.pop_front();
      dirty_.erase(key);
      processing_.insert(key);
      return key;
    }
    if (!delayed_.empty()) {
      wake_.wait_for(lock, clock_.real_wait(delayed_.begin()->first));
    } else {
      wake_.wait(lock);
    }
  }
}

void WorkQueue::done(const std::string& key) {
  std::lock_guard lock(mu_);
  processing_.erase(key);
  if (dirty_.count(key) != 0) {
    ready_.push_back(key);
    wake_.notify_one();
  }
}

void WorkQueue::set_paused(bool paused) {
  std::lock_guard lock(mu_);
  paused_ = paused;
  wake_.notify_all();
}

void WorkQueue::shutdown() {
  std::lock_guard lock(mu_);
  shutdown_ = true;
  wake_.notify_all();
}

WorkQueue::Counts WorkQueue::counts() const {
  std::lock_guard lock(mu_);
  Counts counts;
  const auto now = clock_.now();
  counts.ready = ready_.size();
  for (const auto& [when, key] : delayed_) {
    if (when > now) break;
    if (dirty_.count(key) == 0) ++counts.ready;  // due, promoted at the next get()
  }
  counts.delayed = delayed_.size();
  counts.processing = processing_.size();
  counts.busy_since = busy_since_;
  for (const auto& key : processing_) counts.requeued += dirty_.count(key);
  return counts;
}

void WorkQueue::for_each_ready(const std::function<void(const std::string&)>& visit) const {
  std::lock_guard lock(mu_);
  for (const auto& key : ready_) visit(key);
}

void WorkQueue::promote_due_locked(Clock::time_point now) {
  while (!delayed_.empty() && delayed_.begin()->first <= now) {
    const std::string key = delayed_.begin()->second;
    due_.erase(key);
    delayed_.erase(delayed_.begin());
    push_ready_locked(key);
  }
}

void WorkQueue::push_ready_locked(const std::string& key) {
  if (!dirty_.insert(key).second) return;   // already queued
  if (processing_.count(key) != 0) return;  // queued again by done()
  ready_.push_back(key);
  wake_.notify_one();
}

}  // namespace kopiur::controller
