// Small conversions from kopiur's telemetry values to OTLP protobuf messages.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kopiur/telemetry/context.hpp"
#include "kopiur/telemetry/log/event.hpp"
#include "kopiur/telemetry/otlp/config.hpp"

#include "opentelemetry/proto/common/v1/common.pb.h"
#include "opentelemetry/proto/resource/v1/resource.pb.h"

namespace kopiur::telemetry::otlp::detail {

namespace pb_common = opentelemetry::proto::common::v1;

inline std::uint64_t unix_nanos(std::chrono::system_clock::time_point t) noexcept {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch());
  return ns.count() < 0 ? 0 : static_cast<std::uint64_t>(ns.count());
}

void add_string_attribute(google::protobuf::RepeatedPtrField<pb_common::KeyValue>* out,
                          std::string_view key, std::string_view value);

// Adds a field as an attribute of its own type (an error value becomes its message).
void add_field_attribute(google::protobuf::RepeatedPtrField<pb_common::KeyValue>* out,
                         const log::OwnedField& field);

void fill_resource(opentelemetry::proto::resource::v1::Resource* out, const KeyValues& resource);

// The instrumentation scope of kopiur's own spans and metrics (logs are scoped by their target).
inline constexpr std::string_view kScopeName = "kopiur";

void fill_scope(pb_common::InstrumentationScope* out, std::string_view name);

// Whether an id is set (not all-zero); local so the exporter does not need the logging library.
template <std::size_t N>
bool id_set(const std::array<std::uint8_t, N>& bytes) noexcept {
  for (auto b : bytes) {
    if (b != 0) return true;
  }
  return false;
}

std::string id_bytes(const TraceId& id);
std::string id_bytes(const SpanId& id);

// Copies a borrowed event field into an owned one.
log::OwnedField own_field(const log::Field& field);

}  // namespace kopiur::telemetry::otlp::detail
