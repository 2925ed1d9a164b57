// The local API server as a caller of validating admission webhooks: for a CREATE or UPDATE of
// the main resource, every webhook of every ValidatingWebhookConfiguration
// (admissionregistration.k8s.io/v1) whose rules match is sent an AdmissionReview, at its
// clientConfig.url, trusting its caBundle, within its timeoutSeconds (default 10). A denial
// becomes the client's error as a real API server words it (403 unless the webhook's status sets
// a code: `admission webhook "<name>" denied the request: <message>`); a webhook that cannot be
// called fails the write under failurePolicy Fail (the default, 500 InternalError) and is skipped
// under Ignore. Not supported: clientConfig.service (no cluster DNS; treated as a call failure),
// namespaceSelector, objectSelector and matchConditions (ignored: every matching rule is called).
#pragma once

#include <string>
#include <vector>

#include "kopiur/support/json.hpp"

#include "localkube/detail/kube_types.hpp"
#include "localkube/detail/local_store.hpp"

namespace kopiur::localkube::detail {

// call_validating_webhooks(): OK when every matching webhook allows (or is ignored); else the
// Error to answer with. `old` is nullptr on CREATE.
Status call_validating_webhooks(const std::vector<nlohmann::json>& configurations,
                                const ResourceType& rt, const nlohmann::json& object,
                                const nlohmann::json* old);

}  // namespace kopiur::localkube::detail
