#include "localkube/detail/kubelet.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <signal.h>

#include "kopiur/process/process.hpp"

#include "kube/detail/base64.hpp"
#include "localkube/detail/json_access.hpp"
#include "localkube/detail/log_files.hpp"
#include "localkube/detail/managed_fields.hpp"
#include "localkube/detail/pod_env.hpp"
#include "localkube/detail/pod_volumes.hpp"

namespace kopiur::localkube::detail {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr std::size_t kMaxMessageBytes = 4096;  // the kubelet's cap per container
constexpr std::size_t kFallbackLines = 80;      // FallbackToLogsOnError: the log's last lines...
constexpr std::size_t kFallbackBytes = 2048;    // ...at most this many bytes

// The FallbackToLogsOnError message: the log's last 80 lines, at most 2048 bytes. Only the end
// of the file is read, however large the log is.
std::string log_tail(const std::string& path) {
  std::error_code ec;
  const std::uint64_t size = fs::file_size(path, ec);
  if (ec) return {};
  const auto start = size > kFallbackBytes ? size - kFallbackBytes : 0;
  const auto text = read_range(path, start, kFallbackBytes);
  return text.substr(tail_start(text, kFallbackLines));
}

json condition(const char* type, bool ok, const std::string& time, const char* reason = nullptr) {
  json c = {{"type", type},
            {"status", ok ? "True" : "False"},
            {"lastProbeTime", nullptr},
            {"lastTransitionTime", time}};
  if (reason != nullptr) c["reason"] = reason;
  return c;
}

constexpr std::int64_t kMaxGraceSeconds = 24 * 3600;

std::optional<std::map<std::string, std::string>> decoded_data(const json& object,
                                                               bool base64_values) {
  std::map<std::string, std::string> out;
  for (const char* section : {"data", "stringData"}) {
    for (const auto& [key, value] : field::map(object, section).items()) {
      if (!value.is_string()) continue;
      const auto text = value.get<std::string>();
      if (base64_values && std::string(section) == "data") {
        out[key] = kube::detail::base64_decode(text).value_or(std::string{});
      } else {
        out[key] = text;
      }
    }
  }
  return out;
}

// Where a container's terminationMessagePath is on this machine: inside the volume mounted over
// it, else the path itself (a container here sees the host's files).
std::string declared_message_host_path(const std::string& path,
                                       const std::vector<LocalMount>& mounts) {
  for (const auto& m : mounts) {
    if (path == m.mount_path) return m.host_path;
    if (path.rfind(m.mount_path + "/", 0) == 0) {
      return m.host_path + path.substr(m.mount_path.size());
    }
  }
  return path;
}

// What the container wrote at its declared terminationMessagePath during this run ("" when the
// file is absent, unchanged since the start, or not a regular file).
std::string declared_message(const std::string& path,
                             const std::optional<fs::file_time_type>& before) {
  std::error_code ec;
  const auto mtime = fs::last_write_time(path, ec);
  if (ec || (before && *before == mtime) || !fs::is_regular_file(path, ec)) return {};
  return read_range(path, 0, kMaxMessageBytes);
}

}  // namespace

struct LocalKubelet::ContainerRun {
  std::string name;
  std::string image;
  std::string log_path;
  std::string message_path;
  // The container's terminationMessagePath on this machine, and its modification time when the
  // container started (nullopt: absent), so only a message written by this run is read.
  std::string declared_message_path;
  std::optional<fs::file_time_type> declared_before;
  std::string message_policy;
  std::unique_ptr<process::Process> process;
  std::string container_id;
  std::string started_at;
  bool finished = false;
  std::string finished_at;
  int exit_code = 0;
  int signal = 0;
  std::string reason;
  std::string message;
};

struct LocalKubelet::PodRun {
  std::string ns;
  std::string name;
  std::string uid;
  std::string dir;
  std::string start_time;
  std::chrono::milliseconds grace{0};
  std::vector<ContainerRun> containers;
  std::vector<std::thread> waiters;
  bool terminating = false;
  bool deleted = false;  // gone from the store: nothing to write any more
  bool killed = false;
  std::chrono::steady_clock::time_point kill_at;

  bool done() const {
    return std::all_of(containers.begin(), containers.end(),
                       [](const ContainerRun& c) { return c.finished; });
  }
};

LocalKubelet::LocalKubelet(LocalStore& store, Options options)
    : store_(store), options_(std::move(options)) {
  pods_ = store_.find("", "v1", "pods").value();
  std::error_code ec;
  fs::create_directories(options_.work_dir, ec);
}

LocalKubelet::~LocalKubelet() { stop(); }

