// libFuzzer target for watch event streams: the bytes arrive in pieces (the first input byte picks
// the piece size) through the client's LineSplitter, and every line goes through the same
// decoding as Client::watch. Garbage lines are skipped; nothing throws.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "kube/detail/line_splitter.hpp"
#include "kube/detail/watch_line.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t piece = 1 + data[0] % 64;
  std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  kopiur::kube::detail::LineSplitter lines;
  std::size_t events = 0;
  const auto on_line = [&](std::string_view line) {
    kopiur::fuzz::fuzz_require(line.find('\n') == std::string_view::npos);
    if (auto event = kopiur::kube::detail::decode_watch_line(line)) ++events;
    return true;
  };
  while (!bytes.empty()) {
    const auto n = std::min(piece, bytes.size());
    kopiur::fuzz::fuzz_require(lines.feed(bytes.substr(0, n), on_line));
    bytes.remove_prefix(n);
  }
  if (!lines.pending().empty()) (void)on_line(lines.pending());
  kopiur::fuzz::fuzz_require(events <= size);
  return 0;
}
