// Routing: from an HTTP request to a discovery answer or to the handler for its verb and the
// resource its URL names (/api/v1/..., /apis/<group>/<version>/..., namespaced or not, with the
// status and log subresources).
#pragma once

#include "localkube/detail/api.hpp"

namespace kopiur::localkube::detail {

// The resource a path's segments name, or 404.
Result<Target> resolve(const LocalStore& store, const std::vector<std::string>& seg);

// Answers one request; never throws (an unexpected exception is a 500 Status).
http::Response serve(Context& ctx, const http::Request& request);

}  // namespace kopiur::localkube::detail
