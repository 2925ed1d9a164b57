// A container's environment as the kubelet builds it: envFrom (Secrets and ConfigMaps, with an
// optional prefix) first, then env in order, where valueFrom reads a Secret or ConfigMap key or a
// pod field, and $(NAME) refers to a variable defined earlier ($$ is a literal $). Command and
// args are expanded with the same rule. Errors are worded as the kubelet words them
// (`secret "x" not found`, `couldn't find key k in Secret ns/x`), since users search for them.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kopiur/support/json.hpp"

#include "localkube/detail/kube_types.hpp"

namespace kopiur::localkube::detail {

// The decoded data of a Secret or ConfigMap ("Secret"/"ConfigMap") in the pod's namespace, or
// nullopt when it does not exist.
using ConfigLookup = std::function<std::optional<std::map<std::string, std::string>>(
    const std::string& kind, const std::string& name)>;

using EnvList = std::vector<std::pair<std::string, std::string>>;

// container_env(): the variables the pod spec defines for `container`, in order (a later entry
// with the same name replaces an earlier one).
Result<EnvList> container_env(const nlohmann::json& pod, const nlohmann::json& container,
                              const ConfigLookup& lookup);

// expand_references(): replaces $(NAME) with the value of NAME in `env`; unknown names stay as
// written and $$ becomes $.
std::string expand_references(const std::string& text,
                              const std::map<std::string, std::string>& env);

}  // namespace kopiur::localkube::detail
