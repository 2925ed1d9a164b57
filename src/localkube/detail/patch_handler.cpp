// PATCH: JSON merge, strategic merge (as a merge without its "$" directives), JSON patch and
// server-side apply (a merge that creates the object when it is missing). The new object is
// computed from the current one under the store's lock, so concurrent patches lose nothing.
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "localkube/detail/field_validation.hpp"
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

// The patched object's undeclared fields are dropped (or refused) as fieldValidation says; the
// rules were gathered before, since this runs under the store's lock.
LocalStore::Patcher with_field_check(const FieldRules& rules, LocalStore::Patcher inner,
                                     std::vector<std::string>& warnings) {
  return [&rules, &warnings, inner = std::move(inner)](const json& current) -> Result<json> {
    auto next = inner(current);
    if (!next.ok()) return next;
    if (auto s = check_fields(rules, *next, warnings); !s.ok()) return s.error();
    return next;
  };
}

// A patch applies to the object as the URL's API shows it (an events.k8s.io Event's `note`, not
// the stored `message`).
LocalStore::Patcher on_served_form(const Target& t, LocalStore::Patcher inner) {
  if (t.rt.key() == t.served.key()) return inner;
  return [t, inner = std::move(inner)](const json& current) -> Result<json> {
    auto next = inner(to_served(t, current));
    if (!next.ok()) return next;
    return to_stored(t, std::move(*next));
  };
}

http::Response apply(Context& ctx, const Target& t, const ApiRequest& req, bool dry_run,
                     const FieldRules& rules) {
  if (!req.has_param("fieldManager")) {
    return error_response(
        api_err(400, "BadRequest", "PATCH with apply-patch+yaml needs the fieldManager parameter"));
  }
  auto body = typed_body(req, t.served);
  if (!body.ok()) return error_response(body.error());
  const bool status_only = !t.sub.empty();
  std::vector<std::string> warnings;
  auto patcher = with_field_check(rules, merge_with(std::move(*body)), warnings);
  auto result = ctx.store.patch(t.rt, t.ns, t.name, on_served_form(t, std::move(patcher)),
                                status_only, /*create_if_missing=*/!status_only, dry_run);
  return reply(ctx, req, t, result, 200, warnings);
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
                 "the body of the request was in an unknown format - accepted media types "
                 "include: application/json-patch+json, application/merge-patch+json, "
                 "application/apply-patch+yaml" +
                     std::string(t.rt.custom ? "" : ", application/strategic-merge-patch+json"));
}

}  // namespace

http::Response patch(Context& ctx, const Target& t, const ApiRequest& req) {
  const auto dry = dry_run_of(req);
  if (!dry.ok()) return error_response(dry.error());
  const auto rules = field_rules(ctx.store, t, req);
  if (!rules.ok()) return error_response(rules.error());
  const auto type = req.header("content-type");
  if (type.rfind("application/apply-patch+yaml", 0) == 0) {
    return apply(ctx, t, req, *dry, *rules);
  }
  const auto body = json::parse(req.body(), nullptr, false);
  if (body.is_discarded()) {
    return error_response(api_err(400, "BadRequest", "the patch body is not valid JSON"));
  }
  auto patcher = patcher_for(type, body, t);
  if (!patcher.ok()) return error_response(patcher.error());
  std::vector<std::string> warnings;
  auto checked = with_field_check(*rules, std::move(*patcher), warnings);
  auto result = ctx.store.patch(t.rt, t.ns, t.name, on_served_form(t, std::move(checked)),
                                !t.sub.empty(), false, *dry);
  return reply(ctx, req, t, result, 200, warnings);
}

}  // namespace kopiur::localkube::detail
