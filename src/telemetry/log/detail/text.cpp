#include "telemetry/log/detail/text.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <ctime>

#include "kopiur/telemetry/utf8.hpp"

namespace kopiur::telemetry::log::detail {
namespace {

constexpr std::string_view kReplacement = kUtf8Replacement;
constexpr char kHex[] = "0123456789abcdef";

// Byte classes: which ASCII bytes each writer may copy as they are. Bytes >= 0x80 are checked as
// UTF-8 separately.
enum ByteClass : std::uint8_t {
  kJsonSafe = 1,    // not a control character, DEL, '"' or '\\'
  kTextSafe = 2,    // not a control character or DEL
  kQuotedSafe = 4,  // kTextSafe and not '"' or '\\'
  kBareSafe = 8,    // printable, no blank, '"', '=', '\\', '{', '}'
};

constexpr std::array<std::uint8_t, 128> make_classes() {
  std::array<std::uint8_t, 128> table{};
  for (int c = 0x20; c < 0x7F; ++c) {
    std::uint8_t cls = kTextSafe;
    if (c != '"' && c != '\\') cls |= kJsonSafe | kQuotedSafe;
    if (c != ' ' && c != '"' && c != '=' && c != '\\' && c != '{' && c != '}') cls |= kBareSafe;
    table[static_cast<std::size_t>(c)] = cls;
  }
  return table;
}
constexpr std::array<std::uint8_t, 128> kClasses = make_classes();

// Length of the prefix of text[i..] made of `cls` ASCII bytes and valid UTF-8 sequences.
std::size_t safe_run(std::string_view text, std::size_t i, std::uint8_t cls) noexcept {
  const std::size_t begin = i;
  const std::size_t n = text.size();
  while (i < n) {
    const auto c = static_cast<std::uint8_t>(text[i]);
    if (c < 0x80) {
      if ((kClasses[c] & cls) == 0) break;
      ++i;
    } else {
      const std::size_t len = utf8_sequence_length(text, i);
      if (len == 0) break;
      i += len;
    }
  }
  return i - begin;
}

}  // namespace

void append_json_escaped(std::string& out, std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t run = safe_run(text, i, kJsonSafe);
    out.append(text.data() + i, run);
    i += run;
    if (i >= text.size()) break;
    const auto c = static_cast<std::uint8_t>(text[i]);
    ++i;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c >= 0x80) {
          out += kReplacement;  // invalid UTF-8: one U+FFFD per bad byte
        } else {                // other control characters and DEL
          const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0x0f]};
          out.append(esc, sizeof(esc));
        }
    }
  }
}

void append_text_escaped(std::string& out, std::string_view text, bool quote) {
  const std::uint8_t cls = quote ? kQuotedSafe : kTextSafe;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t run = safe_run(text, i, cls);
    out.append(text.data() + i, run);
    i += run;
    if (i >= text.size()) break;
    const auto c = static_cast<std::uint8_t>(text[i]);
    ++i;
    if (c >= 0x80) {
      out += kReplacement;
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else {  // other control characters and DEL, Rust-style
      out += "\\u{";
      if (c >= 0x10) out += kHex[c >> 4];
      out += kHex[c & 0x0f];
      out += '}';
    }
  }
}

bool is_bare_text(std::string_view text) noexcept {
  if (text.empty()) return false;
  for (char ch : text) {
    const auto c = static_cast<std::uint8_t>(ch);
    if (c >= 0x80 || (kClasses[c] & kBareSafe) == 0) return false;
  }
  return true;
}

void append_rfc3339_micros(std::string& out, Clock::time_point time) {
  using std::chrono::duration_cast;
  using std::chrono::microseconds;
  const std::int64_t micros = duration_cast<microseconds>(time.time_since_epoch()).count();
  std::int64_t seconds = micros / 1'000'000;
  std::int64_t fraction = micros % 1'000'000;
  if (fraction < 0) {
    fraction += 1'000'000;
    --seconds;
  }
  // The "YYYY-MM-DDTHH:MM:SS" part changes once a second: cache it per thread.
  thread_local std::int64_t cached_second = INT64_MIN;
  thread_local char cached[32] = {};
  thread_local std::size_t cached_len = 0;
  if (seconds != cached_second) {
    std::tm tm{};
    const auto t = static_cast<std::time_t>(seconds);
    gmtime_r(&t, &tm);
    cached_len = std::strftime(cached, sizeof(cached), "%Y-%m-%dT%H:%M:%S", &tm);
    cached_second = seconds;
  }
  out.append(cached, cached_len);
  char frac[8] = {'.', '0', '0', '0', '0', '0', '0', 'Z'};
  for (int k = 6; k >= 1; --k) {
    frac[k] = static_cast<char>('0' + fraction % 10);
    fraction /= 10;
  }
  out.append(frac, sizeof(frac));
}

void append_double(std::string& out, double value, bool json) {
  if (!std::isfinite(value)) {
    if (json) {
      out += "null";
    } else {
      out += std::isnan(value) ? "NaN" : (value > 0 ? "inf" : "-inf");
    }
    return;
  }
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), value);
  out.append(buf, res.ptr);
}

}  // namespace kopiur::telemetry::log::detail
