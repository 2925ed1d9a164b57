// One mover run: validate, execute under the root span, record, write the result, flush.
#include "kopiur/mover/mover.hpp"

#undef KOPIUR_LOG_TARGET
#define KOPIUR_LOG_TARGET "kopiur_mover"

#include <cstdlib>
#include <filesystem>
#include <variant>

#include "kopiur/mover/local_mounts.hpp"
#include "kopiur/mover/operations.hpp"
#include "kopiur/telemetry/log/log.hpp"

namespace kopiur::mover {

namespace log = telemetry::log;
namespace fs = std::filesystem;

namespace {

// A private directory for kopia's config, cache and logs, removed afterwards when we made it.
class WorkDir {
 public:
  explicit WorkDir(const std::string& given) : path_(given) {
    if (!path_.empty()) {
      std::error_code ec;
      fs::create_directories(path_, ec);
      return;
    }
    std::string tmpl = (fs::temp_directory_path() / "kopiur-mover-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) != nullptr) {
      path_ = tmpl;
      owned_ = true;
    }
  }
  ~WorkDir() {
    std::error_code ec;
    if (owned_) fs::remove_all(path_, ec);
  }
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool owned_ = false;
};

int exit_code(const OperationResult& r) {
  if (r.result == Outcome::kSucceeded) return kExitSucceeded;
  if (r.result == Outcome::kCancelled) return kExitCancelled;
  if (r.failure && r.failure->error_class == ErrorClass::kInvalidSpec) return kExitInvalidSpec;
  return kExitFailed;
}

void log_outcome(const OperationResult& r) {
  if (r.result == Outcome::kSucceeded) {
    KOPIUR_INFO("mover operation succeeded", log::kv("operation", r.operation),
                log::kv("duration_seconds", r.duration_seconds));
    return;
  }
  const FailureInfo& f = *r.failure;
  KOPIUR_ERROR("mover operation " + std::string(outcome_name(r.result)) + ": " + f.message,
               log::kv("operation", r.operation), log::kv("class", error_class_name(f.error_class)),
               log::kv("retry", retryable(f.error_class)), log::kv("tail", f.tail));
}

// Everything that happens inside the root span.
void run_in_span(const MoverOptions& options, OperationResult& result) {
  const auto mounts = LocalMounts::parse(options.local_mounts.c_str());
  if (const auto* error = std::get_if<std::string>(&mounts)) {
    result.failure = FailureInfo{ErrorClass::kInvalidSpec, *error, "", std::nullopt};
    result.result = Outcome::kFailed;
    return;
  }
  const auto& paths = std::get<LocalMounts>(mounts);
  auto loaded = load_work_spec(paths.resolve(options.work_spec_path), options.operation,
                               paths.resolve(options.secret_dir));
  for (auto* path :
       {&loaded.spec.backend.filesystem_path, &loaded.spec.source_path, &loaded.spec.target_path}) {
    if (!path->empty()) *path = paths.resolve(*path);
  }
  if (!loaded.errors.empty()) {
    FailureInfo f;
    f.error_class = ErrorClass::kInvalidSpec;
    for (const auto& e : loaded.errors) f.message += (f.message.empty() ? "" : "; ") + e;
    f.message = "invalid work spec: " + f.message;
    result.failure = std::move(f);
    result.result = Outcome::kFailed;
    return;
  }
  const WorkDir work(options.work_dir);
  if (work.path().empty()) {
    result.failure = FailureInfo{ErrorClass::kUnknown,
                                 "cannot create a work directory for kopia's "
                                 "config and cache under " +
                                     fs::temp_directory_path().string(),
                                 "", std::nullopt};
    result.result = Outcome::kFailed;
    return;
  }
  KopiaOptions ko;
  ko.binary = options.kopia_binary;
  ko.config_file = work.path() + "/repository.config";
  ko.env = kopia_environment(options.environment, work.path(), loaded.spec.password,
                             loaded.spec.backend.env);
  ko.kill_grace = options.kill_grace;
  ko.cancelled = options.cancelled;
  const auto& spec = loaded.spec;
  KOPIUR_INFO(
      "mover operation starting", log::kv("operation", options.operation),
      log::kv("object", spec.object_kind + " " + spec.object_namespace + "/" + spec.object_name),
      log::kv("kopia", options.kopia_binary),
      log::kv("repository", spec.backend.type == "filesystem" ? spec.backend.filesystem_path
                                                              : spec.backend.location));
  execute(loaded.spec, Kopia(std::move(ko)), result);
}

}  // namespace

int run(const MoverOptions& options, telemetry::Telemetry& telemetry) {
  OperationResult result;
  result.operation = options.operation;
  result.start_time = utc_now();
  const auto started = std::chrono::steady_clock::now();
  {
    // The root span's whole life is this block: it closes before the result is written and
    // before telemetry is flushed below.
    const auto span = telemetry.root_span("mover", {log::kv("operation", options.operation)});
    const auto entered = span.enter();
    run_in_span(options, result);
    result.end_time = utc_now();
    result.duration_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const std::string outcome(outcome_name(result.result));
    telemetry.kopiur().mover_operations.add(
        1, {{"operation", options.operation}, {"result", outcome}});
    telemetry.kopiur().mover_operation_duration_seconds.record(
        result.duration_seconds, {{"operation", options.operation}, {"result", outcome}});
    if (result.failure) span.record_error(result.failure->message);
    log_outcome(result);
  }
  if (!options.termination_message_path.empty()) {
    const std::string error =
        write_termination_message(options.termination_message_path, render(result));
    if (!error.empty()) {
      KOPIUR_WARN("cannot write the termination message", log::kv("error", error));
    }
  }
  telemetry.shutdown();
  return exit_code(result);
}

}  // namespace kopiur::mover
