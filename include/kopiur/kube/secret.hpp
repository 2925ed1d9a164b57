// File: kopiur/kube/secret.hpp
//
// secret_value(): one key of a Secret object as its bytes: `data` (base64, as the API server
// returns it) or, for objects not yet written, `stringData`. nullopt when the key is absent or
// its data is not valid base64.
//
// Thread-safety: pure function. Failure: nullopt, never throws.
#pragma once

#include <optional>
#include <string>

#include "kopiur/support/json.hpp"

namespace kopiur::kube {

std::optional<std::string> secret_value(const nlohmann::json& secret, const std::string& key);

}  // namespace kopiur::kube
