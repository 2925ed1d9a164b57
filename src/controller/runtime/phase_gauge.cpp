#include "kopiur/controller/phase_gauge.hpp"

namespace kopiur::controller {

PhaseGauge::PhaseGauge(telemetry::metrics::Gauge<std::int64_t> gauge, const Clock& clock,
                       std::chrono::milliseconds grace)
    : gauge_(gauge), clock_(clock), grace_(grace) {}

std::string PhaseGauge::key(const std::string& kind, const std::string& ns,
                            const std::string& name) {
  return kind + "/" + ns + "/" + name;
}

void PhaseGauge::set(const std::string& kind, const std::string& ns, const std::string& name,
                     const std::vector<std::string>& phases, const std::string& active) {
  {
    std::lock_guard lock(mu_);
    pending_.erase(key(kind, ns, name));  // recreated within the grace period
  }
  bool active_listed = false;
  for (const auto& phase : phases) {
    const bool is_active = phase == active;
    active_listed = active_listed || is_active;
    gauge_.set(is_active ? 1 : 0,
               {{"kind", kind}, {"namespace", ns}, {"name", name}, {"phase", phase}});
  }
  if (!active.empty() && !active_listed) {
    gauge_.set(1, {{"kind", kind}, {"namespace", ns}, {"name", name}, {"phase", active}});
  }
}

void PhaseGauge::deleted(const std::string& kind, const std::string& ns, const std::string& name) {
  gauge_.zero_matching({{"kind", kind}, {"namespace", ns}, {"name", name}});
  std::lock_guard lock(mu_);
  pending_[key(kind, ns, name)] = Pending{kind, ns, name, clock_.now() + grace_};
}

std::size_t PhaseGauge::sweep() {
  std::vector<Pending> due;
  {
    const auto now = clock_.now();
    std::lock_guard lock(mu_);
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->second.drop_at <= now) {
        due.push_back(std::move(it->second));
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const auto& p : due) {
    (void)gauge_.remove_matching({{"kind", p.kind}, {"namespace", p.ns}, {"name", p.name}});
  }
  return due.size();
}

std::size_t PhaseGauge::pending_drops() const {
  std::lock_guard lock(mu_);
  return pending_.size();
}

}  // namespace kopiur::controller
