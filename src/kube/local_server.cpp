// LocalApiServer: HTTP routing, discovery, tables and watch streaming over detail::LocalStore.
#include "kopiur/kube/local_server.hpp"

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <thread>

#include <httplib.h>

#include "kube/detail/job_controller.hpp"
#include "kube/detail/json_access.hpp"
#include "kube/detail/kubelet.hpp"
#include "kube/detail/local_store.hpp"
#include "kube/detail/log_files.hpp"
#include "kube/detail/selector.hpp"
#include "kube/detail/yaml_json.hpp"

namespace kopiur::kube {
namespace {

using detail::LocalStore;
using detail::ResourceType;
using nlohmann::json;

json status_body(const Error& error) {
  json body = {{"kind", "Status"},         {"apiVersion", "v1"},       {"metadata", json::object()},
               {"status", "Failure"},      {"message", error.message}, {"reason", error.reason},
               {"code", error.http_status}};
  if (error.details) {
    json causes = json::array();
    for (const auto& c : error.details->causes) {
      causes.push_back({{"reason", c.reason}, {"message", c.message}, {"field", c.field}});
    }
    body["details"] = {{"name", error.details->name},
                       {"group", error.details->group},
                       {"kind", error.details->kind},
                       {"causes", causes}};
  }
  return body;
}

void send_json(httplib::Response& res, int code, const json& body) {
  res.status = code;
  res.set_content(detail::to_text(body), "application/json");
}

void send_error(httplib::Response& res, const Error& error) {
  send_json(res, error.http_status, status_body(error));
}

Error err(int code, std::string reason, std::string message) {
  return detail::api_error(code, std::move(reason), std::move(message));
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  std::string current;
  for (const char c : path) {
    if (c == '/') {
      if (!current.empty()) out.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) out.push_back(current);
  return out;
}

std::string age(const std::string& timestamp) {
  const auto then = detail::parse_rfc3339(timestamp);
  if (!then) return "<unknown>";
  const long s =
      std::max<long>(0, static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(
                                              std::chrono::system_clock::now() - *then)
                                              .count()));
  if (s < 120) return std::to_string(s) + "s";
  if (s < 3 * 3600) return std::to_string(s / 60) + "m";
  if (s < 48 * 3600) return std::to_string(s / 3600) + "h";
  return std::to_string(s / 86400) + "d";
}

// Evaluates the simple ".a.b.c" JSONPaths CRD printer columns use.
json eval_path(const json& object, const std::string& path) {
  const json* node = &object;
  for (const auto& part : split_path([&] {
         std::string p = path;
         for (auto& c : p) c = c == '.' ? '/' : c;
         return p;
       }())) {
    if (!node->is_object()) return nullptr;
    const auto it = node->find(part);
    if (it == node->end()) return nullptr;
    node = &*it;
  }
  return *node;
}

// The columns kubectl shows for Jobs that are not plain paths.
json computed_cell(const json& object, const std::string& which) {
  namespace field = detail::field;
  if (which == "@event-object") {  // kind/name of what the Event is about, as kubectl prints it
    const auto& involved = field::map(object, "involvedObject");
    std::string kind = field::text(involved, "kind");
    for (auto& c : kind) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return kind + "/" + field::text(involved, "name");
  }
  const auto& status = field::map(object, "status");
  if (which == "@job-completions") {
    const auto& spec = field::map(object, "spec");
    const auto succeeded = std::to_string(field::integer(status, "succeeded", 0));
    if (!spec.contains("completions") || spec["completions"].is_null()) {
      return succeeded + "/1 of " + std::to_string(field::integer(spec, "parallelism", 1));
    }
    return succeeded + "/" + std::to_string(field::integer(spec, "completions", 1));
  }
  for (const char* type : {"Failed", "Complete", "Suspended"}) {
    for (const auto& c : field::list(status, "conditions")) {
      if (field::text(c, "type") == type && field::text(c, "status") == "True") return type;
    }
  }
  return "Running";
}

// A table column without format or description, shown at the default priority.
json plain_column(const char* name, const char* type) {
  return {{"name", name}, {"type", type}, {"format", ""}, {"description", ""}, {"priority", 0}};
}

json to_table(const ResourceType& rt, const std::vector<json>& objects, std::int64_t rv) {
  json columns = json::array({{{"name", "Name"},
                               {"type", "string"},
                               {"format", "name"},
                               {"description", "Name of the object"},
                               {"priority", 0}}});
  std::vector<std::pair<std::string, std::string>> paths;  // jsonPath, type
  if (rt.custom) {
    for (const auto& c : rt.printer_columns) {
      columns.push_back({{"name", c.value("name", "")},
                         {"type", c.value("type", "string")},
                         {"format", ""},
                         {"description", c.value("description", "")},
                         {"priority", c.value("priority", 0)}});
      paths.emplace_back(c.value("jsonPath", ""), c.value("type", "string"));
    }
    if (rt.printer_columns.empty()) {
      columns.push_back(plain_column("Age", "date"));
      paths.emplace_back(".metadata.creationTimestamp", "date");
    }
  } else {
    if (rt.kind == "Namespace" || rt.kind == "Pod" || rt.kind == "PersistentVolumeClaim") {
      columns.push_back(plain_column("Status", "string"));
      paths.emplace_back(".status.phase", "string");
    }
    if (rt.kind == "Event" && rt.group.empty()) {
      for (const auto& [name, path] :
           {std::pair{"Type", ".type"}, std::pair{"Reason", ".reason"},
            std::pair{"Object", "@event-object"}, std::pair{"Count", ".count"},
            std::pair{"Message", ".message"}}) {
        columns.push_back(plain_column(name, "string"));
        paths.emplace_back(path, "string");
      }
    }
    if (rt.kind == "Job") {
      columns.push_back(plain_column("Status", "string"));
      paths.emplace_back("@job-status", "string");
      columns.push_back(plain_column("Completions", "string"));
      paths.emplace_back("@job-completions", "string");
    }
    columns.push_back(plain_column("Age", "string"));
    paths.emplace_back(".metadata.creationTimestamp", "date");
  }
  json rows = json::array();
  for (const auto& object : objects) {
    json cells = json::array({object["metadata"].value("name", "")});
    for (const auto& [path, type] : paths) {
      auto value = path[0] == '@' ? computed_cell(object, path) : eval_path(object, path);
      if (rt.kind == "Pod" && path == ".status.phase" &&
          detail::field::map(object, "metadata").contains("deletionTimestamp")) {
        value = "Terminating";
      }
      if (type == "date") {
        cells.push_back(value.is_string() ? age(value.get<std::string>()) : "<unknown>");
      } else if (value.is_null()) {
        cells.push_back(nullptr);
      } else {
        cells.push_back(value);
      }
    }
    rows.push_back({{"cells", cells},
                    {"object",
                     {{"kind", "PartialObjectMetadata"},
                      {"apiVersion", "meta.k8s.io/v1"},
                      {"metadata", object["metadata"]}}}});
  }
  return {{"kind", "Table"},
          {"apiVersion", "meta.k8s.io/v1"},
          {"metadata", {{"resourceVersion", std::to_string(rv)}}},
          {"columnDefinitions", columns},
          {"rows", rows}};
}

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

struct Target {
  ResourceType rt;
  std::string ns;
  std::string name;
  std::string sub;
};

}  // namespace

struct LocalApiServer::Impl {
  Options options;
  LocalStore store;
  httplib::Server server;
  std::thread thread;
  int port = 0;
  std::atomic<bool> stopped{false};
  std::atomic<bool> listen_returned{false};
  // Workloads (Options::run_jobs): the Job controller and the kubelet, driven by one loop.
  std::string work_dir;
  bool own_work_dir = false;
  std::unique_ptr<detail::LocalJobController> jobs;
  std::unique_ptr<detail::LocalKubelet> kubelet;
  std::thread workloads;

