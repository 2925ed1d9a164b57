#include "kopiur/app/shutdown.hpp"

#include <atomic>
#include <stdexcept>

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

namespace kopiur::app {
namespace {

sigset_t shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

std::atomic<bool> g_installed{false};  // one watcher per process: sigwait must have one owner

}  // namespace

std::unique_ptr<ShutdownSignal> ShutdownSignal::install() {
  if (g_installed.exchange(true)) {
    throw std::logic_error("ShutdownSignal::install() called twice in one process");
  }
  sigset_t set = shutdown_signals();
  // Blocked here, before any other thread exists, the signals stay blocked in every thread the
  // program starts later, so only the watcher's sigwait() ever receives them.
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::unique_ptr<ShutdownSignal> s(new ShutdownSignal());  // NOLINT: private constructor
  s->watcher_ = std::thread([raw = s.get()] { raw->watch(); });
  return s;
}

ShutdownSignal::~ShutdownSignal() {
  {
    std::lock_guard lock(mu_);
    closing_ = true;
  }
  // Wake the watcher out of sigwait() with a signal aimed at its thread only.
  if (watcher_.joinable()) {
    pthread_kill(watcher_.native_handle(), SIGTERM);
    watcher_.join();
  }
  g_installed.store(false);
}

void ShutdownSignal::watch() {
  sigset_t set = shutdown_signals();
  for (;;) {
    int signo = 0;
    if (sigwait(&set, &signo) != 0) continue;
    std::unique_lock lock(mu_);
    if (closing_) return;
    if (requested_ && signo_ != 0) {
      // Second signal: the operator insists. Leave now, without running destructors.
      _exit(128 + signo);
    }
    requested_ = true;
    signo_ = signo;
    lock.unlock();
    cv_.notify_all();
  }
}

void ShutdownSignal::request(int signo) {
  {
    std::lock_guard lock(mu_);
    if (requested_) return;
    requested_ = true;
    signo_ = signo;
  }
  cv_.notify_all();
}

bool ShutdownSignal::requested() const {
  std::lock_guard lock(mu_);
  return requested_;
}

int ShutdownSignal::signal_number() const {
  std::lock_guard lock(mu_);
  return signo_;
}

void ShutdownSignal::wait() const {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return requested_; });
}

bool ShutdownSignal::wait_for(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [this] { return requested_; });
}

}  // namespace kopiur::app
