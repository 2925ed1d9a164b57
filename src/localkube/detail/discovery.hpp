// Discovery: what kubectl reads before it touches a resource. /version, the health endpoints,
// /api and /apis (group and resource lists built from the store's registry, so CRDs appear as
// soon as they are created) and OpenAPI v3 (openapi.hpp).
#pragma once

#include <optional>

#include "localkube/detail/api.hpp"

namespace kopiur::localkube::detail {

// The answer when `req` (a GET) is a discovery request; nullopt for resource URLs.
std::optional<http::Response> discovery(const Context& ctx, const ApiRequest& req);

}  // namespace kopiur::localkube::detail
