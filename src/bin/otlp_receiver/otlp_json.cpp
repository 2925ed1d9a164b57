#include "otlp_json.hpp"

#include <array>
#include <string_view>

#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>

namespace kopiur::otlp_receiver {
namespace {

// Standard base64 (what protobuf's JSON mapping writes for bytes) to raw bytes; nullopt-free:
// characters outside the alphabet end the value, which cannot happen for protobuf's output.
std::string base64_decode(std::string_view text) {
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char c : text) {
    const auto index = kAlphabet.find(c);
    if (index == std::string_view::npos) break;  // '=' padding or the end
    buffer = (buffer << 6) | static_cast<std::uint32_t>(index);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return out;
}

std::string hex(std::string_view bytes) {
  constexpr std::string_view kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0x0f]);
  }
  return out;
}

bool is_id_key(const std::string& key) {
  return key == "traceId" || key == "spanId" || key == "parentSpanId";
}

}  // namespace

void ids_to_hex(nlohmann::json& value) {
  if (value.is_array()) {
    for (auto& item : value) ids_to_hex(item);
    return;
  }
  if (!value.is_object()) return;
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (is_id_key(it.key()) && it.value().is_string()) {
      it.value() = hex(base64_decode(it.value().get<std::string>()));
    } else {
      ids_to_hex(it.value());
    }
  }
}

nlohmann::json to_otlp_json(const google::protobuf::Message& request) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_enums_as_ints = true;
  std::string text;
  const auto status = google::protobuf::util::MessageToJsonString(request, &text, options);
  if (!status.ok()) {
    return {{"error", "cannot print the request as JSON: " + std::string(status.message())}};
  }
  auto value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return {{"error", "protobuf printed JSON that does not parse"}};
  ids_to_hex(value);
  return value;
}

}  // namespace kopiur::otlp_receiver
