// File: kopiur/telemetry/resource.hpp
//
// Resource: the ordered key/value attributes identifying the process that emits telemetry
// (service.name, service.version, service.instance.id, k8s.pod.name, ...). The Prometheus reader
// exports them as target_info; the OTLP exporters send them as the OTLP resource. Building one
// from the program's identity and the environment is resource_builder.hpp's job (kopiur's
// conventions), not the metrics SDK's.
//
//   PrometheusReader reader(provider, Resource({{"service.name", "kopiur"}, {"k8s.pod.name", p}}));
//
// Thread-safety: a value; const members may be called from any thread, set() needs exclusive
// access. Cost: get() and set() scan the (short) list.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kopiur::telemetry {

class Resource {
 public:
  using Attributes = std::vector<std::pair<std::string, std::string>>;

  Resource() = default;
  explicit Resource(Attributes attributes) : attributes_(std::move(attributes)) {}

  // In insertion order; keys unique.
  [[nodiscard]] const Attributes& attributes() const noexcept { return attributes_; }
  [[nodiscard]] std::optional<std::string_view> get(std::string_view key) const noexcept {
    for (const auto& [k, v] : attributes_) {
      if (k == key) return std::string_view(v);
    }
    return std::nullopt;
  }
  // Replaces the value of an existing key in place, or appends the pair.
  void set(std::string key, std::string value) {
    for (auto& [k, v] : attributes_) {
      if (k == key) {
        v = std::move(value);
        return;
      }
    }
    attributes_.emplace_back(std::move(key), std::move(value));
  }

 private:
  Attributes attributes_;
};

}  // namespace kopiur::telemetry
