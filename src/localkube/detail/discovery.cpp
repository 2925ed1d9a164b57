#include "localkube/detail/discovery.hpp"

#include <map>
#include <string>

#include "localkube/detail/openapi.hpp"

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

std::optional<http::Response> api_group(const LocalStore& store, const std::string& name) {
  // Held in a local: a range-for over a member of the temporary list would read freed memory.
  const json list = group_list(store);
  for (const auto& g : list["groups"]) {
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
  if (seg.size() >= 2 && seg[0] == "openapi" && seg[1] == "v3") return openapi_v3(ctx.store, seg);
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
