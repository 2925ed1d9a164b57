// YAML -> JSON for kubeconfig files and apply-patch+yaml bodies (YAML 1.2 core scalar rules).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kopiur/support/json.hpp"

namespace kopiur::kube::detail {

// parse_yaml(): nullopt + *error on malformed YAML.
std::optional<nlohmann::json> parse_yaml(const std::string& text, std::string* error);
// parse_yaml_documents(): every non-empty document of a multi-document stream.
std::optional<std::vector<nlohmann::json>> parse_yaml_documents(const std::string& text,
                                                                std::string* error);

}  // namespace kopiur::kube::detail
