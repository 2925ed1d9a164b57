#include "localkube/detail/log_files.hpp"

#include <algorithm>
#include <fstream>
#include <vector>

namespace kopiur::localkube::detail {

std::size_t tail_start(std::string_view text, std::size_t lines) {
  if (lines == 0) return text.size();
  std::size_t end = text.size();
  if (end > 0 && text[end - 1] == '\n') --end;
  std::size_t seen = 0;
  for (std::size_t i = end; i > 0; --i) {
    if (text[i - 1] == '\n' && ++seen == lines) return i;
  }
  return 0;
}

std::uint64_t tail_offset(const std::string& path, std::size_t lines) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return 0;
  const auto size = static_cast<std::uint64_t>(std::max<std::streamoff>(0, in.tellg()));
  if (lines == 0) return size;
  constexpr std::uint64_t kBlock = 64 * 1024;
  std::vector<char> block(kBlock);
  std::uint64_t end = size;
  bool first = true;
  std::size_t seen = 0;
  while (end > 0) {
    const auto start = end > kBlock ? end - kBlock : 0;
    in.seekg(static_cast<std::streamoff>(start));
    in.read(block.data(), static_cast<std::streamsize>(end - start));
    if (in.gcount() != static_cast<std::streamsize>(end - start)) return 0;
    auto i = end - start;
    if (first && i > 0 && block[i - 1] == '\n') --i;  // the trailing newline ends the last line
    first = false;
    for (; i > 0; --i) {
      if (block[i - 1] == '\n' && ++seen == lines) return start + i;
    }
    end = start;
  }
  return 0;
}

std::string read_range(const std::string& path, std::uint64_t offset, std::size_t max) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  in.seekg(static_cast<std::streamoff>(offset));
  std::string out(max, '\0');
  in.read(out.data(), static_cast<std::streamsize>(max));
  out.resize(static_cast<std::size_t>(std::max<std::streamsize>(0, in.gcount())));
  return out;
}

}  // namespace kopiur::localkube::detail
