// GET of one object and of collections (lists with label and field selectors, or watches).
#include <utility>
#include <vector>

#include "localkube/detail/handlers.hpp"
#include "localkube/detail/tables.hpp"

namespace kopiur::localkube::detail {

http::Response get_or_list(Context& ctx, const Target& t, const ApiRequest& req) {
  if (!t.name.empty()) return reply(ctx, req, t.rt, ctx.store.get(t.rt, t.ns, t.name), 200);
  std::string error;
  auto labels = LabelSelector::parse(req.param("labelSelector"), &error);
  if (!labels) return error_response(api_err(400, "BadRequest", error));
  auto fields = FieldSelector::parse(req.param("fieldSelector"), &error);
  if (!fields) return error_response(api_err(400, "BadRequest", error));
  const auto watch_param = req.param("watch");
  if (watch_param == "true" || watch_param == "1") {
    return watch(ctx, t, req, std::move(*labels), std::move(*fields));
  }
  auto [objects, rv] = ctx.store.list_shared(t.rt, t.ns);
  if (req.wants_table()) {
    std::vector<json> matching;
    for (const auto& stored : objects) {
      const auto& object = *stored.object;
      if (labels->matches(object) && fields->matches(object)) matching.push_back(object);
    }
    return json_response(200, to_table(t.rt, matching, rv));
  }
  // The stored objects' texts joined: a LIST copies and serialises nothing (docs/performance.md).
  std::string body = "{\"apiVersion\":" + to_text(t.rt.api_version()) +
                     ",\"kind\":" + to_text(t.rt.kind + "List") +
                     ",\"metadata\":{\"resourceVersion\":\"" + std::to_string(rv) +
                     "\"},\"items\":[";
  bool first = true;
  for (const auto& stored : objects) {
    if (!labels->matches(*stored.object) || !fields->matches(*stored.object)) continue;
    if (!first) body += ',';
    first = false;
    body += *stored.text;
  }
  body += "]}";
  http::Response response;
  response.status = 200;
  response.content_type = "application/json";
  response.body = std::move(body);
  return response;
}

}  // namespace kopiur::localkube::detail
