// What a connection needs from its HttpServer: the options, the route table (as one call), the
// handler pool, the refusal counters and the registry of open connections that enforces
// max_connections and lets stop() close idle ones. Implemented by HttpServer::Impl; connections
// (session.cpp) only see this interface, so the Beast code stays in one translation unit.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>

#include <boost/asio/thread_pool.hpp>

#include "kopiur/telemetry/http/server.hpp"

namespace kopiur::telemetry::http::detail {

enum class Refusal : std::size_t {
  kHeadTimeout,
  kBodyTimeout,
  kHandshakeTimeout,
  kHandshakeFailure,
  kHeadTooLarge,
  kRequestLineTooLong,
  kBodyTooLarge,
  kBadRequest,
  kWriteTimeout,
  kEvicted,
  kRefused,
  kStreamDropped,
  kCount,
};

// Where a connection is in its life; what stop() and the connection cap may close.
enum class Phase : int { kHandshake, kHead, kIdle, kBody, kBusy, kClosing };

// The part of a connection the registry sees. Thread-safe: phase is atomic and close_soon()
// posts to the connection's event loop.
class SessionBase : public std::enable_shared_from_this<SessionBase> {
 public:
  virtual ~SessionBase() = default;
  // Closes the connection unless a request is being handled; then it closes after the answer.
  virtual void close_soon() = 0;

  void set_phase(Phase phase) noexcept {
    phase_.store(phase);
    since_ns_.store(std::chrono::steady_clock::now().time_since_epoch().count());
  }
  [[nodiscard]] Phase phase() const noexcept { return phase_.load(); }
  [[nodiscard]] std::int64_t since_ns() const noexcept { return since_ns_.load(); }

  std::list<std::weak_ptr<SessionBase>>::iterator registry_slot;  // valid when registered
  bool registered = false;

 private:
  std::atomic<Phase> phase_{Phase::kHead};
  std::atomic<std::int64_t> since_ns_{0};
};

class ServerCore {
 public:
  explicit ServerCore(ServerOptions options);
  virtual ~ServerCore() = default;

  [[nodiscard]] const ServerOptions& options() const noexcept { return options_; }
  [[nodiscard]] bool stopping() const noexcept { return stopping_.load(); }
  [[nodiscard]] boost::asio::thread_pool& pool() noexcept { return *pool_; }

  // Routes a parsed request (404, 405 with Allow, the handler's answer, 500 if it throws).
  [[nodiscard]] virtual Response handle(const Request& request) const = 0;
  // Whether the request's handler runs on the event-loop thread instead of the pool (Execution).
  [[nodiscard]] virtual bool runs_inline(const Request& request) const = 0;

  void count(Refusal why) noexcept { counters_[static_cast<std::size_t>(why)].fetch_add(1); }
  [[nodiscard]] ServerStats stats() const noexcept;
  void warn(std::string_view message) const noexcept;

  // Registers a new connection. At max_connections another one is closed for it (the longest
  // idle, else the oldest still sending its head); false when none can be, and the caller drops
  // the new connection.
  [[nodiscard]] bool admit(const std::shared_ptr<SessionBase>& session);
  void forget(SessionBase& session) noexcept;
  // close_soon() on every open connection (stop()).
  void close_all_soon();

 protected:
  void start_pool();
  void join_pool() noexcept;

  ServerOptions options_;
  std::atomic<bool> stopping_{false};

 private:
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(Refusal::kCount)> counters_{};
  std::unique_ptr<boost::asio::thread_pool> pool_;
  std::mutex registry_mu_;
  std::list<std::weak_ptr<SessionBase>> registry_;
};

}  // namespace kopiur::telemetry::http::detail
