// PATCH: JSON merge, strategic merge (as a merge without its "$" directives), JSON patch and
// server-side apply (with field ownership, managed_fields.hpp; it creates the object when it is
// missing). The new object is computed from the current one under the store's lock, so
// concurrent patches lose nothing.
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

// A merge or JSON patch gives its manager the fields it changes (an Update entry).
LocalStore::Patcher with_update_tracking(FieldTypeRef type, FieldManager who,
                                         LocalStore::Patcher inner) {
  return [type = std::move(type), who = std::move(who),
          inner = std::move(inner)](const json& current) -> Result<json> {
    auto next = inner(current);
    if (!next.ok()) return next;
    return track_update(*type, &current, std::move(*next), who);
  };
}

// The applied configuration becomes the manager's set of fields (a 409 naming the other managers
// and fields when it changes theirs, unless force=true).
// `created` is set when the apply creates the object (the answer is then 201).
LocalStore::Patcher apply_with(FieldTypeRef type, json config, FieldManager who, bool force,
                               bool& created) {
  return [type = std::move(type), config = std::move(config), who = std::move(who), force,
          &created](const json& current) -> Result<json> {
    // The store passes an empty object when the apply creates it.
    created = current.empty();
    return track_apply(*type, created ? nullptr : &current, config, who, force);
  };
}

http::Response apply(Context& ctx, const Target& t, const ApiRequest& req, bool dry_run,
                     const FieldRules& rules) {
  if (req.param("fieldManager").empty()) {
    return error_response(api_err(422, "Invalid",
                                  "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: "
                                  "Required value: is required for apply patch"));
  }
  const auto manager = manager_of(req.param("fieldManager"), "");
  if (!manager.ok()) return error_response(manager.error());
  const auto force = req.param("force");
  if (!force.empty() && force != "true" && force != "false") {
    return error_response(api_err(400, "BadRequest", "force: must be true or false"));
  }
  auto body = typed_body(req, t.served);
  if (!body.ok()) return error_response(body.error());
  std::vector<std::string> warnings;
  if (auto s = check_fields(rules, *body, warnings); !s.ok()) return error_response(s.error());
  const bool status_only = !t.sub.empty();
  bool created = false;
  auto patcher = apply_with(schema_for(t.served, rules.schema), std::move(*body),
                            field_manager_for(t, *manager), force == "true", created);
  auto result = ctx.store.patch(t.rt, t.ns, t.name, on_served_form(t, std::move(patcher)),
                                status_only, /*create_if_missing=*/!status_only, dry_run);
  return reply(ctx, req, t, result, created ? 201 : 200, warnings);
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
  const auto manager = manager_of(req.param("fieldManager"), req.header("user-agent"));
  if (!manager.ok()) return error_response(manager.error());
  std::vector<std::string> warnings;
  auto checked =
      with_update_tracking(schema_for(t.served, rules->schema), field_manager_for(t, *manager),
                           with_field_check(*rules, std::move(*patcher), warnings));
  auto result = ctx.store.patch(t.rt, t.ns, t.name, on_served_form(t, std::move(checked)),
                                !t.sub.empty(), false, *dry);
  return reply(ctx, req, t, result, 200, warnings);
}

}  // namespace kopiur::localkube::detail
