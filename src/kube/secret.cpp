#include "kopiur/kube/secret.hpp"

#include "kube/detail/base64.hpp"

namespace kopiur::kube {

std::optional<std::string> secret_value(const nlohmann::json& secret, const std::string& key) {
  if (!secret.is_object()) return std::nullopt;
  if (const auto data = secret.find("data"); data != secret.end() && data->is_object()) {
    if (const auto v = data->find(key); v != data->end() && v->is_string()) {
      return detail::base64_decode(v->get<std::string>());
    }
  }
  if (const auto data = secret.find("stringData"); data != secret.end() && data->is_object()) {
    if (const auto v = data->find(key); v != data->end() && v->is_string()) {
      return v->get<std::string>();
    }
  }
  return std::nullopt;
}

}  // namespace kopiur::kube
