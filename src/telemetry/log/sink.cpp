// Sinks: a file descriptor (stdout), an in-memory capture for tests.
#include "kopiur/telemetry/log/sink.hpp"

#include <cerrno>
#include <csignal>

#include <unistd.h>

namespace kopiur::telemetry::log {
namespace {

// A write to a pipe whose reader is gone raises SIGPIPE, which kills by default. Ignore it, but
// only if nobody chose a disposition already (the same thing Rust programs do at start-up).
void ignore_default_sigpipe() noexcept {
  struct sigaction current {};
  if (sigaction(SIGPIPE, nullptr, &current) != 0) return;
  if ((current.sa_flags & SA_SIGINFO) == 0 && current.sa_handler == SIG_DFL) {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGPIPE, &ignore, nullptr);
  }
}

}  // namespace

FdSink::FdSink(int fd) noexcept : fd_(fd) { ignore_default_sigpipe(); }

void FdSink::write(std::string_view line) noexcept {
  std::lock_guard lock(mutex_);
  const char* data = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      failed_.fetch_add(1, std::memory_order_relaxed);  // EPIPE, EBADF, ENOSPC: lose the line
      return;
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
}

void FdSink::flush() noexcept {
  // write(2) is unbuffered; fsync on a pipe or terminal is meaningless, so nothing to do.
}

void CaptureSink::write(std::string_view line) noexcept {
  try {
    std::lock_guard lock(mutex_);
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    lines_.emplace_back(line);
  } catch (...) {
    return;
  }
  changed_.notify_all();
}

std::vector<std::string> CaptureSink::lines() const {
  std::lock_guard lock(mutex_);
  return lines_;
}

std::string CaptureSink::text() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& line : lines_) {
    out += line;
    out += '\n';
  }
  return out;
}

std::size_t CaptureSink::size() const {
  std::lock_guard lock(mutex_);
  return lines_.size();
}

void CaptureSink::clear() {
  std::lock_guard lock(mutex_);
  lines_.clear();
}

bool CaptureSink::wait_for_lines(std::size_t count, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return lines_.size() >= count; });
}

}  // namespace kopiur::telemetry::log