std::string LocalKubelet::pod_dir(const json& pod) const {
  const auto& meta = field::map(pod, "metadata");
  return (fs::path(options_.work_dir) /
          (field::text(meta, "namespace") + "_" + field::text(meta, "name") + "_" +
           field::text(meta, "uid")))
      .string();
}

std::string LocalKubelet::log_file(const json& pod, const std::string& container) const {
  return (fs::path(pod_dir(pod)) / (container + ".log")).string();
}

bool LocalKubelet::container_running(const std::string& pod_uid,
                                     const std::string& container) const {
  std::lock_guard lock(mu_);
  const auto it = runs_.find(pod_uid);
  if (it == runs_.end()) return false;
  for (const auto& c : it->second->containers) {
    if (c.name == container) return !c.finished;
  }
  return false;
}

void LocalKubelet::write_status(const json& pod, const json& status) {
  // Recorded in managedFields as a node's kubelet is.
  (void)store_.change_same(pods_, pod,
                           tracked_change(pods_, "kubelet", /*status_only=*/true,
                                          [&](json& current) { current["status"] = status; }),
                           /*status_only=*/true);
}

void LocalKubelet::write_status_locked(const PodRun& run) {
  if (run.deleted) return;
  const bool all_done = run.done();
  bool all_ok = true;
  json statuses = json::array();
  for (const auto& c : run.containers) {
    json state;
    if (c.finished) {
      json terminated = {{"exitCode", c.exit_code},
                         {"reason", c.reason},
                         {"startedAt", c.started_at.empty() ? nullptr : json(c.started_at)},
                         {"finishedAt", c.finished_at}};
      if (c.signal != 0) terminated["signal"] = c.signal;
      if (!c.message.empty()) terminated["message"] = c.message;
      if (!c.container_id.empty()) terminated["containerID"] = c.container_id;
      state = {{"terminated", terminated}};
      all_ok = all_ok && c.exit_code == 0;
    } else {
      state = {{"running", {{"startedAt", c.started_at}}}};
    }
    json status = {{"name", c.name},         {"image", c.image},
                   {"imageID", ""},          {"ready", !c.finished && !run.terminating},
                   {"started", !c.finished}, {"restartCount", 0},
                   {"state", state},         {"lastState", json::object()}};
    if (!c.container_id.empty()) status["containerID"] = c.container_id;
    statuses.push_back(status);
  }
  const bool ready =
      !run.terminating && std::none_of(run.containers.begin(), run.containers.end(),
                                       [](const ContainerRun& c) { return c.finished; });
  const char* not_ready_reason = all_done ? "PodCompleted" : "ContainersNotReady";
  json status = {
      {"phase", all_done ? (all_ok ? "Succeeded" : "Failed") : "Running"},
      {"conditions",
       {condition("PodReadyToStartContainers", !all_done, run.start_time),
        condition("Initialized", true, run.start_time, all_done ? "PodCompleted" : nullptr),
        condition("Ready", ready, run.start_time, ready ? nullptr : not_ready_reason),
        condition("ContainersReady", ready, run.start_time, ready ? nullptr : not_ready_reason),
        condition("PodScheduled", true, run.start_time)}},
      {"hostIP", "127.0.0.1"},
      {"hostIPs", {{{"ip", "127.0.0.1"}}}},
      {"podIP", "127.0.0.1"},
      {"podIPs", {{{"ip", "127.0.0.1"}}}},
      {"startTime", run.start_time},
      {"containerStatuses", statuses},
      {"qosClass", "BestEffort"}};
  write_status({{"metadata", {{"namespace", run.ns}, {"name", run.name}, {"uid", run.uid}}}},
               status);
}

// A pod this kubelet cannot run at all (a malformed spec that slipped past admission): it fails
// with the reason, instead of stopping the loop that runs every other pod.
void LocalKubelet::fail_pod(const json& pod, const std::string& message) {
  json status = field::map(pod, "status");
  status["phase"] = "Failed";
  status["reason"] = "InvalidPodSpec";
  status["message"] = "kopiur-localkube cannot run this pod: " + message;
  write_status(pod, status);
}

struct LocalKubelet::ContainerPlan {
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::string working_dir;
  std::string start_error;
};

void LocalKubelet::mark_waiting(const json& pod, const std::string& container,
                                const std::string& image, const char* reason,
                                const std::string& message) {
  json status = field::map(pod, "status");
  status["phase"] = "Pending";
  status["containerStatuses"] = {
      {{"name", container},
       {"image", image},
       {"imageID", ""},
       {"ready", false},
       {"started", false},
       {"restartCount", 0},
       {"state", {{"waiting", {{"reason", reason}, {"message", message}}}}}}};
  write_status(pod, status);
}

