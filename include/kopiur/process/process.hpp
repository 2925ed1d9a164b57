// File: kopiur/process/process.hpp
//
// Process: starts a program the way a container runtime or a supervisor would, so the local
// API server's kubelet and the mover (which runs kopia) share one careful implementation:
//   - an explicit argv and a complete environment; a bare program name is looked up in the PATH
//     of the *child's* environment, as Kubernetes resolves a container's command;
//   - a working directory, stdin from /dev/null, stdout/stderr to a file descriptor, a pipe the
//     caller reads, or /dev/null;
//   - an empty signal mask and default signal dispositions (kopiur programs block SIGTERM for
//     their sigwait thread, and a child must not inherit that);
//   - its own session and process group, so signal() reaches the program and its children;
//   - no descriptors inherited beyond 0, 1 and 2.
//
// Thread-safety: wait() may block in one thread while signal() is called from another; a signal
// is never sent after the child was reaped, so a recycled pid is never hit.
// Failure: spawn() returns the reason in the words a container runtime uses, e.g.
// `exec: "kopia": executable file not found in $PATH`; nothing is left running.
// Destruction: a child still running is killed (SIGKILL to its group) and reaped.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace kopiur::process {

// UniqueFd: an owned file descriptor, closed on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// ExitStatus: how a child ended.
struct ExitStatus {
  int code = 0;    // the exit code when the child exited
  int signal = 0;  // the terminating signal, or 0 when it exited

  bool success() const { return signal == 0 && code == 0; }
  // The shell and Kubernetes convention: the exit code, or 128 + the signal number.
  int combined() const { return signal != 0 ? 128 + signal : code; }
  // "exit code 3" or "killed by signal 15 (Terminated)".
  std::string describe() const;
};

// Where a child's stdout or stderr goes.
struct Redirect {
  enum class Kind { kNull, kInherit, kPipe, kFd };
  Kind kind = Kind::kNull;
  int fd = -1;  // for kFd: duplicated into the child; the caller keeps its own

  static Redirect null() { return {Kind::kNull, -1}; }
  static Redirect inherit() { return {Kind::kInherit, -1}; }
  static Redirect pipe() { return {Kind::kPipe, -1}; }
  static Redirect to_fd(int fd) { return {Kind::kFd, fd}; }
};

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is the program: a path, or a name looked up in PATH
  std::vector<std::string> env;   // "NAME=value" entries: the child's whole environment
  std::string working_dir;        // empty: the caller's
  Redirect stdout_to = Redirect::null();
  Redirect stderr_to = Redirect::null();
  bool new_session = true;  // setsid(): own session and process group
  // With new_session: when the program ends, SIGKILL whatever it left behind in its process
  // group (as a container's processes end with it). Done before reaping, while the group id
  // still belongs to the child.
  bool kill_group_on_exit = false;
};

class Process;

// The outcome of spawn(): a running process, or why it could not start.
struct SpawnResult {
  std::unique_ptr<Process> process;
  std::string error;  // set when process is null
};

class Process {
 public:
  static SpawnResult spawn(const SpawnOptions& options);

  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  // The read ends of pipes requested with Redirect::pipe(); invalid otherwise. Take ownership.
  UniqueFd take_stdout() { return std::move(stdout_); }
  UniqueFd take_stderr() { return std::move(stderr_); }

  // signal(): sends signo to the child's process group (or the child without a new session).
  // Returns false when the child was already reaped.
  bool signal(int signo);
  // wait(): blocks until the child ends and reaps it. Later calls return the same status.
  ExitStatus wait();
  // wait_for(): as wait(), but gives up after timeout (the child keeps running).
  std::optional<ExitStatus> wait_for(std::chrono::milliseconds timeout);

 private:
  struct State;
  Process(pid_t pid, bool group, bool kill_group_on_exit, UniqueFd out, UniqueFd err);

  pid_t pid_;
  bool group_;
  bool kill_group_on_exit_;
  UniqueFd stdout_;
  UniqueFd stderr_;
  std::unique_ptr<State> state_;
};

// resolve_executable(): what exec would run for `name` with the given PATH value (empty PATH:
// the usual system default). Returns the path, or "" with *error in a runtime's words.
std::string resolve_executable(const std::string& name, const std::string& path_value,
                               std::string* error);

// start_ticks(): when process `pid` started, in clock ticks since boot (/proc/PID/stat), or 0 when
// it does not exist. With the pid it identifies a process across pid reuse.
unsigned long long start_ticks(pid_t pid);

// current_environment(): this process's environment as "NAME=value" entries.
std::vector<std::string> current_environment();

}  // namespace kopiur::process
