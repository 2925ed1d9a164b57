// Container log files: finding where the last N lines start without reading the whole file
// (kubectl logs --tail, the kubelet's FallbackToLogsOnError message). A trailing newline ends
// the last line; it does not start an empty one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace kopiur::localkube::detail {

// tail_start(): the offset in `text` where its last `lines` lines begin (0 when it has fewer).
std::size_t tail_start(std::string_view text, std::size_t lines);

// tail_offset(): the same for a file, reading it backwards in blocks (constant memory).
std::uint64_t tail_offset(const std::string& path, std::size_t lines);

// read_range(): up to `max` bytes of the file from `offset` ("" past the end or when unreadable).
std::string read_range(const std::string& path, std::uint64_t offset, std::size_t max);

}  // namespace kopiur::localkube::detail