std::unique_ptr<LocalKubelet::PodRun> LocalKubelet::new_run(const json& pod) const {
  const auto& meta = field::map(pod, "metadata");
  auto run = std::make_unique<PodRun>();
  run->ns = field::text(meta, "namespace");
  run->name = field::text(meta, "name");
  run->uid = field::text(meta, "uid");
  run->dir = pod_dir(pod);
  run->start_time = now_rfc3339();
  const auto grace = std::clamp<std::int64_t>(
      field::integer(field::map(pod, "spec"), "terminationGracePeriodSeconds", 30), 0,
      kMaxGraceSeconds);
  run->grace = std::min<std::chrono::milliseconds>(options_.max_grace, std::chrono::seconds(grace));
  return run;
}

void LocalKubelet::start_pod(const json& pod) {
  auto run = new_run(pod);
  std::vector<ContainerPlan> plans;
  if (!plan_containers(pod, *run, plans)) return;
  std::error_code ec;
  fs::create_directories(run->dir, ec);
  std::lock_guard lock(mu_);
  launch_locked(*run, plans);
  auto* raw = run.get();
  write_status_locked(*raw);
  for (std::size_t i = 0; i < raw->containers.size(); ++i) {
    if (raw->containers[i].process) {
      raw->waiters.emplace_back([this, raw, i] { await_container(raw, i); });
    }
  }
  runs_[raw->uid] = std::move(run);
}

// Everything is resolved first: a missing Secret leaves the pod Pending (retried on the next
// sync, as the kubelet does) instead of starting half of its containers.
bool LocalKubelet::plan_containers(const json& pod, PodRun& run,
                                   std::vector<ContainerPlan>& plans) {
  const auto& spec = field::map(pod, "spec");
  const ConfigLookup lookup =
      [&](const std::string& kind,
          const std::string& name) -> std::optional<std::map<std::string, std::string>> {
    const auto rt = store_.find("", "v1", kind == "Secret" ? "secrets" : "configmaps");
    if (!rt) return std::nullopt;
    auto object = store_.get(*rt, run.ns, name);
    if (!object.ok()) return std::nullopt;
    return decoded_data(*object, kind == "Secret");
  };
  for (const auto& container : field::list(spec, "containers")) {
    const auto name = field::text(container, "name");
    const auto image = field::text(container, "image");
    auto env = container_env(pod, container, lookup);
    if (!env.ok()) {
      mark_waiting(pod, name, image, "CreateContainerConfigError", env.error().message);
      return false;
    }
    auto mounts = container_mounts(pod, container, run.dir, options_.volumes_dir, lookup);
    if (mounts.error && mounts.error->unsupported) {
      fail_pod(pod, mounts.error->message);
      return false;
    }
    if (mounts.error) {
      mark_waiting(pod, name, image, "ContainerCreating", mounts.error->message);
      return false;
    }
    ContainerRun c;
    plans.push_back(plan_container(container, *env, mounts.mounts, run, c));
    run.containers.push_back(std::move(c));
  }
  if (plans.empty()) {
    fail_pod(pod, "it has no containers");
    return false;
  }
  if (!field::list(spec, "initContainers").empty()) {
    for (auto& plan : plans)
      plan.start_error = "init containers are not supported by kopiur-localkube";
  }
  return true;
}

LocalKubelet::ContainerPlan LocalKubelet::plan_container(const json& container, const EnvList& env,
                                                         const std::vector<LocalMount>& mounts,
                                                         const PodRun& run, ContainerRun& c) const {
  ContainerPlan plan;
  c.name = field::text(container, "name");
  c.image = field::text(container, "image");
  c.log_path = (fs::path(run.dir) / (c.name + ".log")).string();
  c.message_path = (fs::path(run.dir) / (c.name + ".termination-log")).string();
  c.declared_message_path = declared_message_host_path(
      field::text(container, "terminationMessagePath", "/dev/termination-log"), mounts);
  c.message_policy = field::text(container, "terminationMessagePolicy", "File");
  plan.env = options_.base_env;
  plan.env.push_back("HOSTNAME=" + run.name);
  if (!options_.kubeconfig_path.empty())
    plan.env.push_back("KUBECONFIG=" + options_.kubeconfig_path);
  std::map<std::string, std::string> defined;
  for (const auto& [k, v] : env) {
    plan.env.push_back(k + "=" + v);
    defined[k] = v;
  }
  plan.env.push_back("KOPIUR_TERMINATION_MESSAGE_PATH=" + c.message_path);
  if (!mounts.empty()) plan.env.push_back("KOPIUR_LOCAL_MOUNTS=" + local_mounts_env(mounts));
  for (const char* list : {"command", "args"}) {
    for (const auto& item : field::list(container, list)) {
      if (item.is_string())
        plan.argv.push_back(expand_references(item.get<std::string>(), defined));
    }
  }
  if (field::list(container, "command").empty()) {
    plan.start_error = "container \"" + c.name +
                       "\" has no command: images are not run here, so the pod spec must name "
                       "the program in command";
  }
  plan.working_dir = field::text(container, "workingDir");
  std::error_code ec;
  if (!plan.working_dir.empty() && !fs::is_directory(plan.working_dir, ec)) {
    plan.working_dir.clear();  // the image's directory does not exist here: use the pod's
  }
  if (plan.working_dir.empty()) plan.working_dir = run.dir;
  return plan;
}

