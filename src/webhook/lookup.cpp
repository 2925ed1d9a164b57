// Object lookups for reference checks: fixed objects, or watch-fed caches.
#include "kopiur/webhook/lookup.hpp"

namespace kopiur::webhook {
namespace {

std::string map_key(std::string_view kind, const std::string& ns, const std::string& name) {
  return std::string(kind) + "/" + ns + "/" + name;
}

}  // namespace

void MapLookup::add(const nlohmann::json& object) {
  const auto meta = object.value("metadata", nlohmann::json::object());
  objects_[map_key(object.value("kind", ""), meta.value("namespace", ""), meta.value("name", ""))] =
      object;
}

std::optional<nlohmann::json> MapLookup::get(std::string_view kind, const std::string& ns,
                                             const std::string& name) const {
  const auto it = objects_.find(map_key(kind, ns, name));
  if (it == objects_.end()) return std::nullopt;
  return it->second;
}

std::vector<nlohmann::json> MapLookup::list(std::string_view kind) const {
  std::vector<nlohmann::json> out;
  const std::string prefix = std::string(kind) + "/";
  for (auto it = objects_.lower_bound(prefix); it != objects_.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    out.push_back(it->second);
  }
  return out;
}

CacheLookup::CacheLookup(const kube::Client& client, kube::Watcher::ErrorHandler on_error) {
  for (const auto& kind : referenced_kinds()) {
    reflectors_[kind] = std::make_unique<kube::Reflector>(client, kube::resource_for(kind),
                                                          kube::WatcherOptions{}, on_error);
  }
}

CacheLookup::~CacheLookup() { stop(); }

void CacheLookup::start() {
  for (auto& [kind, reflector] : reflectors_) reflector->start();
}

void CacheLookup::stop() {
  for (auto& [kind, reflector] : reflectors_) reflector->stop();
}

bool CacheLookup::ready() const {
  for (const auto& [kind, reflector] : reflectors_) {
    if (!reflector->store().ready()) return false;
  }
  return true;
}

std::optional<nlohmann::json> CacheLookup::get(std::string_view kind, const std::string& ns,
                                               const std::string& name) const {
  const auto it = reflectors_.find(kind);
  if (it == reflectors_.end()) return std::nullopt;
  return it->second->store().get(ns, name);
}

std::vector<nlohmann::json> CacheLookup::list(std::string_view kind) const {
  const auto it = reflectors_.find(kind);
  if (it == reflectors_.end()) return {};
  return it->second->store().list();
}

}  // namespace kopiur::webhook
