// Base64 (RFC 4648, standard alphabet) for kubeconfig "-data" fields and Secret values.
#pragma once

#include <optional>
#include <string>

namespace kopiur::kube::detail {

// base64_decode(): ignores whitespace and padding; nullopt on any other non-alphabet character.
std::optional<std::string> base64_decode(const std::string& text);
// base64_encode(): with padding, no line breaks (as Kubernetes writes Secret data).
std::string base64_encode(const std::string& bytes);

}  // namespace kopiur::kube::detail
