#undef KOPIUR_LOG_TARGET
#define KOPIUR_LOG_TARGET "kopiur_controller::cache"

#include "kopiur/controller/object_cache.hpp"

#include "kopiur/telemetry/log/log.hpp"

namespace kopiur::controller {

namespace log = telemetry::log;

std::string cache_key(const std::string& ns, const std::string& name) {
  return ns.empty() ? name : ns + "/" + name;
}

ObjectCache::ObjectCache(kube::Client client, kube::ResourceId resource,
                         std::vector<std::string> namespaces, std::string label_selector,
                         OnChange on_change)
    : resource_(std::move(resource)) {
  if (namespaces.empty() || !resource_.namespaced) namespaces = {""};
  for (const auto& ns : namespaces) {
    kube::WatcherOptions options;
    options.namespace_ = ns;
    options.label_selector = label_selector;
    // No reconciler reads managedFields (writes are patches, and an update that omits them
    // keeps the server's), and they are about as large as the rest of a Backup.
    options.transform = kube::strip_managed_fields;
    const std::string plural = resource_.plural;
    auto reflector = std::make_unique<kube::Reflector>(
        client, resource_, options, [plural, ns](const kube::Error& error) {
          KOPIUR_WARN("watch failed; retrying with backoff", log::kv("resource", plural),
                      log::kv("namespace", ns), log::kv("error", error.to_string()));
        });
    if (on_change) {
      reflector->set_on_change(
          [on_change, ns](const kube::WatcherEvent& event) { on_change(ns, event); });
    }
    kube::Store store = reflector->store();
    parts_.push_back({ns, std::move(reflector), std::move(store)});
  }
}

ObjectCache::~ObjectCache() { stop(); }

void ObjectCache::start() {
  for (auto& p : parts_) p.reflector->start();
}

void ObjectCache::stop() {
  for (auto& p : parts_) p.reflector->stop();
}

bool ObjectCache::ready() const {
  for (const auto& p : parts_) {
    if (!p.store.ready()) return false;
  }
  return true;
}

std::shared_ptr<const nlohmann::json> ObjectCache::get(const std::string& ns,
                                                       const std::string& name) const {
  for (const auto& p : parts_) {
    if (!p.namespace_.empty() && p.namespace_ != ns) continue;
    if (auto object = p.store.find(resource_.namespaced ? ns : "", name)) return object;
  }
  return nullptr;
}

std::vector<std::shared_ptr<const nlohmann::json>> ObjectCache::list() const {
  std::vector<std::shared_ptr<const nlohmann::json>> out;
  for (const auto& p : parts_) {
    auto objects = p.store.objects();
    if (out.empty()) {
      out = std::move(objects);
    } else {
      out.insert(out.end(), objects.begin(), objects.end());
    }
  }
  return out;
}

std::size_t ObjectCache::size() const {
  std::size_t n = 0;
  for (const auto& p : parts_) n += p.store.size();
  return n;
}

}  // namespace kopiur::controller
