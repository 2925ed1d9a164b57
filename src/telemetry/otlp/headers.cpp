// The OTel "key=value,key=value" list format and the small string helpers around it.
#include <cctype>
#include <charconv>
#include <string>

#include "telemetry/otlp/detail/parse.hpp"

namespace kopiur::telemetry::otlp::detail {

std::string_view trim(std::string_view value) noexcept {
  constexpr std::string_view kSpace = " \t\r\n";
  const auto first = value.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  const auto last = value.find_last_not_of(kSpace);
  return value.substr(first, last - first + 1);
}

std::string to_lower(std::string_view value) {
  std::string out(value);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

namespace {
int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<std::string> percent_decode(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '%') {
      out.push_back(value[i]);
      continue;
    }
    if (i + 2 >= value.size()) return std::nullopt;  // truncated escape
    const int hi = hex_digit(value[i + 1]);
    const int lo = hex_digit(value[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

KeyValueList parse_key_values(std::string_view value) {
  KeyValueList result;
  std::size_t pos = 0;
  while (pos <= value.size()) {
    const auto comma = value.find(',', pos);
    const auto end = comma == std::string_view::npos ? value.size() : comma;
    const auto raw = value.substr(pos, end - pos);
    pos = end + 1;
    const auto entry = trim(raw);
    if (entry.empty()) continue;
    const auto eq = entry.find('=');
    const std::string quoted = "\"" + std::string(entry) + "\"";
    if (eq == std::string_view::npos) {
      result.bad_entries.push_back(quoted + " (no '=' between key and value)");
      continue;
    }
    const auto key = trim(entry.substr(0, eq));
    const auto raw_value = trim(entry.substr(eq + 1));
    if (key.empty()) {
      result.bad_entries.push_back(quoted + " (empty key)");
      continue;
    }
    auto decoded = percent_decode(raw_value);
    if (!decoded) {
      result.bad_entries.push_back(quoted + " (bad percent-encoding; write '%' as %25)");
      continue;
    }
    result.pairs.emplace_back(std::string(key), std::move(*decoded));
  }
  return result;
}

std::optional<std::uint32_t> parse_uint(std::string_view value) noexcept {
  if (value.empty()) return std::nullopt;
  std::uint32_t out = 0;
  const auto* end = value.data() + value.size();
  const auto [ptr, ec] = std::from_chars(value.data(), end, out);
  if (ec != std::errc{} || ptr != end) return std::nullopt;
  return out;
}

bool valid_metadata_key(std::string_view key) noexcept {
  if (key.empty() || key.front() == ':') return false;
  for (char c : key) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  // Binary metadata ("-bin") would need base64 values; OTLP headers are text.
  return !(key.size() >= 4 && key.substr(key.size() - 4) == "-bin");
}

bool valid_metadata_value(std::string_view value) noexcept {
  for (char c : value) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace kopiur::telemetry::otlp::detail
