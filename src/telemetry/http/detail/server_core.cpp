#include "telemetry/http/detail/server_core.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>
#include <vector>

namespace kopiur::telemetry::http::detail {
namespace {

// The connection to close for a new one: the longest idle, else the one that has been sending
// its head (or TLS handshake) the longest; null when every connection is busy.
std::shared_ptr<SessionBase> pick_victim(const std::vector<std::shared_ptr<SessionBase>>& alive) {
  std::shared_ptr<SessionBase> idle;
  std::shared_ptr<SessionBase> heading;
  for (const auto& s : alive) {
    const Phase p = s->phase();
    if (p == Phase::kIdle && (!idle || s->since_ns() < idle->since_ns())) idle = s;
    if ((p == Phase::kHead || p == Phase::kHandshake) &&
        (!heading || s->since_ns() < heading->since_ns())) {
      heading = s;
    }
  }
  return idle ? idle : heading;
}

}  // namespace

ServerCore::ServerCore(ServerOptions options) : options_(std::move(options)) {
  if (!options_.on_warning) {
    options_.on_warning = [](std::string_view message) {
      std::fprintf(stderr, "kopiur http server: %.*s\n", static_cast<int>(message.size()),
                   message.data());
    };
  }
}

void ServerCore::warn(std::string_view message) const noexcept {
  try {
    options_.on_warning(message);
  } catch (...) {
    // A throwing warning sink must not take the server down.
  }
}

ServerStats ServerCore::stats() const noexcept {
  auto at = [this](Refusal r) { return counters_[static_cast<std::size_t>(r)].load(); };
  ServerStats s;
  s.head_timeouts = at(Refusal::kHeadTimeout);
  s.body_timeouts = at(Refusal::kBodyTimeout);
  s.handshake_timeouts = at(Refusal::kHandshakeTimeout);
  s.handshake_failures = at(Refusal::kHandshakeFailure);
  s.head_too_large = at(Refusal::kHeadTooLarge);
  s.request_line_too_long = at(Refusal::kRequestLineTooLong);
  s.body_too_large = at(Refusal::kBodyTooLarge);
  s.bad_requests = at(Refusal::kBadRequest);
  s.write_timeouts = at(Refusal::kWriteTimeout);
  s.connections_evicted = at(Refusal::kEvicted);
  s.connections_refused = at(Refusal::kRefused);
  s.streams_dropped = at(Refusal::kStreamDropped);
  return s;
}

bool ServerCore::admit(const std::shared_ptr<SessionBase>& session) {
  // Declared before the lock: if one of these is the last owner of a connection, its destructor
  // (which takes the registry lock in forget()) runs after the lock is released.
  std::vector<std::shared_ptr<SessionBase>> alive;
  std::shared_ptr<SessionBase> victim;
  {
    std::lock_guard lock(registry_mu_);
    alive.reserve(registry_.size());
    for (const auto& weak : registry_) {
      if (auto s = weak.lock()) alive.push_back(std::move(s));
    }
    const auto open = std::count_if(alive.begin(), alive.end(),
                                    [](const auto& s) { return s->phase() != Phase::kClosing; });
    if (static_cast<std::size_t>(open) >= options_.max_connections) {
      victim = pick_victim(alive);
      if (!victim) {
        count(Refusal::kRefused);
        return false;
      }
      // Marked under the lock so the next accept does not pick the same connection again.
      victim->set_phase(Phase::kClosing);
      count(Refusal::kEvicted);
    }
    session->registry_slot = registry_.insert(registry_.end(), session);
    session->registered = true;
  }
  if (victim) victim->close_soon();
  return true;
}

void ServerCore::forget(SessionBase& session) noexcept {
  if (!session.registered) return;
  std::lock_guard lock(registry_mu_);
  registry_.erase(session.registry_slot);
  session.registered = false;
}

void ServerCore::close_all_soon() {
  std::vector<std::shared_ptr<SessionBase>> open;
  {
    std::lock_guard lock(registry_mu_);
    for (const auto& weak : registry_) {
      if (auto s = weak.lock()) open.push_back(std::move(s));
    }
  }
  for (const auto& s : open) s->close_soon();
}

void ServerCore::start_pool() {
  pool_ =
      std::make_unique<boost::asio::thread_pool>(static_cast<std::size_t>(options_.worker_threads));
}

void ServerCore::join_pool() noexcept {
  if (pool_) pool_->join();
}

}  // namespace kopiur::telemetry::http::detail
