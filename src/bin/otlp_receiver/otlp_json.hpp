// OTLP/JSON from a decoded OTLP request: protobuf's JSON mapping with the differences the OTLP
// specification makes (trace and span ids as hex instead of base64, enums as integers).
#pragma once

#include <string>

#include "kopiur/support/json.hpp"

namespace google::protobuf {
class Message;
}

namespace kopiur::otlp_receiver {

// The request as OTLP/JSON, or an object {"error": "..."} when protobuf cannot print it.
nlohmann::json to_otlp_json(const google::protobuf::Message& request);

// Rewrites, in place, every traceId / spanId / parentSpanId string from base64 to lower-case hex.
void ids_to_hex(nlohmann::json& value);

}  // namespace kopiur::otlp_receiver
