// LineSplitter: turns a byte stream that arrives in arbitrary pieces (a watch's chunks, as curl
// hands them over) into its newline-terminated lines, each delivered as soon as its '\n' arrives.
// Empty lines are skipped and a trailing '\r' is dropped.
#pragma once

#include <string>
#include <string_view>

namespace kopiur::kube::detail {

class LineSplitter {
 public:
  // feed(): appends bytes and calls on_line(std::string_view) for every complete line; stops at
  // the first on_line that returns false and then returns false.
  template <class OnLine>
  bool feed(std::string_view bytes, OnLine&& on_line) {
    pending_.append(bytes);
    std::size_t start = 0;
    bool go_on = true;
    for (auto newline = pending_.find('\n'); newline != std::string::npos;
         newline = pending_.find('\n', start)) {
      std::string_view line(pending_.data() + start, newline - start);
      start = newline + 1;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty()) continue;
      if (!on_line(line)) {
        go_on = false;
        break;
      }
    }
    pending_.erase(0, start);
    return go_on;
  }

  // pending(): the bytes of an unterminated last line.
  const std::string& pending() const { return pending_; }

 private:
  std::string pending_;
};

}  // namespace kopiur::kube::detail