  explicit Impl(Options o)
      : options(std::move(o)), store({options.data_dir, options.watch_history}) {}

  // ---- discovery ----------------------------------------------------------------------------

  json resource_list(const std::string& group, const std::string& version) const {
    json resources = json::array();
    for (const auto& rt : store.resources()) {
      if (rt.group != group || rt.version != version) continue;
      resources.push_back(
          {{"name", rt.plural},
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

  json group_list() const {
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
  json openapi_index() const {
    json paths = json::object();
    for (const auto& rt : store.resources()) {
      const auto gv = rt.group.empty() ? "api/" + rt.version : "apis/" + rt.api_version();
      paths[gv] = {{"serverRelativeURL",
                    "/openapi/v3/" + gv + "?hash=" + std::to_string(store.current_rv())}};
    }
    return {{"paths", paths}};
  }

  std::optional<json> openapi_group_version(const std::string& gv) const {
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

  bool discovery(const std::vector<std::string>& seg, httplib::Response& res) const {
    if (seg.size() >= 2 && seg[0] == "openapi" && seg[1] == "v3") {
      if (seg.size() == 2) {
        send_json(res, 200, openapi_index());
        return true;
      }
      std::string gv;
      for (std::size_t i = 2; i < seg.size(); ++i) gv += (i == 2 ? "" : "/") + seg[i];
      if (auto doc = openapi_group_version(gv)) {
        send_json(res, 200, *doc);
      } else {
        send_error(res, err(404, "NotFound", "no OpenAPI document for " + gv));
      }
      return true;
    }
    if (seg.size() == 1 && seg[0] == "api") {
      send_json(res, 200,
                {{"kind", "APIVersions"},
                 {"versions", {"v1"}},
                 {"serverAddressByClientCIDRs",
                  {{{"clientCIDR", "0.0.0.0/0"},
                    {"serverAddress", options.host + ":" + std::to_string(port)}}}}});
      return true;
    }
    if (seg.size() == 2 && seg[0] == "api" && seg[1] == "v1") {
      send_json(res, 200, resource_list("", "v1"));
      return true;
    }
    if (seg.size() == 1 && seg[0] == "apis") {
      send_json(res, 200, group_list());
      return true;
    }
    if (seg.size() == 2 && seg[0] == "apis") {
      for (const auto& g : group_list()["groups"]) {
        if (g["name"] == seg[1]) {
          json body = g;
          body["kind"] = "APIGroup";
          body["apiVersion"] = "v1";
          send_json(res, 200, body);
          return true;
        }
      }
      send_error(res, err(404, "NotFound", "the server could not find the requested resource"));
      return true;
    }
    if (seg.size() == 3 && seg[0] == "apis") {
      auto list = resource_list(seg[1], seg[2]);
      if (list["resources"].empty()) {
        send_error(res, err(404, "NotFound", "the server could not find the requested resource"));
      } else {
        send_json(res, 200, list);
      }
      return true;
    }
    return false;
  }

  // ---- routing ------------------------------------------------------------------------------

  Result<Target> resolve(const std::vector<std::string>& seg) const {
    const auto not_found = err(404, "NotFound", "the server could not find the requested resource");
    std::string group;
    std::string version;
    std::size_t at = 0;
    if (seg.size() >= 3 && seg[0] == "api") {
      version = seg[1];
      at = 2;
    } else if (seg.size() >= 4 && seg[0] == "apis") {
      group = seg[1];
      version = seg[2];
      at = 3;
    } else {
      return not_found;
    }
    std::vector<std::string> rest(seg.begin() + static_cast<std::ptrdiff_t>(at), seg.end());
    Target t;
    if (rest.size() >= 3 && rest[0] == "namespaces") {
      if (const auto rt = store.find(group, version, rest[2]); rt && rt->namespaced) {
        t.rt = *rt;
        t.ns = rest[1];
        rest.erase(rest.begin(), rest.begin() + 2);
      }
    }
    if (t.rt.plural.empty()) {
      const auto rt = store.find(group, version, rest[0]);
      if (!rt) return not_found;
      t.rt = *rt;
    }
    if (rest.size() > 3) return not_found;
    if (rest.size() >= 2) t.name = rest[1];
    if (rest.size() == 3) t.sub = rest[2];
    const bool pod_log = t.sub == "log" && t.rt.group.empty() && t.rt.kind == "Pod";
    if (!t.sub.empty() && !pod_log && (t.sub != "status" || !t.rt.has_status)) return not_found;
    if (!t.rt.namespaced && !t.ns.empty()) return not_found;
    return t;
  }

  void handle(const std::string& method, const httplib::Request& req, httplib::Response& res) {
    const auto seg = split_path(req.path);
    if (req.path == "/version") {
      send_json(res, 200,
                {{"major", "1"},
                 {"minor", "32"},
                 {"gitVersion", "v1.32.0-kopiur-localkube"},
                 {"platform", "linux/amd64"}});
      return;
    }
    if (req.path == "/healthz" || req.path == "/readyz" || req.path == "/livez") {
      res.set_content("ok", "text/plain");
      return;
    }
    if (method == "GET" && discovery(seg, res)) return;
    auto target = resolve(seg);
    if (!target.ok()) {
      send_error(res, target.error());
      return;
    }
    const auto& t = *target;
    if (t.rt.namespaced && t.ns.empty() && !(method == "GET" && t.name.empty())) {
      send_error(res, err(404, "NotFound",
                          "the server could not find the requested resource (" + t.rt.plural +
                              " are namespaced; use /namespaces/<ns>/" + t.rt.plural + ")"));
      return;
    }
    if (t.sub == "log") {
      if (method != "GET") {
        send_error(res, err(405, "MethodNotAllowed", "pods/log only supports GET"));
        return;
      }
      serve_log(t, req, res);
      return;
    }
    if (method == "GET") {
      if (t.name.empty()) {
        list_or_watch(t, req, res);
        return;
      }
      reply(req, res, t.rt, store.get(t.rt, t.ns, t.name), 200);
      return;
    }
    const auto dry = dry_run_of(req);
    if (!dry.ok()) {
      send_error(res, dry.error());
      return;
    }
    const bool dry_run = *dry;
    if (t.name.empty() && method != "POST") {
      send_error(res, err(405, "MethodNotAllowed",
                          method + " on a collection is not supported by the local server"));
      return;
    }
    if (method == "POST") {
      if (!t.name.empty()) {
        send_error(res, err(405, "MethodNotAllowed", "POST must target a collection"));
        return;
      }
      auto body = typed_body(req, t.rt);
      if (!body.ok()) {
        send_error(res, body.error());
        return;
      }
      reply(req, res, t.rt, store.create(t.rt, t.ns, std::move(*body), dry_run), 201);
      return;
    }
    if (method == "PUT") {
      auto body = typed_body(req, t.rt);
      if (!body.ok()) {
        send_error(res, body.error());
        return;
      }
      reply(req, res, t.rt,
            store.update(t.rt, t.ns, t.name, std::move(*body), !t.sub.empty(), dry_run), 200);
      return;
    }
    if (method == "PATCH") {
      patch(t, req, res, dry_run);
      return;
    }
    if (method == "DELETE") {
      // kubectl sends a delete's dry run in the DeleteOptions body, not as a parameter.
      auto delete_dry = delete_options_dry_run(req);
      if (!delete_dry.ok()) {
        send_error(res, delete_dry.error());
        return;
      }
      reply(req, res, t.rt, store.remove(t.rt, t.ns, t.name, dry_run || *delete_dry), 200);
      return;
    }
    send_error(res, err(405, "MethodNotAllowed", "unsupported method " + method));
  }

  // dryRun=All: the write is checked and answered but not carried out. Any other value is
  // refused, so an unknown dry-run mode can never turn into a real write.
  static Result<bool> dry_run_of(const httplib::Request& req) {
    if (!req.has_param("dryRun")) return false;
    const auto value = req.get_param_value("dryRun");
    if (value == "All") return true;
    return err(400, "BadRequest",
               "dryRun: Unsupported value: \"" + value + "\": supported values: \"All\"");
  }

  static Result<bool> delete_options_dry_run(const httplib::Request& req) {
    if (req.body.empty()) return false;
    const auto body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return err(400, "BadRequest", "the DeleteOptions body is not a JSON object");
    }
    const auto it = body.find("dryRun");
    if (it == body.end() || it->is_null()) return false;
    if (!it->is_array()) return err(400, "BadRequest", "DeleteOptions.dryRun must be a list");
    for (const auto& v : *it) {
      if (v != "All") {
        return err(400, "BadRequest",
                   "dryRun: Unsupported value: " + v.dump() + ": supported values: \"All\"");
      }
    }
    return !it->empty();
  }

  static Result<json> parse_body(const httplib::Request& req) {
    if (req.get_header_value("Content-Type").find("protobuf") != std::string::npos) {
      return err(415, "UnsupportedMediaType",
                 "this local API server reads JSON and YAML, not protobuf; kubectl's typed "
                 "generators (kubectl create job/secret/configmap ...) send protobuf, so write the "
                 "object as YAML (add --dry-run=client -o yaml) and use kubectl apply -f or "
                 "create -f");
    }
    auto body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded()) {
      std::string error;
      auto yaml = detail::parse_yaml(req.body, &error);
      if (!yaml || !yaml->is_object()) {
        return err(400, "BadRequest", "the request body is not a JSON or YAML object");
      }
      body = std::move(*yaml);
    }
    if (!body.is_object()) {
      return err(400, "BadRequest",
                 "the request body must be an object, got " + std::string(body.type_name()));
    }
    // A null metadata field is an unset one, as for a real server (`kubectl create
    // --dry-run=client -o yaml` writes `creationTimestamp: null`).
    if (auto meta = body.find("metadata"); meta != body.end() && meta->is_object()) {
      for (auto it = meta->begin(); it != meta->end();) {
        it = it->is_null() ? meta->erase(it) : std::next(it);
      }
    }
    if (auto shape = detail::check_shape(body); !shape.ok()) return shape.error();
    return body;
  }

  static Status check_type(const ResourceType& rt, const json& body) {
    const auto kind = body.value("kind", "");
    const auto api_version = body.value("apiVersion", "");
    if ((!kind.empty() && kind != rt.kind) ||
        (!api_version.empty() && api_version != rt.api_version())) {
      return err(400, "BadRequest",
                 "the body is " + api_version + " " + kind + " but the URL names " +
                     rt.api_version() + " " + rt.kind);
    }
    return {};
  }

  // The body of a POST, PUT or server-side apply: an object (JSON or YAML) whose kind and
  // apiVersion, when given, are those of the URL's resource.
  static Result<json> typed_body(const httplib::Request& req, const ResourceType& rt) {
    auto body = parse_body(req);
    if (!body.ok()) return body;
    if (auto e = check_type(rt, *body); !e.ok()) return e.error();
    return body;
  }

  void reply(const httplib::Request& req, httplib::Response& res, const ResourceType& rt,
             const Result<json>& result, int code) const {
    if (!result.ok()) {
      send_error(res, result.error());
      return;
    }
    if (req.get_header_value("Accept").find("as=Table") != std::string::npos) {
      send_json(res, 200, to_table(rt, {*result}, store.current_rv()));
      return;
    }
    send_json(res, code, *result);
  }

  void patch(const Target& t, const httplib::Request& req, httplib::Response& res, bool dry_run) {
    const auto type = req.get_header_value("Content-Type");
    const bool status_only = !t.sub.empty();
    std::string yaml_error;
    if (type.rfind("application/apply-patch+yaml", 0) == 0) {
      if (!req.has_param("fieldManager")) {
        send_error(res, err(400, "BadRequest",
                            "PATCH with apply-patch+yaml needs the fieldManager parameter"));
        return;
      }
      auto body = typed_body(req, t.rt);
      if (!body.ok()) {
        send_error(res, body.error());
        return;
      }
      const json applied = *body;
      reply(req, res, t.rt,
            store.patch(
                t.rt, t.ns, t.name,
                [&](const json& current) -> Result<json> {
                  json next = current;
                  next.merge_patch(applied);
                  return next;
                },
                status_only, /*create_if_missing=*/!status_only, dry_run),
            200);
      return;
    }
    auto body = json::parse(req.body, nullptr, false);
    if (body.is_discarded()) {
      send_error(res, err(400, "BadRequest", "the patch body is not valid JSON"));
      return;
    }
    LocalStore::Patcher patcher;
    if (type.rfind("application/merge-patch+json", 0) == 0 ||
        type.rfind("application/strategic-merge-patch+json", 0) == 0) {
      if (type.rfind("application/strategic", 0) == 0 && t.rt.custom) {
        send_error(res, err(415, "UnsupportedMediaType",
                            "the body of the request was in an unknown format - accepted media "
                            "types include: application/json-patch+json, "
                            "application/merge-patch+json, application/apply-patch+yaml"));
        return;
      }
      if (!body.is_object()) {
        send_error(res, err(400, "BadRequest", "a merge patch must be a JSON object"));
        return;
      }
      const json clean = strip_directives(body);
      patcher = [clean](const json& current) -> Result<json> {
        json next = current;
        next.merge_patch(clean);
        return next;
      };
    } else if (type.rfind("application/json-patch+json", 0) == 0) {
      if (!body.is_array()) {
        send_error(res, err(400, "BadRequest", "a JSON patch must be an array of operations"));
        return;
      }
      patcher = [body](const json& current) -> Result<json> {
        try {
          return current.patch(body);
        } catch (const std::exception& e) {
          return err(422, "Invalid", std::string("the JSON patch cannot be applied: ") + e.what());
        }
      };
    } else {
      send_error(res, err(415, "UnsupportedMediaType",
                          "unsupported patch type \"" + type +
                              "\"; use application/merge-patch+json, application/json-patch+json "
                              "or application/apply-patch+yaml"));
      return;
    }
    reply(req, res, t.rt, store.patch(t.rt, t.ns, t.name, patcher, status_only, false, dry_run),
          200);
  }

  void list_or_watch(const Target& t, const httplib::Request& req, httplib::Response& res) {
    std::string error;
    auto labels = detail::LabelSelector::parse(req.get_param_value("labelSelector"), &error);
    if (!labels) {
      send_error(res, err(400, "BadRequest", error));
      return;
    }
    auto fields = detail::FieldSelector::parse(req.get_param_value("fieldSelector"), &error);
    if (!fields) {
      send_error(res, err(400, "BadRequest", error));
      return;
    }
    const auto watch = req.get_param_value("watch");
    if (watch == "true" || watch == "1") {
      start_watch(t, req, res, std::move(*labels), std::move(*fields));
      return;
    }
    auto [objects, rv] = store.list(t.rt, t.ns);
    std::vector<json> matching;
    for (auto& object : objects) {
      if (labels->matches(object) && fields->matches(object)) matching.push_back(std::move(object));
    }
    if (req.get_header_value("Accept").find("as=Table") != std::string::npos) {
      send_json(res, 200, to_table(t.rt, matching, rv));
      return;
    }
    send_json(res, 200,
              {{"kind", t.rt.kind + "List"},
               {"apiVersion", t.rt.api_version()},
               {"metadata", {{"resourceVersion", std::to_string(rv)}}},
               {"items", matching}});
  }

  // ---- workloads ----------------------------------------------------------------------------

  // One level-triggered loop: after any change in the store (or when a timer falls due), the Job
  // controller and then the kubelet look at everything again. Their writes are idempotent, so
  // a pass that changes nothing lets the loop sleep until the next change.
  void workload_loop() {
    while (!stopped && !store.is_shut_down()) {
      const auto rv = store.current_rv();
      auto job_due = std::chrono::system_clock::time_point::max();
      auto pod_due = std::chrono::steady_clock::time_point::max();
      // Both skip a malformed object themselves; this is the last line, so that nothing a user
      // writes can end the server. The next change or tick runs the pass again.
      try {
        job_due = jobs->sync();
      } catch (const std::exception&) {
      }
      try {
        pod_due = kubelet->sync();
      } catch (const std::exception&) {
      }
      const auto now = std::chrono::steady_clock::now();
      auto wake = now + std::chrono::seconds(1);  // also catches time passing (deadlines, TTLs)
      if (job_due != std::chrono::system_clock::time_point::max()) {
        wake = std::min(wake, now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                        job_due - std::chrono::system_clock::now()));
      }
      wake = std::min(wake, pod_due);
      store.wait_for_change(rv, wake);
    }
  }

  void serve_log(const Target& t, const httplib::Request& req, httplib::Response& res) {
    auto pod = store.get(t.rt, t.ns, t.name);
    if (!pod.ok()) {
      send_error(res, pod.error());
      return;
    }
    std::vector<std::string> names;
    for (const auto& c : (*pod)["spec"].value("containers", json::array())) {
      names.push_back(c.value("name", ""));
    }
    std::string container = req.get_param_value("container");
    if (container.empty()) {
      if (names.size() != 1) {
        std::string list;
        for (const auto& n : names) list += (list.empty() ? "" : " ") + n;
        send_error(res, err(400, "BadRequest",
                            "a container name must be specified for pod " + t.name +
                                ", choose one of: [" + list + "]"));
        return;
      }
      container = names[0];
    }
    if (std::find(names.begin(), names.end(), container) == names.end()) {
      send_error(res, err(400, "BadRequest",
                          "container " + container + " is not valid for pod " + t.name));
      return;
    }
    if (req.get_param_value("previous") == "true") {
      send_error(res, err(400, "BadRequest",
                          "previous terminated container \"" + container + "\" in pod \"" + t.name +
                              "\" not found"));
      return;
    }
    if (!kubelet) {
      send_error(res, err(400, "BadRequest",
                          "pods are not run by this server; start kopiur-localkube with "
                          "--run-jobs to run them and keep their logs"));
      return;
    }
    const auto path = kubelet->log_file(*pod, container);
    if (!std::filesystem::exists(path)) {
      std::string reason = "ContainerCreating";
      for (const auto& cs :
           detail::field::list(detail::field::map(*pod, "status"), "containerStatuses")) {
        const auto& waiting = detail::field::map(detail::field::map(cs, "state"), "waiting");
        if (detail::field::text(cs, "name") == container && !waiting.empty()) {
          reason = detail::field::text(waiting, "reason", reason);
        }
      }
      send_error(res, err(400, "BadRequest",
                          "container \"" + container + "\" in pod \"" + t.name +
                              "\" is waiting to start: " + reason));
      return;
    }
    const auto number = [&](const char* name) -> std::optional<long long> {
      if (!req.has_param(name)) return std::nullopt;
      const auto text = req.get_param_value(name);
      char* end = nullptr;
      const long long value = std::strtoll(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || value < 0) return -1;
      return value;
    };
    const auto tail_lines = number("tailLines");
    const auto limit_bytes = number("limitBytes");
    for (const auto& [name, value] :
         {std::pair{"tailLines", tail_lines}, {"limitBytes", limit_bytes}}) {
      if (value && *value < 0) {
        send_error(res,
                   err(400, "BadRequest", std::string(name) + " must be a non-negative integer"));
        return;
      }
    }
    // The file is streamed from the first line wanted, never read whole: logs can be large.
    struct LogCursor {
      std::uint64_t offset = 0;
      std::uint64_t left = std::numeric_limits<std::uint64_t>::max();  // limitBytes
    };
    auto cursor = std::make_shared<LogCursor>();
    if (tail_lines)
      cursor->offset = detail::tail_offset(path, static_cast<std::size_t>(*tail_lines));
    if (limit_bytes) cursor->left = static_cast<std::uint64_t>(*limit_bytes);
    const bool follow = req.get_param_value("follow") == "true";
    const auto uid = detail::field::text(detail::field::map(*pod, "metadata"), "uid");
    res.status = 200;
    res.set_chunked_content_provider("text/plain", [this, path, uid, container, cursor, follow](
                                                       std::size_t, httplib::DataSink& sink) {
      // Whether it still runs is asked before reading, so no output written just before it
      // ended is missed.
      const bool running = follow && kubelet->container_running(uid, container);
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(cursor->left, 64 * 1024));
      const auto chunk = want == 0 ? std::string() : detail::read_range(path, cursor->offset, want);
      if (!chunk.empty()) {
        cursor->offset += chunk.size();
        cursor->left -= chunk.size();
        return sink.write(chunk.data(), chunk.size());
      }
      if (!running || cursor->left == 0 || stopped) {
        sink.done();
        return true;
      }
      if (!sink.is_writable()) return false;
      // The log is a plain file: look again shortly (or sooner when the store changes).
      store.wait_for_change(store.current_rv(),
                            std::chrono::steady_clock::now() + std::chrono::milliseconds(100));
      return true;
    });
  }

  std::string kubelet_kubeconfig() const {
    return (std::filesystem::path(work_dir) / "kubeconfig").string();
  }

  Status start_workloads() {
    work_dir = options.work_dir;
    if (work_dir.empty() && !options.data_dir.empty()) {
      work_dir = (std::filesystem::path(options.data_dir) / "pods").string();
    }
    if (work_dir.empty()) {
      std::string pattern =
          (std::filesystem::temp_directory_path() / "kopiur-localkube-XXXXXX").string();
      if (::mkdtemp(pattern.data()) == nullptr) {
        return Error{"create a work directory for pods", 0, "", std::strerror(errno)};
      }
      work_dir = pattern;
      own_work_dir = true;
    }
    std::error_code ec;
    std::filesystem::create_directories(work_dir, ec);
    if (ec) return Error{"create work directory " + work_dir, 0, "", ec.message()};
    detail::LocalKubelet::Options kubelet_options;
    kubelet_options.work_dir = work_dir;
    kubelet_options.volumes_dir = options.volumes_dir;
    if (kubelet_options.volumes_dir.empty()) {
      const auto base = options.data_dir.empty() ? work_dir : options.data_dir;
      kubelet_options.volumes_dir = (std::filesystem::path(base) / "volumes").string();
    }
    kubelet_options.kubeconfig_path = kubelet_kubeconfig();
    kubelet_options.max_grace = options.max_grace;
    for (const auto& name : options.inherited_env) {
      if (const char* value = std::getenv(name.c_str())) {
        kubelet_options.base_env.push_back(name + "=" + value);
      }
    }
    detail::LocalJobController::Options job_options;
    job_options.backoff_base = options.job_backoff;
    jobs = std::make_unique<detail::LocalJobController>(store, job_options);
    kubelet = std::make_unique<detail::LocalKubelet>(store, kubelet_options);
    return {};
  }

  struct WatchState {
    std::int64_t cursor = 0;
    bool initial_pending = false;
    bool gone = false;
    std::chrono::steady_clock::time_point deadline;
    std::chrono::steady_clock::time_point next_bookmark;
  };

  void start_watch(const Target& t, const httplib::Request& req, httplib::Response& res,
                   detail::LabelSelector labels, detail::FieldSelector fields) {
    auto state = std::make_shared<WatchState>();
    const auto rv_text = req.get_param_value("resourceVersion");
    if (rv_text.empty() || rv_text == "0") {
      state->initial_pending = true;
    } else {
      char* end = nullptr;
      state->cursor = std::strtoll(rv_text.c_str(), &end, 10);
      if (*end != '\0' || state->cursor < 0) {
        send_error(res, err(400, "BadRequest", "invalid resourceVersion \"" + rv_text + "\""));
        return;
      }
      state->gone = !store.events_since(t.rt.key(), state->cursor).has_value();
    }
    long timeout = 1800;
    if (req.has_param("timeoutSeconds")) {
      timeout = std::strtol(req.get_param_value("timeoutSeconds").c_str(), nullptr, 10);
      if (timeout <= 0) timeout = 1800;
    }
    const auto now = std::chrono::steady_clock::now();
    state->deadline = now + std::chrono::seconds(timeout);
    state->next_bookmark = now + options.bookmark_interval;
    const bool bookmarks = req.get_param_value("allowWatchBookmarks") == "true";
    const Target target = t;
    res.status = 200;
    res.set_chunked_content_provider(
        "application/json", [this, state, target, bookmarks, labels = std::move(labels),
                             fields = std::move(fields)](std::size_t, httplib::DataSink& sink) {
          const auto write = [&](const json& event) {
            const auto line = detail::to_text(event) + "\n";
            return sink.write(line.data(), line.size());
          };
          const auto matches = [&](const json& object) {
            const auto& meta = object["metadata"];
            if (!target.ns.empty() && meta.value("namespace", "") != target.ns) return false;
            if (!target.name.empty() && meta.value("name", "") != target.name) return false;
            return labels.matches(object) && fields.matches(object);
          };
          if (state->gone) {
            write({{"type", "ERROR"},
                   {"object", status_body(err(
                                  410, "Expired",
                                  "too old resource version: " + std::to_string(state->cursor)))}});
            sink.done();
            return true;
          }
          if (stopped || store.is_shut_down()) {
            sink.done();
            return true;
          }
          if (state->initial_pending) {
            state->initial_pending = false;
            auto [objects, rv] = store.list(target.rt, target.ns);
            for (const auto& object : objects) {
              if (matches(object) && !write({{"type", "ADDED"}, {"object", object}})) return false;
            }
            state->cursor = rv;
          }
          const auto snapshot_rv = store.current_rv();
          auto events = store.events_since(target.rt.key(), state->cursor);
          if (!events) {
            state->gone = true;  // fell out of the history: the next call sends 410
            return true;
          }
          for (const auto& event : *events) {
            state->cursor = std::max(state->cursor, event.rv);
            if (!matches(event.object)) continue;
            if (!write({{"type", event.type}, {"object", event.object}})) return false;
          }
          state->cursor = std::max(state->cursor, snapshot_rv);
          const auto now2 = std::chrono::steady_clock::now();
          if (bookmarks && now2 >= state->next_bookmark) {
            state->next_bookmark = now2 + options.bookmark_interval;
            if (!write({{"type", "BOOKMARK"},
                        {"object",
                         {{"kind", target.rt.kind},
                          {"apiVersion", target.rt.api_version()},
                          {"metadata", {{"resourceVersion", std::to_string(state->cursor)}}}}}})) {
              return false;
            }
          }
          if (now2 >= state->deadline) {
            sink.done();
            return true;
          }
          if (!sink.is_writable()) return false;
          auto wake = std::min(state->deadline, now2 + std::chrono::milliseconds(500));
          if (bookmarks) wake = std::min(wake, state->next_bookmark);
          store.wait_for_change(state->cursor, wake);
          return true;
        });
  }
};

LocalApiServer::LocalApiServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

LocalApiServer::~LocalApiServer() { stop(); }

Result<std::unique_ptr<LocalApiServer>> LocalApiServer::start(Options options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  if (auto loaded = impl->store.load(); !loaded.ok()) return loaded.error();
  impl->store.enable_admission();
  auto& server = impl->server;
  const auto threads = impl->options.threads;
  // httplib owns and deletes the queue it gets from this factory.
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  auto* raw = impl.get();
  const auto route = [raw](const std::string& method) {
    return [raw, method](const httplib::Request& req, httplib::Response& res) {
      try {
        raw->handle(method, req, res);
      } catch (const std::exception& e) {
        send_error(res, err(500, "InternalError", std::string("internal error: ") + e.what()));
      }
    };
  };
  server.Get(R"(/.*)", route("GET"));
  server.Post(R"(/.*)", route("POST"));
  server.Put(R"(/.*)", route("PUT"));
  server.Patch(R"(/.*)", route("PATCH"));
  server.Delete(R"(/.*)", route("DELETE"));
  server.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        send_error(res, err(500, "InternalError", "internal error"));
      });
  server.set_keep_alive_timeout(2);
  impl->port =
      impl->options.port == 0
          ? server.bind_to_any_port(impl->options.host)
          : (server.bind_to_port(impl->options.host, impl->options.port) ? impl->options.port : -1);
  if (impl->port <= 0) {
    return Error{"bind " + impl->options.host + ":" + std::to_string(impl->options.port), 0, "",
                 "address unavailable (in use, or not a local address)"};
  }
  impl->thread = std::thread([raw] {
    raw->server.listen_after_bind();
    raw->listen_returned = true;
  });
  // httplib's stop() only interrupts a server that is already accepting; wait for that so a
  // start() followed at once by stop() cannot leave the accept thread blocked.
  while (!server.is_running() && !impl->listen_returned) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  auto started = std::unique_ptr<LocalApiServer>(new LocalApiServer(std::move(impl)));
  if (raw->options.run_jobs) {
    if (auto workloads = raw->start_workloads(); !workloads.ok()) return workloads.error();
    if (auto written = started->write_kubeconfig(raw->kubelet_kubeconfig()); !written.ok()) {
      return written.error();
    }
    raw->workloads = std::thread([raw] { raw->workload_loop(); });
  }
  return started;
}

int LocalApiServer::port() const { return impl_->port; }

std::string LocalApiServer::url() const {
  return "http://" + impl_->options.host + ":" + std::to_string(impl_->port);
}

std::string LocalApiServer::kubeconfig() const {
  return "apiVersion: v1\nkind: Config\nclusters:\n- name: kopiur-localkube\n  cluster:\n"
         "    server: " +
         url() +
         "\ncontexts:\n- name: kopiur-localkube\n  context:\n    cluster: kopiur-localkube\n"
         "    user: kopiur-localkube\n    namespace: default\n"
         "current-context: kopiur-localkube\nusers:\n- name: kopiur-localkube\n  user: {}\n";
}

Status LocalApiServer::write_kubeconfig(const std::string& path) const {
  std::ofstream out(path, std::ios::trunc);
  out << kubeconfig();
  out.close();
  if (!out) return Error{"write kubeconfig " + path, 0, "", "cannot write the file"};
  return {};
}

void LocalApiServer::stop() {
  if (impl_->stopped.exchange(true)) return;
  impl_->store.shutdown();
  if (impl_->workloads.joinable()) impl_->workloads.join();
  // Containers get SIGTERM (then SIGKILL after their grace); their final status is still written,
  // so with a data directory the next start shows how they ended.
  if (impl_->kubelet) impl_->kubelet->stop();
  if (impl_->own_work_dir) {
    std::error_code ec;
    std::filesystem::remove_all(impl_->work_dir, ec);
  }
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace kopiur::kube
