// ChildOutputForwarder: child output -> `kopia` debug events + a bounded failure tail.
#include "kopiur/telemetry/log/forwarder.hpp"

#include "kopiur/telemetry/log/log.hpp"

namespace kopiur::telemetry::log {

std::string_view utf8_tail(std::string_view text, std::size_t max_bytes) noexcept {
  if (text.size() <= max_bytes) return text;
  std::size_t start = text.size() - max_bytes;
  // Skip continuation bytes (10xxxxxx) so the cut never splits a character.
  while (start < text.size() && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) ++start;
  return text.substr(start);
}

ChildOutputForwarder::ChildOutputForwarder(ForwarderOptions options)
    : options_(std::move(options)), span_(Span::current()) {
  if (options_.max_line_bytes == 0) options_.max_line_bytes = 1;
}

void ChildOutputForwarder::feed(std::string_view bytes) noexcept {
  std::lock_guard lock(mutex_);
  try {
    while (!bytes.empty()) {
      const std::size_t newline = bytes.find('\n');
      if (newline == std::string_view::npos) {
        partial_.append(bytes);
        // A child that never prints a newline must not grow memory without bound.
        while (partial_.size() >= options_.max_line_bytes) {
          std::size_t cut = options_.max_line_bytes;
          while (cut > 0 && (static_cast<unsigned char>(partial_[cut]) & 0xC0) == 0x80) --cut;
          if (cut == 0) cut = options_.max_line_bytes;
          take_line(std::string_view(partial_).substr(0, cut));
          partial_.erase(0, cut);
        }
        return;
      }
      if (partial_.empty()) {
        take_line(bytes.substr(0, newline));
      } else {
        partial_.append(bytes.substr(0, newline));
        take_line(partial_);
        partial_.clear();
      }
      bytes.remove_prefix(newline + 1);
    }
  } catch (...) {
    partial_.clear();  // out of memory: drop the partial line, keep going
  }
}

void ChildOutputForwarder::finish() noexcept {
  std::lock_guard lock(mutex_);
  if (!partial_.empty()) {
    take_line(partial_);
    partial_.clear();
  }
}

void ChildOutputForwarder::take_line(std::string_view line) noexcept {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) return;  // blank: skip
  ++lines_;
  {
    // Log under the span that was current where the child was started, wherever we run.
    const SpanGuard entered = span_.enter();
    event(options_.level, options_.target, line);
  }
  if (options_.tail_lines == 0 || options_.tail_bytes == 0) return;
  try {
    const std::string_view kept = utf8_tail(line, options_.tail_bytes);
    tail_size_ += kept.size() + (tail_.empty() ? 0 : 1);
    tail_.emplace_back(kept);
    while (!tail_.empty() &&
           (tail_.size() > options_.tail_lines || tail_size_ > options_.tail_bytes)) {
      tail_size_ -= tail_.front().size() + (tail_.size() > 1 ? 1 : 0);
      tail_.pop_front();
    }
  } catch (...) {
    // Out of memory: the event was logged; the tail keeps what it had.
  }
}

std::vector<std::string> ChildOutputForwarder::tail_lines() const {
  std::lock_guard lock(mutex_);
  return {tail_.begin(), tail_.end()};
}

std::string ChildOutputForwarder::tail() const {
  std::lock_guard lock(mutex_);
  std::string out;
  out.reserve(tail_size_);
  for (const auto& line : tail_) {
    if (!out.empty()) out += '\n';
    out += line;
  }
  return out;
}

std::size_t ChildOutputForwarder::line_count() const {
  std::lock_guard lock(mutex_);
  return lines_;
}

}  // namespace kopiur::telemetry::log
