// One Event resource served under two APIs, as a real API server keeps it: events.k8s.io/v1
// Events are stored as core/v1 Events and converted on the way in and out (regarding ↔
// involvedObject, note ↔ message, reportingController ↔ reportingComponent, the deprecated*
// fields ↔ source, firstTimestamp, lastTimestamp, count). So what an events.k8s.io recorder writes
// shows in `kubectl get events`, `kubectl events` and `kubectl describe`, and the other way round.
#pragma once

#include "kopiur/support/json.hpp"

namespace kopiur::localkube::detail {

struct ResourceType;

// Whether `rt` is events.k8s.io's Event, which is served from the core/v1 Event store.
bool is_events_v1(const ResourceType& rt);

// The stored (core/v1) form of an events.k8s.io/v1 Event, and the reverse.
nlohmann::json core_event_from_v1(nlohmann::json event);
nlohmann::json v1_event_from_core(nlohmann::json event);

}  // namespace kopiur::localkube::detail
