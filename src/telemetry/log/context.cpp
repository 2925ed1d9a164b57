// W3C trace-context identifiers: hex rendering, traceparent parsing, random ids and the
// current span's context (read from the thread-local span that span.cpp maintains).
#include "kopiur/telemetry/context.hpp"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "telemetry/log/detail/span_state.hpp"

namespace kopiur::telemetry {
namespace {

constexpr char kHex[] = "0123456789abcdef";

template <std::size_t N>
std::string to_hex(const std::array<std::uint8_t, N>& bytes) {
  std::string out(N * 2, '0');
  for (std::size_t i = 0; i < N; ++i) {
    out[2 * i] = kHex[bytes[i] >> 4];
    out[2 * i + 1] = kHex[bytes[i] & 0x0f];
  }
  return out;
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // W3C: lower-case only
}

template <std::size_t N>
bool from_hex(std::string_view text, std::array<std::uint8_t, N>& bytes) noexcept {
  if (text.size() != N * 2) return false;
  for (std::size_t i = 0; i < N; ++i) {
    const int hi = hex_value(text[2 * i]);
    const int lo = hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    bytes[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return true;
}

template <std::size_t N>
bool all_zero(const std::array<std::uint8_t, N>& bytes) noexcept {
  return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

// One generator per thread, seeded from the OS, the thread and the clock: ids need to be unique,
// not secret.
std::mt19937_64& generator() noexcept {
  thread_local std::mt19937_64 gen = [] {
    std::uint64_t seed = static_cast<std::uint64_t>(
        std::chrono::high_resolution_clock::now().time_since_epoch().count());
    seed ^= std::hash<std::thread::id>{}(std::this_thread::get_id()) * 0x9e3779b97f4a7c15ULL;
    try {
      std::random_device device;
      seed ^= (static_cast<std::uint64_t>(device()) << 32) | device();
    } catch (...) {
      // No entropy source: clock and thread id are enough for uniqueness here.
    }
    return std::mt19937_64(seed);
  }();
  return gen;
}

template <std::size_t N>
void fill_random(std::array<std::uint8_t, N>& bytes) noexcept {
  do {
    for (std::size_t i = 0; i < N; i += 8) {
      std::uint64_t word = generator()();
      for (std::size_t j = 0; j < 8 && i + j < N; ++j) {
        bytes[i + j] = static_cast<std::uint8_t>(word >> (8 * j));
      }
    }
  } while (all_zero(bytes));
}

}  // namespace

bool TraceId::valid() const noexcept { return !all_zero(bytes); }
std::string TraceId::hex() const { return to_hex(bytes); }
bool SpanId::valid() const noexcept { return !all_zero(bytes); }
std::string SpanId::hex() const { return to_hex(bytes); }

SpanContext current_span_context() noexcept {
  const log::detail::SpanState* state = log::detail::current_span_state();
  if (state == nullptr) return {};
  try {
    return state->record.context;
  } catch (...) {  // copying trace_state could fail to allocate
    SpanContext ids;
    ids.trace_id = state->record.context.trace_id;
    ids.span_id = state->record.context.span_id;
    ids.trace_flags = state->record.context.trace_flags;
    return ids;
  }
}

std::string current_traceparent() {
  const log::detail::SpanState* state = log::detail::current_span_state();
  if (state == nullptr || !state->record.context.valid()) return {};
  const SpanContext& ctx = state->record.context;
  std::string out = "00-";
  out += ctx.trace_id.hex();
  out += '-';
  out += ctx.span_id.hex();
  out += '-';
  out += kHex[ctx.trace_flags >> 4];
  out += kHex[ctx.trace_flags & 0x0f];
  return out;
}

std::optional<SpanContext> parse_traceparent(std::string_view value) noexcept {
  // Surrounding blanks are tolerated (header values and env vars pick them up).
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  // version(2) - trace(32) - span(16) - flags(2)
  if (value.size() < 55 || value[2] != '-' || value[35] != '-' || value[52] != '-') {
    return std::nullopt;
  }
  std::array<std::uint8_t, 1> version{};
  std::array<std::uint8_t, 1> flags{};
  if (!from_hex(value.substr(0, 2), version) || version[0] == 0xff) return std::nullopt;
  // Version 00 is exactly 55 characters; a later version may append "-..." fields.
  if (version[0] == 0 && value.size() != 55) return std::nullopt;
  if (value.size() > 55 && value[55] != '-') return std::nullopt;
  SpanContext ctx;
  if (!from_hex(value.substr(3, 32), ctx.trace_id.bytes) ||
      !from_hex(value.substr(36, 16), ctx.span_id.bytes) || !from_hex(value.substr(53, 2), flags)) {
    return std::nullopt;
  }
  if (!ctx.valid()) return std::nullopt;
  ctx.trace_flags = flags[0];
  ctx.remote = true;
  return ctx;
}

TraceId new_trace_id() noexcept {
  TraceId id;
  fill_random(id.bytes);
  return id;
}

SpanId new_span_id() noexcept {
  SpanId id;
  fill_random(id.bytes);
  return id;
}

}  // namespace kopiur::telemetry
