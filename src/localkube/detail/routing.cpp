#include "localkube/detail/routing.hpp"

#include <exception>

#include "localkube/detail/discovery.hpp"
#include "localkube/detail/event_views.hpp"
#include "localkube/detail/handlers.hpp"

namespace kopiur::localkube::detail {
namespace {

http::Response dispatch(Context& ctx, const ApiRequest& req) {
  if (auto answer = discovery(ctx, req)) return std::move(*answer);
  auto target = resolve(ctx.store, req.segments());
  if (!target.ok()) return error_response(target.error());
  const auto& t = *target;
  const auto& method = req.method();
  if (t.rt.namespaced && t.ns.empty() && !(method == "GET" && t.name.empty())) {
    return error_response(api_err(404, "NotFound",
                                  "the server could not find the requested resource (" +
                                      t.rt.plural + " are namespaced; use /namespaces/<ns>/" +
                                      t.rt.plural + ")"));
  }
  if (t.sub == "log") {
    if (method != "GET") {
      return error_response(api_err(405, "MethodNotAllowed", "pods/log only supports GET"));
    }
    return logs(ctx, t, req);
  }
  if (method == "GET") return get_or_list(ctx, t, req);
  if (t.name.empty() && method != "POST") {
    return error_response(api_err(
        405, "MethodNotAllowed", method + " on a collection is not supported by the local server"));
  }
  if (method == "POST") {
    if (!t.name.empty()) {
      return error_response(api_err(405, "MethodNotAllowed", "POST must target a collection"));
    }
    return create(ctx, t, req);
  }
  if (method == "PUT") return update(ctx, t, req);
  if (method == "PATCH") return patch(ctx, t, req);
  if (method == "DELETE") return remove(ctx, t, req);
  return error_response(api_err(405, "MethodNotAllowed", "unsupported method " + method));
}

}  // namespace

Result<Target> resolve(const LocalStore& store, const std::vector<std::string>& seg) {
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
    return not_found();
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
    if (!rt) return not_found();
    t.rt = *rt;
  }
  t.served = t.rt;
  if (is_events_v1(t.rt)) {
    if (auto core = store.find("", "v1", "events")) t.rt = *core;
  }
  if (rest.size() > 3) return not_found();
  if (rest.size() >= 2) t.name = rest[1];
  if (rest.size() == 3) t.sub = rest[2];
  const bool pod_log = t.sub == "log" && t.rt.group.empty() && t.rt.kind == "Pod";
  if (!t.sub.empty() && !pod_log && (t.sub != "status" || !t.rt.has_status)) return not_found();
  if (!t.rt.namespaced && !t.ns.empty()) return not_found();
  return t;
}

http::Response serve(Context& ctx, const http::Request& request) {
  try {
    if (ctx.options.fault) {
      if (auto fault = ctx.options.fault(request.method, request.path, request.query)) {
        return error_response(*fault);
      }
    }
    const ApiRequest req(request);
    return dispatch(ctx, req);
  } catch (const std::exception& e) {
    return error_response(
        api_err(500, "InternalError", std::string("internal error: ") + e.what()));
  } catch (...) {
    return error_response(api_err(500, "InternalError", "internal error"));
  }
}

}  // namespace kopiur::localkube::detail
