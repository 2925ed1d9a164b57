// Create (POST) and update (PUT), and the request-body rules every write shares: JSON or YAML
// objects (or protobuf for the built-in kinds kubectl's typed generators send), kind and apiVersion
// matching the URL, dryRun=All or nothing.
#include <cctype>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "kube/detail/yaml_json.hpp"
#include "localkube/detail/builtin_objects.hpp"
#include "localkube/detail/field_validation.hpp"
#include "localkube/detail/handlers.hpp"
#include "localkube/detail/protobuf_body.hpp"

namespace kopiur::localkube::detail {
namespace {

// JSON or YAML, or a server-side apply's YAML (a missing Content-Type is read as JSON, as a real
// server does); parameters such as "; charset=utf-8" do not matter.
bool readable_media_type(const std::string& content_type) {
  auto type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  for (auto& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return type.empty() || type == "application/json" || type == "application/yaml" ||
         type == "application/apply-patch+yaml" || type == "*/*";
}

// The body as JSON: decoded from protobuf (the built-in kinds kubectl's typed generators send,
// protobuf_body.hpp), else parsed as JSON or YAML.
Result<json> decode_body(const ApiRequest& req) {
  const auto content_type = req.header("content-type");
  if (is_protobuf_media_type(content_type)) return decode_protobuf_object(req.body());
  if (!readable_media_type(content_type)) {
    return api_err(415, "UnsupportedMediaType",
                   "the body of the request was in an unknown format - accepted media types "
                   "include: application/json, application/yaml, "
                   "application/vnd.kubernetes.protobuf");
  }
  auto body = json::parse(req.body(), nullptr, /*allow_exceptions=*/false);
  if (!body.is_discarded()) return body;
  std::string error;
  auto yaml = kube::detail::parse_yaml(req.body(), &error);
  if (!yaml || !yaml->is_object()) {
    return api_err(400, "BadRequest", "the request body is not a JSON or YAML object");
  }
  // The JSON parser refuses invalid UTF-8, yaml-cpp does not; a real server's YAML decoder does
  // (and a stored string that is not UTF-8 could never be written out again).
  try {
    (void)yaml->dump();
  } catch (const json::type_error& e) {
    return api_err(400, "BadRequest",
                   std::string("the YAML request body is not valid UTF-8: ") + e.what());
  }
  return std::move(*yaml);
}

Result<json> parse_body(const ApiRequest& req) {
  auto decoded = decode_body(req);
  if (!decoded.ok()) return decoded;
  auto body = std::move(*decoded);
  if (!body.is_object()) {
    return api_err(400, "BadRequest",
                   "the request body must be an object, got " + std::string(body.type_name()));
  }
  // A null metadata field is an unset one, as for a real server (`kubectl create
  // --dry-run=client -o yaml` writes `creationTimestamp: null`).
  if (auto meta = body.find("metadata"); meta != body.end() && meta->is_object()) {
    for (auto it = meta->begin(); it != meta->end();) {
      it = it->is_null() ? meta->erase(it) : std::next(it);
    }
  }
  if (auto shape = check_shape(body); !shape.ok()) return shape.error();
  return body;
}

Status check_type(const ResourceType& rt, const json& body) {
  const auto kind = body.value("kind", "");
  const auto api_version = body.value("apiVersion", "");
  if ((!kind.empty() && kind != rt.kind) ||
      (!api_version.empty() && api_version != rt.api_version())) {
    return api_err(400, "BadRequest",
                   "the body is " + api_version + " " + kind + " but the URL names " +
                       rt.api_version() + " " + rt.kind);
  }
  return {};
}

}  // namespace

Result<bool> dry_run_of(const ApiRequest& req) {
  if (!req.has_param("dryRun")) return false;
  const auto value = req.param("dryRun");
  if (value == "All") return true;
  return api_err(400, "BadRequest",
                 "dryRun: Unsupported value: \"" + value + "\": supported values: \"All\"");
}

Result<json> typed_body(const ApiRequest& req, const ResourceType& rt) {
  auto body = parse_body(req);
  if (!body.ok()) return body;
  if (auto e = check_type(rt, *body); !e.ok()) return e.error();
  return body;
}

FieldManager field_manager_for(const Target& t, std::string manager) {
  FieldManager who{std::move(manager), t.served.api_version(), t.sub, t.rt.has_status, {}};
  if (!t.rt.custom && t.sub.empty() && !served_converted(t)) {
    who.defaults = [rt = t.rt](json& object, const json* live) {
      static_cast<void>(prepare_builtin(rt, object, live));
    };
  }
  return who;
}

namespace {

// What a create and an update read from the request before they write, in the order a real
// server checks it: the dry-run flag, the typed body, the field rules, the field manager, and
// the body with undeclared fields removed (Strict: an error instead; Warn: the warnings).
struct WriteRequest {
  bool dry = false;
  json body;
  FieldRules rules;
  std::string manager;
  std::vector<std::string> warnings;
};

Result<WriteRequest> read_write_request(const Context& ctx, const Target& t,
                                        const ApiRequest& req) {
  const auto dry = dry_run_of(req);
  if (!dry.ok()) return dry.error();
  auto body = typed_body(req, t.served);
  if (!body.ok()) return body.error();
  auto rules = field_rules(ctx.store, t, req);
  if (!rules.ok()) return rules.error();
  auto manager = manager_of(req.param("fieldManager"), req.header("user-agent"));
  if (!manager.ok()) return manager.error();
  WriteRequest out{*dry, std::move(*body), std::move(*rules), std::move(*manager), {}};
  if (auto s = check_fields(out.rules, out.body, out.warnings); !s.ok()) return s.error();
  return out;
}

}  // namespace

// Creates and updates record an Update entry for their manager in metadata.managedFields.
http::Response create(Context& ctx, const Target& t, const ApiRequest& req) {
  auto in = read_write_request(ctx, t, req);
  if (!in.ok()) return error_response(in.error());
  auto object = track_update(*schema_for(t.served, in->rules.schema), nullptr, std::move(in->body),
                             field_manager_for(t, in->manager));
  return reply(ctx, req, t, ctx.store.create(t.rt, t.ns, to_stored(t, std::move(object)), in->dry),
               201, in->warnings);
}

// An update is computed under the store's lock, like a patch, so its managed fields are those
// of the object it replaces.
http::Response update(Context& ctx, const Target& t, const ApiRequest& req) {
  auto in = read_write_request(ctx, t, req);
  if (!in.ok()) return error_response(in.error());
  const auto body_name = in->body.value("metadata", json::object()).value("name", t.name);
  if (body_name != t.name) {
    return error_response(api_err(400, "BadRequest",
                                  "the name of the object (" + body_name +
                                      ") does not match the name on the URL (" + t.name + ")"));
  }
  LocalStore::Patcher replace =
      [type = schema_for(t.served, in->rules.schema), who = field_manager_for(t, in->manager),
       object = std::move(in->body)](const json& current) -> Result<json> {
    return track_update(*type, &current, object, who);
  };
  if (served_converted(t)) {
    replace = [t, inner = std::move(replace)](const json& current) -> Result<json> {
      auto next = inner(to_served(t, current));
      if (!next.ok()) return next;
      return to_stored(t, std::move(*next));
    };
  }
  return reply(ctx, req, t,
               ctx.store.patch(t.rt, t.ns, t.name, replace, !t.sub.empty(),
                               /*create_if_missing=*/false, in->dry),
               200, in->warnings);
}

}  // namespace kopiur::localkube::detail
