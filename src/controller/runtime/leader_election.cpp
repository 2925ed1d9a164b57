#undef KOPIUR_LOG_TARGET
#define KOPIUR_LOG_TARGET "kopiur_controller::leader"

#include "kopiur/controller/leader_election.hpp"

#include "kopiur/kube/events.hpp"
#include "kopiur/telemetry/log/log.hpp"

namespace kopiur::controller {
namespace {

namespace log = telemetry::log;
using nlohmann::json;

}  // namespace

std::string validate_leader_election(const LeaderElectionOptions& o) {
  if (o.retry_period.count() <= 0) return "--leader-elect-retry-period must be greater than 0";
  if (o.renew_deadline <= o.retry_period) {
    return "--leader-elect-renew-deadline must be greater than --leader-elect-retry-period";
  }
  if (o.lease_duration <= o.renew_deadline) {
    return "--leader-elect-lease-duration must be greater than --leader-elect-renew-deadline";
  }
  if (o.identity.empty()) return "the leader-election identity is empty (set KOPIUR_POD_NAME)";
  return {};
}

LeaderElector::LeaderElector(kube::Client client, LeaderElectionOptions options,
                             std::function<void(bool)> on_change)
    : client_(std::move(client)),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : &steady_),
      on_change_(std::move(on_change)) {}

LeaderElector::~LeaderElector() { stop(); }

void LeaderElector::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { run(); });
}

void LeaderElector::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (leading_.load()) {
    set_leading(false);
    release();
  }
}

void LeaderElector::set_leading(bool leading) {
  if (leading_.exchange(leading) == leading) return;
  if (leading) {
    KOPIUR_INFO("became the leader", log::kv("lease", options_.lease_name),
                log::kv("identity", options_.identity));
  } else {
    KOPIUR_WARN("leadership lost or given up", log::kv("lease", options_.lease_name),
                log::kv("identity", options_.identity));
  }
  if (on_change_) on_change_(leading);
}

void LeaderElector::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    const bool held = try_acquire_or_renew();
    const auto now = clock_->now();
    if (held) {
      last_renew_ = now;
      set_leading(true);
    } else if (leading_.load() && now - last_renew_ >= options_.renew_deadline) {
      set_leading(false);  // could not renew in time: stop before anyone may take over
    }
    lock.lock();
    const auto until = clock_->now() + options_.retry_period;
    while (!stopping_ && clock_->now() < until) {
      wake_.wait_for(lock, clock_->real_wait(until));
    }
  }
}

bool LeaderElector::try_acquire_or_renew() {
  const auto& ns = options_.lease_namespace;
  const auto now_text = kube::micro_time_now();
  const auto seconds = static_cast<std::int64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(options_.lease_duration).count());
  auto current = client_.get(kLeases, ns, options_.lease_name);
  if (!current.ok() && current.error().is_not_found()) {
    const json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                        {"kind", "Lease"},
                        {"metadata", {{"name", options_.lease_name}, {"namespace", ns}}},
                        {"spec",
                         {{"holderIdentity", options_.identity},
                          {"leaseDurationSeconds", std::max<std::int64_t>(seconds, 1)},
                          {"acquireTime", now_text},
                          {"renewTime", now_text},
                          {"leaseTransitions", 0}}}};
    auto created = client_.create(kLeases, ns, lease);
    if (!created.ok() && !created.error().is_conflict()) {
      KOPIUR_WARN("cannot create the Lease", log::kv("error", created.error().to_string()));
    }
    return created.ok();
  }
  if (!current.ok()) {
    KOPIUR_WARN("cannot read the Lease", log::kv("error", current.error().to_string()));
    return false;
  }
  json lease = std::move(*current);
  json spec = lease.value("spec", json::object());
  const std::string holder = spec.value("holderIdentity", "");
  const std::string record = spec.dump();
  const auto now = clock_->now();
  if (record != observed_record_) {
    observed_record_ = record;
    observed_at_ = now;
  }
  if (holder != options_.identity) {
    if (leading_.load()) set_leading(false);  // someone else holds it: stop at once
    if (!holder.empty() && now - observed_at_ < options_.lease_duration) return false;
  }
  if (holder != options_.identity) {
    spec["acquireTime"] = now_text;
    spec["leaseTransitions"] = spec.value("leaseTransitions", 0) + 1;
  }
  spec["holderIdentity"] = options_.identity;
  spec["renewTime"] = now_text;
  spec["leaseDurationSeconds"] = std::max<std::int64_t>(seconds, 1);
  lease["spec"] = spec;
  auto replaced = client_.replace(kLeases, ns, lease);  // CAS on the resourceVersion read above
  if (!replaced.ok()) {
    if (!replaced.error().is_conflict()) {
      KOPIUR_WARN("cannot renew the Lease", log::kv("error", replaced.error().to_string()));
    }
    return false;
  }
  observed_record_ = (*replaced).value("spec", json::object()).dump();
  observed_at_ = now;
  return true;
}

void LeaderElector::release() {
  auto current = client_.get(kLeases, options_.lease_namespace, options_.lease_name);
  if (!current.ok() || (*current)["spec"].value("holderIdentity", "") != options_.identity) return;
  json lease = std::move(*current);
  lease["spec"]["holderIdentity"] = "";
  lease["spec"]["leaseDurationSeconds"] = 1;
  if (auto released = client_.replace(kLeases, options_.lease_namespace, lease); !released.ok()) {
    KOPIUR_WARN("cannot release the Lease", log::kv("error", released.error().to_string()));
  }
}

}  // namespace kopiur::controller
