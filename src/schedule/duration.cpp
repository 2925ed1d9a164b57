// parse_duration(): see kopiur/schedule/duration.hpp.
#include "kopiur/schedule/duration.hpp"

#include <charconv>
#include <cstdint>
#include <limits>

namespace kopiur::schedule {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end == text.data() || n < 0) return std::nullopt;
  const std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  std::int64_t ms_per_unit = 0;
  if (unit == "ms") ms_per_unit = 1;
  if (unit == "s") ms_per_unit = 1000;
  if (unit == "m") ms_per_unit = 60 * 1000;
  if (unit == "h") ms_per_unit = 60 * 60 * 1000;
  // An unknown unit, or a count whose milliseconds do not fit in 64 bits.
  if (ms_per_unit == 0 || n > std::numeric_limits<std::int64_t>::max() / ms_per_unit) {
    return std::nullopt;
  }
  return std::chrono::milliseconds(n * ms_per_unit);
}

}  // namespace kopiur::schedule
