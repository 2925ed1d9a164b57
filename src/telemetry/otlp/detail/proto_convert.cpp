#include "telemetry/otlp/detail/proto_convert.hpp"

#include <limits>
#include <string>
#include <type_traits>
#include <variant>

#include "kopiur/version.hpp"

namespace kopiur::telemetry::otlp::detail {

void add_string_attribute(google::protobuf::RepeatedPtrField<pb_common::KeyValue>* out,
                          std::string_view key, std::string_view value) {
  auto* kv = out->Add();
  kv->set_key(std::string(key));
  kv->mutable_value()->set_string_value(std::string(value));
}

void add_field_attribute(google::protobuf::RepeatedPtrField<pb_common::KeyValue>* out,
                         const log::OwnedField& field) {
  auto* kv = out->Add();
  kv->set_key(field.name);
  auto* value = kv->mutable_value();
  std::visit(
      [value](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          value->set_string_value(v);
        } else if constexpr (std::is_same_v<T, bool>) {
          value->set_bool_value(v);
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          value->set_int_value(v);
        } else if constexpr (std::is_same_v<T, std::uint64_t>) {
          // OTLP integers are signed 64-bit; a larger value keeps its digits as a string.
          if (v <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            value->set_int_value(static_cast<std::int64_t>(v));
          } else {
            value->set_string_value(std::to_string(v));
          }
        } else {
          value->set_double_value(v);
        }
      },
      field.value);
}

void fill_resource(opentelemetry::proto::resource::v1::Resource* out, const KeyValues& resource) {
  for (const auto& [key, value] : resource)
    add_string_attribute(out->mutable_attributes(), key, value);
}

void fill_scope(pb_common::InstrumentationScope* out, std::string_view name) {
  out->set_name(std::string(name));
}

std::string id_bytes(const TraceId& id) {
  return {reinterpret_cast<const char*>(id.bytes.data()), id.bytes.size()};
}
std::string id_bytes(const SpanId& id) {
  return {reinterpret_cast<const char*>(id.bytes.data()), id.bytes.size()};
}

log::OwnedField own_field(const log::Field& field) {
  log::OwnedField out;
  out.name = std::string(field.name);
  std::visit(
      [&out](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string_view>) {
          out.value = std::string(v);
        } else if constexpr (std::is_same_v<T, log::ErrorValue>) {
          out.value = std::string(v.message);
          out.is_error = true;
        } else {
          out.value = v;
        }
      },
      field.value);
  return out;
}

}  // namespace kopiur::telemetry::otlp::detail
