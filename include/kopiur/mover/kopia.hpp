// File: kopiur/mover/kopia.hpp
//
// Kopia: runs one kopia command as a child process (kopiur_process) and collects what the mover
// needs from it. Each run:
//   - is a child span "kopia" (field `command`) of the caller's current span;
//   - gets a clean environment (exactly KopiaOptions::env) and `--config-file` appended;
//   - streams stderr and stdout line by line through ChildOutputForwarder: DEBUG events under
//     target `kopia` (shown with RUST_LOG=info,kopia=debug), plus a bounded stderr failure tail;
//   - keeps stdout (up to max_stdout_bytes) for --json parsing;
//   - when `cancelled()` turns true, sends SIGTERM to kopia's process group, then SIGKILL after
//     kill_grace.
//
//   mover::Kopia kopia(options);
//   auto run = kopia.run({"snapshot", "create"}, {"/data", "--json"});
//   if (!run.ok()) ... run.describe(), run.tail ...
//
// Thread-safety: one run at a time per Kopia. Failure: never throws; a program that cannot start
// comes back in spawn_error.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "kopiur/process/process.hpp"

namespace kopiur::mover {

struct KopiaOptions {
  std::string binary = "kopia";  // a path, or a name looked up in the env's PATH
  std::vector<std::string> env;  // NAME=value: kopia's whole environment
  std::string config_file;       // passed as --config-file
  std::chrono::milliseconds kill_grace{10000};
  std::size_t tail_bytes = 2048;  // failure tail bound (bytes)
  std::size_t tail_lines = 40;
  std::size_t max_stdout_bytes = 64u << 20;
  std::function<bool()> cancelled;  // polled while kopia runs; may be empty
};

struct KopiaRun {
  std::string command;  // the command words, e.g. "snapshot create"
  process::ExitStatus status;
  std::string out;  // stdout (at most max_stdout_bytes)
  bool out_truncated = false;
  std::string tail;         // stderr failure tail, '\n'-joined
  std::string error_line;   // kopia's last "ERROR ..." line, without the prefix
  std::string spawn_error;  // set when kopia could not start
  bool cancelled = false;   // stopped because cancelled() turned true
  double seconds = 0;

  [[nodiscard]] bool ok() const { return spawn_error.empty() && !cancelled && status.success(); }
  // "kopia snapshot create: exit code 1: <error line>" and the like.
  [[nodiscard]] std::string describe() const;
};

class Kopia {
 public:
  explicit Kopia(KopiaOptions options) : options_(std::move(options)) {}
  // Runs `kopia <command words> <args> --config-file=...`.
  KopiaRun run(const std::vector<std::string>& command, const std::vector<std::string>& args) const;
  [[nodiscard]] const KopiaOptions& options() const { return options_; }

 private:
  void stream(process::Process& child, KopiaRun& result) const;

  KopiaOptions options_;
};

// The environment kopia gets: PATH from `parent`, HOME, KOPIA_PASSWORD, KOPIA_CHECK_FOR_UPDATES=
// false, KOPIA_LOG_DIR and KOPIA_CACHE_DIRECTORY under work_dir, and every other KOPIA_* entry of
// `parent` (the operator's knobs for kopia) except KOPIA_PASSWORD and KOPIA_CONFIG_PATH, then
// the backend's `credentials` (NAME=value; they win over a same-named entry of `parent`).
std::vector<std::string> kopia_environment(const std::vector<std::string>& parent,
                                           const std::string& work_dir, const std::string& password,
                                           const std::vector<std::string>& credentials = {});

}  // namespace kopiur::mover
