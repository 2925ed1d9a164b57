#include "kopiur/kube/reflector.hpp"

namespace kopiur::kube {
namespace detail {

struct StoreState {
  mutable std::mutex mu;
  mutable std::condition_variable changed;
  std::shared_ptr<const Snapshot> current = std::make_shared<const Snapshot>();
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
  return state_->current;
}

std::optional<nlohmann::json> Store::get(const std::string& ns, const std::string& name) const {
  const auto snap = snapshot();
  const auto it = snap->find(ns.empty() ? name : ns + "/" + name);
  if (it == snap->end()) return std::nullopt;
  return *it->second;
}

std::vector<nlohmann::json> Store::list() const {
  const auto snap = snapshot();
  std::vector<nlohmann::json> out;
  out.reserve(snap->size());
  for (const auto& [key, object] : *snap) out.push_back(*object);
  return out;
}

std::size_t Store::size() const { return snapshot()->size(); }

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
  return state_->changed.wait_for(lock, timeout, [&] { return pred(*state_->current); });
}

Writer::Writer() : state_(std::make_shared<detail::StoreState>()) {}

Store Writer::store() const { return Store(state_); }

void Writer::apply(const WatcherEvent& event) {
  std::shared_ptr<Snapshot> next;
  if (event.type == WatcherEvent::Type::kRestarted) {
    next = std::make_shared<Snapshot>();
    for (const auto& object : event.objects) {
      (*next)[object_key(object)] = std::make_shared<const nlohmann::json>(object);
    }
  } else {
    next = std::make_shared<Snapshot>(*store().snapshot());
    if (event.type == WatcherEvent::Type::kApplied) {
      (*next)[object_key(event.object)] = std::make_shared<const nlohmann::json>(event.object);
    } else {
      next->erase(object_key(event.object));
    }
  }
  {
    std::lock_guard lock(state_->mu);
    state_->current = std::move(next);
    if (event.type == WatcherEvent::Type::kRestarted) state_->ready = true;
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
