// Kubernetes' protobuf encoding of the built-in kinds kubectl's typed generators send (`kubectl
// create configmap|secret|namespace|service|job|deployment|role|rolebinding ...`): the "k8s\0"
// magic, a runtime.Unknown envelope (apiVersion, kind, raw) and the object's own message, decoded
// to the JSON a client would have sent. client-go falls back to JSON after a 415 only for CBOR,
// so a server that refused protobuf would break these commands for good (docs/kubernetes.md).
// The messages are tabled in protobuf_messages.hpp. It needs nothing else of the server, so its
// fuzzer (tests/fuzz/protobuf_body_fuzz.cpp) builds it alone.
#pragma once

#include <string_view>

#include "kopiur/support/json.hpp"

#include "localkube/detail/kube_types.hpp"

namespace kopiur::localkube::detail {

using nlohmann::json;

// Whether a Content-Type is Kubernetes' protobuf (application/vnd.kubernetes.protobuf, with or
// without parameters).
bool is_protobuf_media_type(std::string_view content_type);

// The object in a protobuf request body as JSON (with apiVersion and kind). A malformed body is
// 400 naming what is wrong; a well-formed body of a kind not decoded here, or one setting a field
// a partly read message does not read, is 415 saying to send it as JSON or YAML. Zero values the
// Go types leave out of JSON (empty strings, a zero generation, an unset timestamp) are left out
// here too; fields unknown to the .proto are skipped, as a protobuf decoder does.
Result<json> decode_protobuf_object(std::string_view body);

}  // namespace kopiur::localkube::detail
