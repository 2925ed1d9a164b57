// GET of one object and of collections (lists with label and field selectors, paged with limit
// and continue, or watches).
#include <utility>
#include <vector>

#include "localkube/detail/handlers.hpp"
#include "localkube/detail/list_pages.hpp"
#include "localkube/detail/tables.hpp"

namespace kopiur::localkube::detail {

http::Response get_or_list(Context& ctx, const Target& t, const ApiRequest& req) {
  if (!t.name.empty()) return reply(ctx, req, t, ctx.store.get(t.rt, t.ns, t.name), 200);
  std::string error;
  auto labels = LabelSelector::parse(req.param("labelSelector"), &error);
  if (!labels) return error_response(api_err(400, "BadRequest", error));
  auto fields = FieldSelector::parse(req.param("fieldSelector"), &error);
  if (!fields) return error_response(api_err(400, "BadRequest", error));
  const auto watch_param = req.param("watch");
  if (watch_param == "true" || watch_param == "1") {
    return watch(ctx, t, req, std::move(*labels), std::move(*fields));
  }
  const bool filtered = !req.param("labelSelector").empty() || !req.param("fieldSelector").empty();
  auto page = list_page(
      ctx.store, t, req,
      [&](const json& object) { return labels->matches(object) && fields->matches(object); },
      filtered);
  if (!page.ok()) return error_response(page.error());
  if (!page->expired_next.empty()) return continue_expired_response(*page);
  json meta = {{"resourceVersion", std::to_string(page->resource_version)}};
  if (!page->next.empty()) meta["continue"] = page->next;
  if (page->remaining) meta["remainingItemCount"] = *page->remaining;
  if (req.wants_table()) {
    std::vector<json> items;
    items.reserve(page->items.size());
    for (const auto& stored : page->items) items.push_back(*stored.object);
    auto table = to_table(t.rt, items, page->resource_version);
    table["metadata"] = meta;
    return json_response(200, table);
  }
  if (served_converted(t)) {  // events.k8s.io/v1 Events, stored as core/v1 ones
    json items = json::array();
    for (const auto& stored : page->items) items.push_back(to_served(t, *stored.object));
    return json_response(200, {{"kind", t.served.kind + "List"},
                               {"apiVersion", t.served.api_version()},
                               {"metadata", meta},
                               {"items", std::move(items)}});
  }
  // The stored objects' texts joined: a LIST copies and serialises no object
  // (docs/performance.md).
  std::string body = "{\"apiVersion\":" + to_text(t.served.api_version()) +
                     ",\"kind\":" + to_text(t.served.kind + "List") +
                     ",\"metadata\":" + meta.dump() + ",\"items\":[";
  bool first = true;
  for (const auto& stored : page->items) {
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
