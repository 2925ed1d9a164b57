#include "localkube/detail/protobuf_body.hpp"

#include <array>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <span>
#include <string>
#include <utility>

#include "kopiur/telemetry/utf8.hpp"

#include "kube/detail/base64.hpp"
#include "localkube/detail/protobuf_messages.hpp"

namespace kopiur::localkube::detail {
namespace {

using pb::kPbKinds;
using pb::PbField;
using pb::PbKind;
using pb::PbMessage;

// ---- the wire format ----

constexpr int kWireVarint = 0;
constexpr int kWireFixed64 = 1;
constexpr int kWireBytes = 2;
constexpr int kWireFixed32 = 5;

Error pb_error(int code, std::string reason, std::string message) {
  return Error{"local API server", code, std::move(reason), std::move(message)};
}

Error malformed(const std::string& what) {
  return pb_error(400, "BadRequest", "the protobuf request body is malformed: " + what);
}

class WireReader {
 public:
  explicit WireReader(std::string_view data) : data_(data) {}
  [[nodiscard]] bool done() const { return pos_ >= data_.size(); }

  Result<std::uint64_t> varint() {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (done()) return malformed("a varint runs past the end of its message");
      const auto byte = static_cast<unsigned char>(data_[pos_++]);
      value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    return malformed("a varint is longer than 10 bytes");
  }

  Result<std::string_view> bytes() {
    const auto size = varint();
    if (!size.ok()) return size.error();
    if (*size > data_.size() - pos_) return malformed("a length runs past the end of its message");
    const auto out = data_.substr(pos_, static_cast<std::size_t>(*size));
    pos_ += out.size();
    return out;
  }

