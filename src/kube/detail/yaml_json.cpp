#include "kube/detail/yaml_json.hpp"

#include <cstdlib>

#include <yaml-cpp/yaml.h>

namespace kopiur::kube::detail {
namespace {

nlohmann::json scalar_to_json(const YAML::Node& node) {
  const auto& text = node.Scalar();
  if (node.Tag() == "!") return text;  // quoted: always a string
  if (text == "null" || text == "~" || text.empty()) return nullptr;
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  char* end = nullptr;
  const long long integer = std::strtoll(text.c_str(), &end, 10);
  if (*end == '\0') return integer;
  const double number = std::strtod(text.c_str(), &end);
  if (*end == '\0') return number;
  return text;
}

nlohmann::json to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& kv : node) out[kv.first.as<std::string>()] = to_json(kv.second);
      return out;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& item : node) out.push_back(to_json(item));
      return out;
    }
    case YAML::NodeType::Scalar:
      return scalar_to_json(node);
    default:
      return nullptr;
  }
}

}  // namespace

std::optional<nlohmann::json> parse_yaml(const std::string& text, std::string* error) {
  try {
    return to_json(YAML::Load(text));
  } catch (const std::exception& e) {
    *error = e.what();
    return std::nullopt;
  }
}

std::optional<std::vector<nlohmann::json>> parse_yaml_documents(const std::string& text,
                                                                std::string* error) {
  try {
    std::vector<nlohmann::json> out;
    for (const auto& doc : YAML::LoadAll(text)) {
      auto value = to_json(doc);
      if (!value.is_null()) out.push_back(std::move(value));
    }
    return out;
  } catch (const std::exception& e) {
    *error = e.what();
    return std::nullopt;
  }
}

}  // namespace kopiur::kube::detail
