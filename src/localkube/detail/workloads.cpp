#include "localkube/detail/workloads.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <utility>

namespace kopiur::localkube::detail {
namespace {

// The work directory and whether it is a temporary one this server made.
Result<std::pair<std::string, bool>> work_dir_for(const LocalApiServer::Options& options) {
  std::string dir = options.work_dir;
  bool own = false;
  if (dir.empty() && !options.data_dir.empty()) {
    dir = (std::filesystem::path(options.data_dir) / "pods").string();
  }
  if (dir.empty()) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "kopiur-localkube-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      return Error{"create a work directory for pods", 0, "", std::strerror(errno)};
    }
    dir = pattern;
    own = true;
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error{"create work directory " + dir, 0, "", ec.message()};
  return std::pair{dir, own};
}

LocalKubelet::Options kubelet_options(const LocalApiServer::Options& options,
                                      const std::string& work_dir, std::string kubeconfig) {
  LocalKubelet::Options out;
  out.work_dir = work_dir;
  out.volumes_dir = options.volumes_dir;
  if (out.volumes_dir.empty()) {
    const auto base = options.data_dir.empty() ? work_dir : options.data_dir;
    out.volumes_dir = (std::filesystem::path(base) / "volumes").string();
  }
  out.kubeconfig_path = std::move(kubeconfig);
  out.max_grace = options.max_grace;
  for (const auto& name : options.inherited_env) {
    if (const char* value = std::getenv(name.c_str())) out.base_env.push_back(name + "=" + value);
  }
  return out;
}

}  // namespace

Workloads::Workloads(LocalStore& store, std::string work_dir, bool own_work_dir)
    : store_(store), work_dir_(std::move(work_dir)), own_work_dir_(own_work_dir) {}

Result<std::unique_ptr<Workloads>> Workloads::prepare(LocalStore& store,
                                                      const LocalApiServer::Options& options) {
  auto dir = work_dir_for(options);
  if (!dir.ok()) return dir.error();
  auto out = std::make_unique<Workloads>(store, dir->first, dir->second);
  LocalJobController::Options job_options;
  job_options.backoff_base = options.job_backoff;
  out->jobs_ = std::make_unique<LocalJobController>(store, job_options);
  out->kubelet_ = std::make_unique<LocalKubelet>(
      store, kubelet_options(options, out->work_dir_, out->kubeconfig_path()));
  return out;
}

Workloads::~Workloads() { stop(); }

std::string Workloads::kubeconfig_path() const {
  return (std::filesystem::path(work_dir_) / "kubeconfig").string();
}

void Workloads::start() {
  thread_ = std::thread([this] { loop(); });
}

void Workloads::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (thread_.joinable()) thread_.join();
  kubelet_->stop();
  if (own_work_dir_) {
    std::error_code ec;
    std::filesystem::remove_all(work_dir_, ec);
  }
}

void Workloads::loop() {
  while (!store_.is_shut_down()) {
    const auto rv = store_.current_rv();
    auto job_due = std::chrono::system_clock::time_point::max();
    auto pod_due = std::chrono::steady_clock::time_point::max();
    // Both skip a malformed object themselves; this is the last line, so that nothing a user
    // writes can end the server. The next change or tick runs the pass again.
    try {
      job_due = jobs_->sync();
    } catch (const std::exception&) {
    }
    try {
      pod_due = kubelet_->sync();
    } catch (const std::exception&) {
    }
    const auto now = std::chrono::steady_clock::now();
    auto wake = now + std::chrono::seconds(1);  // also catches time passing (deadlines, TTLs)
    if (job_due != std::chrono::system_clock::time_point::max()) {
      wake = std::min(wake, now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                      job_due - std::chrono::system_clock::now()));
    }
    wake = std::min(wake, pod_due);
    store_.wait_for_change(rv, wake);
  }
}

}  // namespace kopiur::localkube::detail
