#include "localkube/detail/event_views.hpp"

#include <array>
#include <utility>

#include "localkube/detail/local_store.hpp"

namespace kopiur::localkube::detail {
namespace {

using nlohmann::json;

// events.k8s.io/v1 name, core/v1 name (k8s.io/kubernetes pkg/apis/events/v1 conversion).
constexpr std::array<std::pair<const char*, const char*>, 7> kEventFieldPairs = {{
    {"regarding", "involvedObject"},
    {"note", "message"},
    {"reportingController", "reportingComponent"},
    {"deprecatedSource", "source"},
    {"deprecatedFirstTimestamp", "firstTimestamp"},
    {"deprecatedLastTimestamp", "lastTimestamp"},
    {"deprecatedCount", "count"},
}};

json renamed_event(json event, bool to_core) {
  if (!event.is_object()) return event;
  json out = json::object();
  for (auto& [key, value] : event.items()) {
    std::string name = key;
    for (const auto& [v1, core] : kEventFieldPairs) {
      if (key == (to_core ? v1 : core)) name = to_core ? core : v1;
    }
    out[name] = std::move(value);
  }
  out["apiVersion"] = to_core ? "v1" : "events.k8s.io/v1";
  out["kind"] = "Event";
  return out;
}

}  // namespace

bool is_events_v1(const ResourceType& rt) {
  return rt.group == "events.k8s.io" && rt.kind == "Event";
}

json core_event_from_v1(json event) { return renamed_event(std::move(event), true); }

json v1_event_from_core(json event) { return renamed_event(std::move(event), false); }

}  // namespace kopiur::localkube::detail
