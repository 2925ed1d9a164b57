#include "localkube/detail/discovery.hpp"

#include <map>
#include <string>

namespace kopiur::localkube::detail {
namespace {

json resource_list(const LocalStore& store, const std::string& group, const std::string& version) {
  json resources = json::array();
  for (const auto& rt : store.resources()) {
    if (rt.group != group || rt.version != version) continue;
    resources.push_back({{"name", rt.plural},
                         {"singularName", rt.singular},
                         {"namespaced", rt.namespaced},
                         {"kind", rt.kind},
                         {"verbs", {"create", "delete", "get", "list", "patch", "update", "watch"}},
                         {"shortNames", rt.short_names},
                         {"categories", rt.categories}});
    if (rt.has_status) {
      resources.push_back({{"name", rt.plural + "/status"},
                           {"singularName", ""},
                           {"namespaced", rt.namespaced},
                           {"kind", rt.kind},
                           {"verbs", {"get", "patch", "update"}}});
    }
  }
  return {{"kind", "APIResourceList"},
          {"apiVersion", "v1"},
          {"groupVersion", group.empty() ? version : group + "/" + version},
          {"resources", resources}};
}

json group_list(const LocalStore& store) {
  std::map<std::string, std::string> groups;  // group -> version
  for (const auto& rt : store.resources()) {
    if (!rt.group.empty()) groups[rt.group] = rt.version;
  }
  json out = json::array();
  for (const auto& [group, version] : groups) {
    const json gv = {{"groupVersion", group + "/" + version}, {"version", version}};
    out.push_back({{"name", group}, {"versions", {gv}}, {"preferredVersion", gv}});
  }
  return {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", out}};
}

// OpenAPI v3, reduced to what kubectl reads: the index of group-versions, and per group-version
// a PATCH operation per kind that lists the fieldValidation parameter. That tells kubectl the
// server validates fields itself, so it needs no client-side schema.
json openapi_index(const LocalStore& store) {
  json paths = json::object();
  for (const auto& rt : store.resources()) {
    const auto gv = rt.group.empty() ? "api/" + rt.version : "apis/" + rt.api_version();
    paths[gv] = {
        {"serverRelativeURL", "/openapi/v3/" + gv + "?hash=" + std::to_string(store.current_rv())}};
  }
  return {{"paths", paths}};
}

std::optional<json> openapi_group_version(const LocalStore& store, const std::string& gv) {
  json paths = json::object();
  for (const auto& rt : store.resources()) {
    const auto prefix = rt.group.empty() ? "api/" + rt.version : "apis/" + rt.api_version();
    if (prefix != gv) continue;
    const auto base =
        "/" + prefix + (rt.namespaced ? "/namespaces/{namespace}/" : "/") + rt.plural + "/{name}";
    const json op = {
        {"x-kubernetes-group-version-kind",
         {{"group", rt.group}, {"version", rt.version}, {"kind", rt.kind}}},
        {"parameters",
         {{{"name", "fieldValidation"}, {"in", "query"}, {"schema", {{"type", "string"}}}},
          {{"name", "fieldManager"}, {"in", "query"}, {"schema", {{"type", "string"}}}}}},
        {"responses", {{"200", {{"description", "OK"}}}}}};
    paths[base] = {{"patch", op}};
  }
  if (paths.empty()) return std::nullopt;
  return json{{"openapi", "3.0.0"},
              {"info", {{"title", "kopiur-localkube"}, {"version", "v1.32.0"}}},
              {"paths", paths},
              {"components", {{"schemas", json::object()}}}};
}

http::Response openapi(const LocalStore& store, const std::vector<std::string>& seg) {
  if (seg.size() == 2) return json_response(200, openapi_index(store));
  std::string gv;
  for (std::size_t i = 2; i < seg.size(); ++i) gv += (i == 2 ? "" : "/") + seg[i];
  if (auto doc = openapi_group_version(store, gv)) return json_response(200, *doc);
  return error_response(api_err(404, "NotFound", "no OpenAPI document for " + gv));
}

std::optional<http::Response> api_group(const LocalStore& store, const std::string& name) {
  for (const auto& g : group_list(store)["groups"]) {
    if (g["name"] == name) {
      json body = g;
      body["kind"] = "APIGroup";
      body["apiVersion"] = "v1";
      return json_response(200, body);
    }
  }
  return error_response(not_found());
}

}  // namespace

std::optional<http::Response> discovery(const Context& ctx, const ApiRequest& req) {
  const auto& seg = req.segments();
  if (req.path() == "/version") {
    return json_response(200, {{"major", "1"},
                               {"minor", "32"},
                               {"gitVersion", "v1.32.0-kopiur-localkube"},
                               {"platform", "linux/amd64"}});
  }
  if (req.path() == "/healthz" || req.path() == "/readyz" || req.path() == "/livez") {
    http::Response ok;
    ok.body = "ok";
    return ok;
  }
  if (req.method() != "GET") return std::nullopt;
  if (seg.size() >= 2 && seg[0] == "openapi" && seg[1] == "v3") return openapi(ctx.store, seg);
  if (seg.size() == 1 && seg[0] == "api") {
    return json_response(
        200, {{"kind", "APIVersions"},
              {"versions", {"v1"}},
              {"serverAddressByClientCIDRs",
               {{{"clientCIDR", "0.0.0.0/0"},
                 {"serverAddress", ctx.options.host + ":" + std::to_string(ctx.port)}}}}});
  }
  if (seg.size() == 2 && seg[0] == "api" && seg[1] == "v1") {
    return json_response(200, resource_list(ctx.store, "", "v1"));
  }
  if (seg.size() == 1 && seg[0] == "apis") return json_response(200, group_list(ctx.store));
  if (seg.size() == 2 && seg[0] == "apis") return api_group(ctx.store, seg[1]);
  if (seg.size() == 3 && seg[0] == "apis") {
    auto list = resource_list(ctx.store, seg[1], seg[2]);
    if (list["resources"].empty()) return error_response(not_found());
    return json_response(200, list);
  }
  return std::nullopt;
}

}  // namespace kopiur::localkube::detail