void LocalKubelet::launch_locked(PodRun& run, std::vector<ContainerPlan>& plans) {
  for (std::size_t i = 0; i < plans.size(); ++i) {
    auto& c = run.containers[i];
    auto& plan = plans[i];
    c.started_at = now_rfc3339();
    { std::ofstream(c.message_path, std::ios::trunc); }
    std::error_code ec;
    if (const auto mtime = fs::last_write_time(c.declared_message_path, ec); !ec) {
      c.declared_before = mtime;
    }
    process::UniqueFd log(
        ::open(c.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (plan.start_error.empty() && !log.valid()) {
      plan.start_error = "cannot open the log file " + c.log_path;
    }
    if (plan.start_error.empty()) {
      process::SpawnOptions spawn;
      spawn.argv = plan.argv;
      spawn.env = plan.env;
      spawn.working_dir = plan.working_dir;
      spawn.stdout_to = process::Redirect::to_fd(log.get());
      spawn.stderr_to = process::Redirect::to_fd(log.get());
      spawn.kill_group_on_exit = true;  // a container's processes end with it
      auto started = process::Process::spawn(spawn);
      if (started.process) {
        c.process = std::move(started.process);
        const auto pid = c.process->pid();
        // The start time makes the id unique across pid reuse (see recover_lost()).
        c.container_id =
            "localkube://" + std::to_string(pid) + "." + std::to_string(process::start_ticks(pid));
        continue;
      }
      plan.start_error = started.error;
    }
    // As a container runtime reports a command that cannot run: terminated, exit code 128.
    c.finished = true;
    c.finished_at = now_rfc3339();
    c.exit_code = 128;
    c.reason = "StartError";
    c.message = plan.start_error;
  }
}

void LocalKubelet::await_container(PodRun* run, std::size_t index) {
  auto& c = run->containers[index];
  const auto status = c.process->wait();
  // Read the message before taking the lock: the files are this container's alone.
  auto message = read_range(c.message_path, 0, kMaxMessageBytes);
  if (message.empty()) message = declared_message(c.declared_message_path, c.declared_before);
  if (message.empty() && !status.success() && c.message_policy == "FallbackToLogsOnError") {
    message = log_tail(c.log_path);
  }
  std::lock_guard lock(mu_);
  c.finished = true;
  c.finished_at = now_rfc3339();
  c.exit_code = status.combined();
  c.signal = status.signal;
  c.reason = status.success() ? "Completed" : "Error";
  c.message = std::move(message);
  write_status_locked(*run);
}

void LocalKubelet::begin_termination(PodRun& run, std::chrono::steady_clock::time_point now) {
  if (run.terminating) return;
  run.terminating = true;
  run.kill_at = now + run.grace;
  for (auto& c : run.containers) {
    if (c.process && !c.finished) c.process->signal(SIGTERM);
  }
  write_status_locked(run);  // no longer ready
}

// A pod left Running by an earlier run of this server: its processes are stopped if they still
// run (the container id holds pid and start time, so a recycled pid is left alone), and the pod
// is marked as the kubelet marks a container it lost.
void LocalKubelet::recover_lost(const json& pod) {
  json status = field::map(pod, "status");
  json statuses = json::array();
  for (const auto& cs : field::list(status, "containerStatuses")) {
    json updated = cs;
    const auto& running = field::map(field::map(cs, "state"), "running");
    if (!running.empty()) {
      const auto id = field::text(cs, "containerID");
      const std::string prefix = "localkube://";
      if (id.rfind(prefix, 0) == 0) {
        const auto pid = static_cast<pid_t>(std::strtol(id.c_str() + prefix.size(), nullptr, 10));
        const auto dot = id.find('.');
        const auto ticks =
            dot == std::string::npos ? 0ULL : std::strtoull(id.c_str() + dot + 1, nullptr, 10);
        if (pid > 1 && ticks != 0 && process::start_ticks(pid) == ticks) ::kill(-pid, SIGKILL);
      }
      updated["state"] = {{"terminated",
                           {{"exitCode", 137},
                            {"reason", "ContainerStatusUnknown"},
                            {"message",
                             "The container could not be located when the pod was "
                             "terminated"},
                            {"startedAt", field::text(running, "startedAt")},
                            {"finishedAt", now_rfc3339()}}}};
      updated["ready"] = false;
      updated["started"] = false;
    }
    statuses.push_back(updated);
  }
  status["phase"] = "Failed";
  status["containerStatuses"] = statuses;
  write_status(pod, status);
}

void LocalKubelet::remove_stale_dirs(const std::set<std::string>& pod_uids) {
  std::error_code ec;
  for (fs::directory_iterator it(options_.work_dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_directory(ec)) continue;
    const auto name = it->path().filename().string();
    const auto uid = name.substr(name.rfind('_') + 1);
    if (pod_uids.count(uid) != 0 || runs_.count(uid) != 0) continue;
    std::error_code ignored;
    fs::remove_all(it->path(), ignored);
  }
}

std::chrono::steady_clock::time_point LocalKubelet::sync() {
  const auto now = std::chrono::steady_clock::now();
  auto pods = store_.list(pods_, "").first;
  std::set<std::string> present;   // uids of pods in the store
  std::set<std::string> deleting;  // ...of those, the ones being deleted
  std::vector<const json*> to_start;
  std::vector<const json*> lost;
  {
    std::lock_guard lock(mu_);
    for (const auto& pod : pods) {
      const auto& meta = field::map(pod, "metadata");
      const auto uid = field::text(meta, "uid");
      present.insert(uid);
      if (meta.contains("deletionTimestamp")) {
        deleting.insert(uid);
        continue;
      }
      if (runs_.count(uid) != 0) continue;
      const auto phase = field::text(field::map(pod, "status"), "phase", "Pending");
      if (phase == "Succeeded" || phase == "Failed") continue;
      const auto node = field::text(field::map(pod, "spec"), "nodeName");
      if (!node.empty() && node != options_.node_name) continue;
      (phase == "Running" ? lost : to_start).push_back(&pod);
    }
  }
  for (const auto* pod : lost) recover_lost(*pod);
  for (const auto* pod : to_start) {
    try {
      start_pod(*pod);
    } catch (const std::exception& e) {
      fail_pod(*pod, e.what());
    }
  }

  std::lock_guard lock(mu_);
  auto next = std::chrono::steady_clock::time_point::max();
  for (auto it = runs_.begin(); it != runs_.end();) {
    auto& run = *it->second;
    if (present.count(run.uid) == 0) run.deleted = true;
    if (run.deleted || deleting.count(run.uid) != 0) begin_termination(run, now);
    if (run.terminating && !run.done()) {
      if (now >= run.kill_at && !run.killed) {
        run.killed = true;
        for (auto& c : run.containers) {
          if (c.process && !c.finished) c.process->signal(SIGKILL);
        }
      } else if (!run.killed) {
        next = std::min(next, run.kill_at);
      }
    }
    if (!run.done()) {
      ++it;
      continue;
    }
    for (auto& waiter : run.waiters) waiter.join();  // each has recorded its end already
    dirs_stale_ = dirs_stale_ || run.deleted;
    it = runs_.erase(it);
  }
  // Logs go with their pods. The directory is scanned only when a pod went away since the last
  // pass (or on the first pass), not on every change in the store.
  dirs_stale_ = dirs_stale_ || !std::includes(present.begin(), present.end(), last_present_.begin(),
                                              last_present_.end());
  if (dirs_stale_) remove_stale_dirs(present);
  dirs_stale_ = false;
  last_present_ = std::move(present);
  return next;
}

void LocalKubelet::stop() {
  std::vector<std::unique_ptr<PodRun>> runs;
  {
    std::lock_guard lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    for (auto& [uid, run] : runs_) begin_termination(*run, now);
    for (auto& [uid, run] : runs_) runs.push_back(std::move(run));
    runs_.clear();
  }
  for (auto& run : runs) {
    for (auto& c : run->containers) {
      if (!c.process) continue;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          run->kill_at - std::chrono::steady_clock::now());
      if (!c.process->wait_for(std::max(left, std::chrono::milliseconds(0)))) {
        c.process->signal(SIGKILL);
      }
    }
    for (auto& waiter : run->waiters) waiter.join();
  }
}

}  // namespace kopiur::localkube::detail
