// DELETE of one object: removed at once, or marked with deletionTimestamp while finalizers
// remain (the store does that); dry run from the query or from the DeleteOptions body.
#include "localkube/detail/handlers.hpp"

namespace kopiur::localkube::detail {
namespace {

// kubectl sends a delete's dry run in the DeleteOptions body, not as a parameter.
Result<bool> delete_options_dry_run(const ApiRequest& req) {
  if (req.body().empty()) return false;
  const auto body = json::parse(req.body(), nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return api_err(400, "BadRequest", "the DeleteOptions body is not a JSON object");
  }
  const auto it = body.find("dryRun");
  if (it == body.end() || it->is_null()) return false;
  if (!it->is_array()) return api_err(400, "BadRequest", "DeleteOptions.dryRun must be a list");
  for (const auto& v : *it) {
    if (v != "All") {
      return api_err(400, "BadRequest",
                     "dryRun: Unsupported value: " + v.dump() + ": supported values: \"All\"");
    }
  }
  return !it->empty();
}

}  // namespace

http::Response remove(Context& ctx, const Target& t, const ApiRequest& req) {
  const auto dry = dry_run_of(req);
  if (!dry.ok()) return error_response(dry.error());
  const auto body_dry = delete_options_dry_run(req);
  if (!body_dry.ok()) return error_response(body_dry.error());
  return reply(ctx, req, t, ctx.store.remove(t.rt, t.ns, t.name, *dry || *body_dry), 200);
}

}  // namespace kopiur::localkube::detail