  // Skips a field's value; true when it was its type's zero value (0, empty, all-zero bytes).
  Result<bool> skip(int wire_type) {
    std::size_t width = 0;
    switch (wire_type) {
      case kWireVarint: {
        const auto v = varint();
        if (!v.ok()) return v.error();
        return *v == 0;
      }
      case kWireBytes: {
        const auto b = bytes();
        if (!b.ok()) return b.error();
        return b->empty();
      }
      case kWireFixed64:
        width = 8;
        break;
      case kWireFixed32:
        width = 4;
        break;
      default:
        return malformed("unsupported wire type " + std::to_string(wire_type));
    }
    if (width > data_.size() - pos_) return malformed("a fixed-width field runs past the end");
    const auto value = data_.substr(pos_, width);
    pos_ += width;
    return value.find_first_not_of('\0') == std::string_view::npos;
  }

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
};

// Strings must be UTF-8 (JSON has no other kind), as the API server's decoder requires: no
// overlong forms, no surrogates, nothing above U+10FFFF (kopiur_log's validator, shared with the
// log formatters).
bool valid_utf8(std::string_view text) { return telemetry::is_valid_utf8(text); }

Result<json> decode_message(std::string_view data, const PbMessage& spec);

Result<std::string> utf8_string(std::string_view raw, const PbMessage& spec, const PbField& f) {
  if (!valid_utf8(raw)) {
    return malformed(std::string(spec.name) + "." + std::string(f.name) + " is not UTF-8");
  }
  return std::string(raw);
}

// meta/v1 Time: {1: seconds, 2: nanos}. JSON carries whole seconds (as the Go type writes it).
Result<json> decode_time(std::string_view data) {
  WireReader in(data);
  std::int64_t seconds = 0;
  bool nonzero = false;
  while (!in.done()) {
    const auto tag = in.varint();
    if (!tag.ok()) return tag.error();
    const auto wire = static_cast<int>(*tag & 7);
    const auto number = *tag >> 3;
    if ((number == 1 || number == 2) && wire == kWireVarint) {
      const auto v = in.varint();
      if (!v.ok()) return v.error();
      if (number == 1) seconds = static_cast<std::int64_t>(*v);
      nonzero = nonzero || *v != 0;
    } else if (auto s = in.skip(wire); !s.ok()) {
      return s.error();
    }
  }
  if (!nonzero) return json(nullptr);
  // RFC 3339 has four-digit years, as Go's encoder insists.
  const auto t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900) {
    return malformed("a timestamp of " + std::to_string(seconds) + " s is out of range");
  }
  char text[80];  // room for any int in each field, as the compiler checks
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return json(std::string(text));
}

// One map entry: {1: key, 2: value}; a bytes value becomes base64.
Status decode_map_entry(std::string_view data, const PbMessage& spec, const PbField& f, json& map) {
  WireReader in(data);
  std::string key;
  std::string value;
  while (!in.done()) {
    const auto tag = in.varint();
    if (!tag.ok()) return tag.error();
    const auto wire = static_cast<int>(*tag & 7);
    const auto number = *tag >> 3;
    if ((number == 1 || number == 2) && wire == kWireBytes) {
      const auto b = in.bytes();
      if (!b.ok()) return b.error();
      (number == 1 ? key : value) = std::string(*b);
    } else if (auto s = in.skip(wire); !s.ok()) {
      return s.error();
    }
  }
  if (!valid_utf8(key) || (f.kind == PbKind::kStringMap && !valid_utf8(value))) {
    return malformed(std::string(spec.name) + "." + std::string(f.name) + " is not UTF-8");
  }
  map[key] = f.kind == PbKind::kBytesMap ? kube::detail::base64_encode(value) : value;
  return {};
}

// util/intstr IntOrString {1: type (0 int, 1 string), 2: intVal, 3: strVal}, as JSON writes it.
Result<json> decode_int_or_string(std::string_view data) {
  WireReader in(data);
  std::uint64_t type = 0;
  std::int32_t number = 0;
  std::string text;
  while (!in.done()) {
    const auto tag = in.varint();
    if (!tag.ok()) return tag.error();
    const auto wire = static_cast<int>(*tag & 7);
    const auto field = *tag >> 3;
    if ((field == 1 || field == 2) && wire == kWireVarint) {
      const auto v = in.varint();
      if (!v.ok()) return v.error();
      if (field == 1) type = *v;
      if (field == 2) number = static_cast<std::int32_t>(static_cast<std::int64_t>(*v));
    } else if (field == 3 && wire == kWireBytes) {
      const auto b = in.bytes();
      if (!b.ok()) return b.error();
      if (!valid_utf8(*b)) return malformed("IntOrString.strVal is not UTF-8");
      text = std::string(*b);
    } else if (auto s = in.skip(wire); !s.ok()) {
      return s.error();
    }
  }
  if (type > 1) return malformed("IntOrString.type is " + std::to_string(type));
  return type == 1 ? json(text) : json(number);
}

// A length-delimited field's value, read into `out` (an object) under the field's name.
Status decode_delimited(std::string_view raw, const PbMessage& spec, const PbField& f, json& out) {
  const std::string name(f.name);
  switch (f.kind) {
    case PbKind::kString: {
      auto text = utf8_string(raw, spec, f);
      if (!text.ok()) return text.error();
      if (!text->empty() || f.keep_zero) out[name] = std::move(*text);
      return {};
    }
    case PbKind::kBytes:
      out[name] = kube::detail::base64_encode(std::string(raw));
      return {};
    case PbKind::kTime: {
      auto time = decode_time(raw);
      if (!time.ok()) return time.error();
      if (!time->is_null()) out[name] = std::move(*time);
      return {};
    }
    case PbKind::kStringMap:
    case PbKind::kBytesMap:
      if (!out.contains(name)) out[name] = json::object();
      return decode_map_entry(raw, spec, f, out[name]);
    case PbKind::kIntOrString: {
      auto value = decode_int_or_string(raw);
      if (!value.ok()) return value.error();
      out[name] = std::move(*value);
      return {};
    }
    case PbKind::kStringList: {
      auto text = utf8_string(raw, spec, f);
      if (!text.ok()) return text.error();
      out[name].push_back(std::move(*text));
      return {};
    }
    case PbKind::kMessage:
    case PbKind::kMessageList: {
      auto value = decode_message(raw, *f.message);
      if (!value.ok()) return value.error();
      if (f.kind == PbKind::kMessage) {
        out[name] = std::move(*value);
      } else {
        out[name].push_back(std::move(*value));
      }
      return {};
    }
    default:
      return malformed(std::string(spec.name) + "." + name + " has the wrong wire type");
  }
}

Status decode_varint_field(WireReader& in, const PbField& f, json& out) {
  const auto v = in.varint();
  if (!v.ok()) return v.error();
  if (*v == 0 && !f.keep_zero) return {};
  if (f.kind == PbKind::kBool) {
    out[std::string(f.name)] = *v != 0;
  } else {
    out[std::string(f.name)] = static_cast<std::int64_t>(*v);
  }
  return {};
}

const char* const kWayOut =
    "; send it as JSON or YAML (kubectl create ... --dry-run=client -o yaml | kubectl create -f -)";

Error not_read(const PbMessage& spec, std::uint64_t number) {
  return pb_error(415, "UnsupportedMediaType",
                  "this local API server reads the protobuf form of " + std::string(spec.name) +
                      " only in part, and the object sets its field " + std::to_string(number) +
                      kWayOut);
}

Result<json> decode_message(std::string_view data, const PbMessage& spec) {
  WireReader in(data);
  json out = json::object();
  while (!in.done()) {
    const auto tag = in.varint();
    if (!tag.ok()) return tag.error();
    const auto wire = static_cast<int>(*tag & 7);
    const auto number = *tag >> 3;
    const PbField* field = nullptr;
    for (const auto& f : spec.fields) {
      if (f.number == number) field = &f;
    }
    const bool varint_kind =
        field != nullptr && (field->kind == PbKind::kInt || field->kind == PbKind::kBool);
    Status status;
    if (field == nullptr) {
      // Unknown to the .proto: skipped, as any decoder does. Not read by a partial message: fine
      // while it holds its zero value (what Go's JSON leaves out too), refused otherwise.
      const auto zero = in.skip(wire);
      if (!zero.ok()) return zero.error();
      if (!*zero && !spec.complete) return not_read(spec, number);
    } else if (varint_kind && wire == kWireVarint) {
      status = decode_varint_field(in, *field, out);
    } else if (!varint_kind && wire == kWireBytes) {
      const auto raw = in.bytes();
      status = raw.ok() ? decode_delimited(*raw, spec, *field, out) : Status(raw.error());
    } else {
      status = malformed(std::string(spec.name) + "." + std::string(field->name) +
                         " has wire type " + std::to_string(wire));
    }
    if (!status.ok()) return status.error();
  }
  if (!spec.raw_json) return out;
  if (!out.contains("Raw")) return json(nullptr);
  const auto raw = kube::detail::base64_decode(out["Raw"].get<std::string>());
  auto doc = json::parse(raw.value_or(""), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return malformed(std::string(spec.name) + ".Raw is not JSON");
  return doc;
}

struct Envelope {
  std::string api_version;
  std::string kind;
  std::string_view raw;
  std::string content_encoding;
};

// runtime.Unknown {1: TypeMeta{1: apiVersion, 2: kind}, 2: raw, 3: contentEncoding, ...}.
Result<Envelope> decode_envelope(std::string_view data) {
  Envelope env;
  WireReader in(data);
  while (!in.done()) {
    const auto tag = in.varint();
    if (!tag.ok()) return tag.error();
    const auto wire = static_cast<int>(*tag & 7);
    const auto number = *tag >> 3;
    if (wire != kWireBytes || number < 1 || number > 3) {
      if (auto s = in.skip(wire); !s.ok()) return s.error();
      continue;
    }
    const auto value = in.bytes();
    if (!value.ok()) return value.error();
    if (number == 1) {
      constexpr std::array kTypeMetaFields{PbField{1, "apiVersion", PbKind::kString},
                                           PbField{2, "kind", PbKind::kString}};
      const auto type = decode_message(*value, pb::pb_message("TypeMeta", kTypeMetaFields));
      if (!type.ok()) return type.error();
      env.api_version = type->value("apiVersion", "");
      env.kind = type->value("kind", "");
    } else if (number == 2) {
      env.raw = *value;
    } else {
      env.content_encoding = std::string(*value);
    }
  }
  return env;
}

}  // namespace

bool is_protobuf_media_type(std::string_view content_type) {
  auto type = std::string(content_type.substr(0, content_type.find(';')));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  for (auto& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return type == "application/vnd.kubernetes.protobuf";
}

Result<json> decode_protobuf_object(std::string_view body) {
  constexpr std::string_view kMagic{"k8s\0", 4};
  if (body.substr(0, kMagic.size()) != kMagic) {
    return malformed("it does not start with the \"k8s\\0\" prefix of Kubernetes' encoding");
  }
  const auto env = decode_envelope(body.substr(kMagic.size()));
  if (!env.ok()) return env.error();
  if (!env->content_encoding.empty()) {
    return pb_error(415, "UnsupportedMediaType",
                    "protobuf content encoding \"" + env->content_encoding + "\" is not supported");
  }
  const PbMessage* spec = nullptr;
  for (const auto& candidate : kPbKinds) {
    if (env->api_version == candidate.api_version && env->kind == candidate.message->name) {
      spec = candidate.message;
    }
  }
  if (spec == nullptr) {
    return pb_error(415, "UnsupportedMediaType",
                    "this local API server reads protobuf only for ConfigMap, Secret, Namespace, "
                    "ServiceAccount, Pod, Service, Job, Deployment, Role, ClusterRole, "
                    "RoleBinding and ClusterRoleBinding, not for \"" +
                        env->api_version + " " + env->kind + "\"" + kWayOut);
  }
  auto object = decode_message(env->raw, *spec);
  if (!object.ok()) return object;
  (*object)["apiVersion"] = env->api_version;
  (*object)["kind"] = env->kind;
  return object;
}

}  // namespace kopiur::localkube::detail
