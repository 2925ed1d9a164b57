// File: kopiur/telemetry/log/forwarder.hpp
//
// ChildOutputForwarder: turns a child process's output (kopia's stderr) into log events, one per
// complete non-empty line, at DEBUG under target `kopia` (shown with RUST_LOG=info,kopia=debug),
// and keeps the last lines as a bounded failure tail for CR status.
//
//   log::ChildOutputForwarder forward;           // captures the caller's current span
//   while (read(fd, buf, n) > 0) forward.feed({buf, n});
//   forward.finish();                            // a last line without '\n' counts too
//   if (exit_code != 0) status.tail = forward.tail();
//
// Lines end at '\n'; a trailing '\r' is dropped. The tail keeps at most `tail_lines` lines and
// `tail_bytes` bytes (newlines included), cutting only on UTF-8 character boundaries. A line
// longer than `max_line_bytes` without a newline is emitted in pieces, so memory stays bounded.
//
// Thread-safety: feed()/finish() may be called from several threads (stdout and stderr readers);
// each call is serialised. Events carry the span that was current when the forwarder was made.
// Failure: never throws; on allocation failure a line is dropped.
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "kopiur/telemetry/log/event.hpp"
#include "kopiur/telemetry/log/span.hpp"

namespace kopiur::telemetry::log {

struct ForwarderOptions {
  std::string target = "kopia";
  Level level = Level::Debug;
  std::size_t tail_lines = 20;
  std::size_t tail_bytes = 4096;
  std::size_t max_line_bytes = 64 * 1024;
};

class ChildOutputForwarder {
 public:
  ChildOutputForwarder() : ChildOutputForwarder(ForwarderOptions{}) {}
  explicit ChildOutputForwarder(ForwarderOptions options);

  // Consumes bytes; every completed line is logged and added to the tail.
  void feed(std::string_view bytes) noexcept;
  // Treats a pending partial line as complete.
  void finish() noexcept;

  // The tail, oldest first, without newlines.
  [[nodiscard]] std::vector<std::string> tail_lines() const;
  // The tail joined with '\n' (no trailing newline); at most tail_bytes bytes.
  [[nodiscard]] std::string tail() const;
  // Non-empty lines seen in total.
  [[nodiscard]] std::size_t line_count() const;

 private:
  void take_line(std::string_view line) noexcept;  // mutex_ held

  ForwarderOptions options_;
  Span span_;
  mutable std::mutex mutex_;
  std::string partial_;
  std::deque<std::string> tail_;
  std::size_t tail_size_ = 0;  // bytes in tail_, one newline between lines
  std::size_t lines_ = 0;
};

// Cuts `text` to its last `max_bytes` bytes, starting on a UTF-8 character boundary.
std::string_view utf8_tail(std::string_view text, std::size_t max_bytes) noexcept;

}  // namespace kopiur::telemetry::log
