#include "localkube/detail/tables.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <string>
#include <utility>

#include "localkube/detail/api.hpp"
#include "localkube/detail/json_access.hpp"

namespace kopiur::localkube::detail {
namespace {

std::string age(const std::string& timestamp) {
  const auto then = parse_rfc3339(timestamp);
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

// STATUS of a Pod as kubectl's printer words it: the phase, or the pod's reason, or what its
// containers wait for or ended with (Completed, Error, CreateContainerConfigError, ...),
// "Terminating" while it is deleted.
std::string pod_status_cell(const json& pod) {
  const auto& status = field::map(pod, "status");
  std::string reason = field::text(status, "phase", "Pending");
  if (!field::text(status, "reason").empty()) reason = field::text(status, "reason");
  const auto& containers = field::list(status, "containerStatuses");
  for (auto it = containers.rbegin(); it != containers.rend(); ++it) {
    const auto& state = field::map(*it, "state");
    const auto& waiting = field::map(state, "waiting");
    const auto& terminated = field::map(state, "terminated");
    if (!field::text(waiting, "reason").empty()) {
      reason = field::text(waiting, "reason");
    } else if (!field::text(terminated, "reason").empty()) {
      reason = field::text(terminated, "reason");
    } else if (!terminated.empty()) {
      const auto signal = field::integer(terminated, "signal", 0);
      reason = signal != 0
                   ? "Signal:" + std::to_string(signal)
                   : "ExitCode:" + std::to_string(field::integer(terminated, "exitCode", 0));
    }
  }
  if (field::map(pod, "metadata").contains("deletionTimestamp")) reason = "Terminating";
  return reason;
}

// The columns kubectl shows for Pods, Jobs and Events that are not plain paths.
json computed_cell(const json& object, const std::string& which) {
  if (which == "@pod-status") return pod_status_cell(object);
  if (which == "@pod-ready" || which == "@pod-restarts") {
    const auto& status = field::map(object, "status");
    std::int64_t ready = 0;
    std::int64_t restarts = 0;
    for (const auto& c : field::list(status, "containerStatuses")) {
      ready += field::flag(c, "ready") ? 1 : 0;
      restarts += field::integer(c, "restartCount", 0);
    }
    if (which == "@pod-restarts") return restarts;
    const auto total = field::list(field::map(object, "spec"), "containers").size();
    return std::to_string(ready) + "/" + std::to_string(total);
  }
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

}  // namespace

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
    if (rt.kind == "Pod" && rt.group.empty()) {
      for (const auto& [name, path] :
           {std::pair{"Ready", "@pod-ready"}, std::pair{"Status", "@pod-status"},
            std::pair{"Restarts", "@pod-restarts"}}) {
        columns.push_back(
            plain_column(name, name == std::string("Restarts") ? "integer" : "string"));
        paths.emplace_back(path, "string");
      }
    } else if (rt.kind == "Namespace" || rt.kind == "PersistentVolumeClaim") {
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

}  // namespace kopiur::localkube::detail
