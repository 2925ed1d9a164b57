// File: kopiur/kube/events.hpp
//
// EventRecorder: publishes core/v1 Events about objects, the kind `kubectl get events`,
// `kubectl events` and `kubectl describe` read (on a real cluster also visible as
// events.k8s.io/v1). A repeat of the same event (same object, type, reason, action and note) does
// not create a new object: the first Event is patched with the next count and lastTimestamp, as
// client-go's recorder aggregates, so `kubectl describe` shows one line "(x3 over 2m)" instead of
// a flood.
//
// Thread-safety: publish() may be called from any thread (one mutex around the repeat cache).
// Cost: one API call per publish(). The cache keeps the most recent kMaxTracked distinct events.
// Failure: publish() returns the Error of the failed call; an Event deleted by the server's TTL
// is recreated on its next repeat.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>

#include "kopiur/kube/client.hpp"

namespace kopiur::kube {

struct ObjectReference {
  std::string api_version;
  std::string kind;
  std::string namespace_;  // "" for cluster-scoped objects (the Event goes to "default")
  std::string name;
  std::string uid;
  // from(): the reference of an object's JSON.
  static ObjectReference from(const nlohmann::json& object);
};

enum class EventType { kNormal, kWarning };

class EventRecorder {
 public:
  static constexpr std::size_t kMaxTracked = 4096;

  EventRecorder(Client client, std::string reporting_controller, std::string reporting_instance);

  // publish(): reason is CamelCase (e.g. "MaintenanceNotConfigured"), action what was done
  // ("Reconcile"), note a human sentence (at most 1 kB is kept).
  Status publish(const ObjectReference& regarding, EventType type, const std::string& reason,
                 const std::string& action, const std::string& note);

 private:
  struct Tracked {
    std::string namespace_;
    std::string name;
    std::int64_t count = 1;
  };

  Client client_;
  std::string controller_;
  std::string instance_;
  std::mutex mu_;
  std::map<std::string, Tracked> tracked_;
  std::deque<std::string> order_;  // insertion order, for eviction
};

// micro_time_now(): RFC 3339 with microseconds, the MicroTime format Events use.
std::string micro_time_now();
// time_now(): RFC 3339 in seconds, the Time format of firstTimestamp/lastTimestamp.
std::string time_now();

}  // namespace kopiur::kube
