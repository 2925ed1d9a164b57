// PATCH: JSON merge, strategic merge (as a merge without its "$" directives), JSON patch and
// server-side apply (a merge that creates the object when it is missing). The new object is
// computed from the current one under the store's lock, so concurrent patches lose nothing.
#include <exception>
#include <string>

#include "localkube/detail/handlers.hpp"

namespace kopiur::localkube::detail {
namespace {

// Strategic merge patches from kubectl carry "$..." directives; without per-type merge keys the
// closest faithful behaviour is a JSON merge patch of the remaining content.
json strip_directives(const json& patch) {
  if (patch.is_object()) {
    json out = json::object();
    for (const auto& [key, value] : patch.items()) {
      if (!key.empty() && key[0] == '$') continue;
      out[key] = strip_directives(value);
    }
    return out;
  }
  if (patch.is_array()) {
    json out = json::array();
    for (const auto& item : patch) out.push_back(strip_directives(item));
    return out;
  }
  return patch;
}

LocalStore::Patcher merge_with(json patch) {
  return [patch = std::move(patch)](const json& current) -> Result<json> {
    json next = current;
    next.merge_patch(patch);
    return next;
  };
}

http::Response apply(Context& ctx, const Target& t, const ApiRequest& req, bool dry_run) {
  if (!req.has_param("fieldManager")) {
    return error_response(
        api_err(400, "BadRequest", "PATCH with apply-patch+yaml needs the fieldManager parameter"));
  }
  auto body = typed_body(req, t.rt);
  if (!body.ok()) return error_response(body.error());
  const bool status_only = !t.sub.empty();
  return reply(ctx, req, t.rt,
               ctx.store.patch(t.rt, t.ns, t.name, merge_with(std::move(*body)), status_only,
                               /*create_if_missing=*/!status_only, dry_run),
               200);
}

// The patcher for a merge or JSON patch body of content type `type`, or the error to answer.
Result<LocalStore::Patcher> patcher_for(const std::string& type, const json& body,
                                        const Target& t) {
  if (type.rfind("application/merge-patch+json", 0) == 0 ||
      type.rfind("application/strategic-merge-patch+json", 0) == 0) {
    if (type.rfind("application/strategic", 0) == 0 && t.rt.custom) {
      return api_err(415, "UnsupportedMediaType",
                     "the body of the request was in an unknown format - accepted media "
                     "types include: application/json-patch+json, "
                     "application/merge-patch+json, application/apply-patch+yaml");
    }
    if (!body.is_object()) return api_err(400, "BadRequest", "a merge patch must be a JSON object");
    return merge_with(strip_directives(body));
  }
  if (type.rfind("application/json-patch+json", 0) == 0) {
    if (!body.is_array()) {
      return api_err(400, "BadRequest", "a JSON patch must be an array of operations");
    }
    return LocalStore::Patcher([body](const json& current) -> Result<json> {
      try {
        return current.patch(body);
      } catch (const std::exception& e) {
        return api_err(422, "Invalid",
                       std::string("the JSON patch cannot be applied: ") + e.what());
      }
    });
  }
  return api_err(415, "UnsupportedMediaType",
                 "unsupported patch type \"" + type +
                     "\"; use application/merge-patch+json, application/json-patch+json "
                     "or application/apply-patch+yaml");
}

}  // namespace

http::Response patch(Context& ctx, const Target& t, const ApiRequest& req) {
  const auto dry = dry_run_of(req);
  if (!dry.ok()) return error_response(dry.error());
  const auto type = req.header("content-type");
  if (type.rfind("application/apply-patch+yaml", 0) == 0) return apply(ctx, t, req, *dry);
  const auto body = json::parse(req.body(), nullptr, false);
  if (body.is_discarded()) {
    return error_response(api_err(400, "BadRequest", "the patch body is not valid JSON"));
  }
  auto patcher = patcher_for(type, body, t);
  if (!patcher.ok()) return error_response(patcher.error());
  return reply(ctx, req, t.rt,
               ctx.store.patch(t.rt, t.ns, t.name, *patcher, !t.sub.empty(), false, *dry), 200);
}

}  // namespace kopiur::localkube::detail
