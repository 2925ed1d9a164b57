#include "kopiur/kube/reflector.hpp"

namespace kopiur::kube {
namespace detail {

struct StoreState {
  mutable std::mutex mu;
  mutable std::condition_variable changed;
  Snapshot live;  // written by the one Writer, read by Stores, both under mu
  // The last snapshot() handed out, while live has not changed since; reset by every change.
  mutable std::shared_ptr<const Snapshot> published;
  bool ready = false;
};

}  // namespace detail

std::string object_key(const nlohmann::json& object) {
  const auto meta = object.value("metadata", nlohmann::json::object());
  const auto ns = meta.value("namespace", "");
  const auto name = meta.value("name", "");
  return ns.empty() ? name : ns + "/" + name;
}

std::shared_ptr<const Snapshot> Store::snapshot() const {
  std::lock_guard lock(state_->mu);
  if (!state_->published) state_->published = std::make_shared<const Snapshot>(state_->live);
  return state_->published;
}

std::shared_ptr<const nlohmann::json> Store::find(const std::string& ns,
                                                  const std::string& name) const {
  const std::string key = ns.empty() ? name : ns + "/" + name;
  std::lock_guard lock(state_->mu);
  const auto it = state_->live.find(key);
  return it == state_->live.end() ? nullptr : it->second;
}

std::optional<nlohmann::json> Store::get(const std::string& ns, const std::string& name) const {
  const auto object = find(ns, name);
  if (!object) return std::nullopt;
  return *object;
}

std::vector<nlohmann::json> Store::list() const {
  const auto shared = objects();  // the pointers under the lock, the copies outside it
  std::vector<nlohmann::json> out;
  out.reserve(shared.size());
  for (const auto& object : shared) out.push_back(*object);
  return out;
}

std::vector<std::shared_ptr<const nlohmann::json>> Store::objects() const {
  std::vector<std::shared_ptr<const nlohmann::json>> out;
  std::lock_guard lock(state_->mu);
  out.reserve(state_->live.size());
  for (const auto& [key, object] : state_->live) out.push_back(object);
  return out;
}

std::size_t Store::size() const {
  std::lock_guard lock(state_->mu);
  return state_->live.size();
}

bool Store::ready() const {
  std::lock_guard lock(state_->mu);
  return state_->ready;
}

bool Store::wait_until_ready(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(state_->mu);
  return state_->changed.wait_for(lock, timeout, [&] { return state_->ready; });
}

bool Store::wait_for(const std::function<bool(const Snapshot&)>& pred,
                     std::chrono::milliseconds timeout) const {
  std::unique_lock lock(state_->mu);
  return state_->changed.wait_for(lock, timeout, [&] { return pred(state_->live); });
}

Writer::Writer() : state_(std::make_shared<detail::StoreState>()) {}

Store Writer::store() const { return Store(state_); }

void Writer::apply(const WatcherEvent& event) {
  // Built outside the lock: the objects (shared from here on) and, on a re-list, the new map.
  // What is replaced is freed outside it too.
  Snapshot replaced;
  std::shared_ptr<const nlohmann::json> object;
  std::string key;
  if (event.type == WatcherEvent::Type::kRestarted) {
    for (const auto& o : event.objects) {
      replaced.insert_or_assign(object_key(o), std::make_shared<const nlohmann::json>(o));
    }
  } else {
    key = object_key(event.object);
    if (event.type == WatcherEvent::Type::kApplied) {
      object = std::make_shared<const nlohmann::json>(event.object);
    }
  }
  std::shared_ptr<const Snapshot> unpublished;
  {
    std::lock_guard lock(state_->mu);
    switch (event.type) {
      case WatcherEvent::Type::kRestarted:
        state_->live.swap(replaced);
        state_->ready = true;
        break;
      case WatcherEvent::Type::kApplied: {
        auto slot = state_->live.try_emplace(key).first;
        slot->second.swap(object);  // the replaced version is released after the lock
        break;
      }
      case WatcherEvent::Type::kDeleted: {
        if (const auto it = state_->live.find(key); it != state_->live.end()) {
          object = std::move(it->second);  // released after the lock
          state_->live.erase(it);
        }
        break;
      }
    }
    unpublished = std::move(state_->published);
  }
  state_->changed.notify_all();
}

Reflector::Reflector(Client client, ResourceId resource, WatcherOptions options,
                     Watcher::ErrorHandler on_error)
    : watcher_(
          std::move(client), std::move(resource), std::move(options),
          [this](WatcherEvent&& event) {
            writer_.apply(event);
            std::lock_guard lock(on_change_mu_);
            if (on_change_) on_change_(event);
          },
          std::move(on_error)) {}

void Reflector::set_on_change(std::function<void(const WatcherEvent&)> on_change) {
  std::lock_guard lock(on_change_mu_);
  on_change_ = std::move(on_change);
}

}  // namespace kopiur::kube
