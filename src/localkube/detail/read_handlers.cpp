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
  auto [objects, rv] = ctx.store.list(t.rt, t.ns);
  std::vector<json> matching;
  for (auto& object : objects) {
    if (labels->matches(object) && fields->matches(object)) matching.push_back(std::move(object));
  }
  if (req.wants_table()) return json_response(200, to_table(t.rt, matching, rv));
  return json_response(200, {{"kind", t.rt.kind + "List"},
                             {"apiVersion", t.rt.api_version()},
                             {"metadata", {{"resourceVersion", std::to_string(rv)}}},
                             {"items", matching}});
}

}  // namespace kopiur::localkube::detail
