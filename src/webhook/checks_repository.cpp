// Warnings about a repository's spec.mode: settings a ReadOnly repository does not act on.
#include "webhook/checks.hpp"
#include "webhook/json_path.hpp"

namespace kopiur::webhook::detail {

void warn_repository_mode(const std::string& kind, const nlohmann::json& object,
                          std::vector<std::string>& warnings) {
  if (kind != "Repository" && kind != "ClusterRepository") return;
  if (string_at(object, {"spec", "mode"}) != "ReadOnly") return;
  const nlohmann::json* create = at(object, {"spec", "create", "enabled"});
  if (create != nullptr && create->is_boolean() && create->get<bool>()) {
    warnings.push_back(
        "spec.create.enabled: ignored with spec.mode: ReadOnly (a read-only connection never "
        "creates the repository; it must exist already)");
  }
  const nlohmann::json* maintenance = at(object, {"spec", "maintenance"});
  const nlohmann::json* enabled = at(object, {"spec", "maintenance", "enabled"});
  const bool disabled = enabled != nullptr && enabled->is_boolean() && !enabled->get<bool>();
  if (maintenance != nullptr && maintenance->is_object() && !disabled) {
    warnings.push_back(
        "spec.maintenance: ignored with spec.mode: ReadOnly (maintenance writes; run it from a "
        "ReadWrite repository on the same storage)");
  }
}

}  // namespace kopiur::webhook::detail
