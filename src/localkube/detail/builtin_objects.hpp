// What the API server itself does to some built-in objects as they are written, so objects in the
// local server look as they would in a cluster: Secret stringData folded into base64 data; Jobs
// given their selector, the controller-uid and job-name labels and the batch/v1 defaults; Pods
// given the core/v1 defaults and a Pending status. Also the few validations the kubelet and the
// Job controller rely on (a Pod has containers with names; a Job's pods restart Never/OnFailure).
#pragma once

#include <string>

#include "kopiur/support/json.hpp"

#include "localkube/detail/kube_types.hpp"

namespace kopiur::localkube::detail {

struct ResourceType;

// prepare_builtin(): applies the defaults above and checks the types of every field the local
// Job controller and kubelet read, so nothing malformed reaches them. `old` is the stored object
// on an update (a Job's template, selector and completionMode are immutable), null on create
// (metadata.uid and creationTimestamp are already set). A 422 Invalid error names the field.
Status prepare_builtin(const ResourceType& rt, nlohmann::json& object, const nlohmann::json* old);

// prepare_pod_spec(): the checks and defaults of a pod spec at `path` (error messages name it),
// for Pods, Job and Deployment templates. `kind` and `object` name the object in a 422.
Status prepare_pod_spec(const std::string& kind, const nlohmann::json& object, nlohmann::json& spec,
                        const std::string& path);

}  // namespace kopiur::localkube::detail
