#include "kopiur/process/process.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;  // NOLINT: POSIX declares it nowhere else

namespace kopiur::process {
namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::string errno_text(int error) {
  std::string text = std::strerror(error);
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

std::string env_value(const std::vector<std::string>& env, const std::string& name) {
  const std::string prefix = name + "=";
  std::string value;
  bool found = false;
  for (const auto& entry : env) {  // the last definition wins, as in a shell
    if (entry.compare(0, prefix.size(), prefix) == 0) {
      value = entry.substr(prefix.size());
      found = true;
    }
  }
  return found ? value : std::string(kDefaultPath);
}

// RAII for posix_spawn's two attribute objects.
struct SpawnAttrs {
  posix_spawn_file_actions_t actions{};
  posix_spawnattr_t attr{};
  SpawnAttrs() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnAttrs() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnAttrs(const SpawnAttrs&) = delete;
  SpawnAttrs& operator=(const SpawnAttrs&) = delete;
};

// Adds the file actions for one output stream; *read_end receives a pipe's read side.
std::string redirect(SpawnAttrs& attrs, const Redirect& where, int target, UniqueFd* read_end,
                     std::vector<UniqueFd>* keep) {
  switch (where.kind) {
    case Redirect::Kind::kInherit:
      return {};
    case Redirect::Kind::kNull:
      posix_spawn_file_actions_addopen(&attrs.actions, target, "/dev/null", O_WRONLY, 0);
      return {};
    case Redirect::Kind::kFd:
      if (where.fd < 0) return "invalid output descriptor";
      posix_spawn_file_actions_adddup2(&attrs.actions, where.fd, target);
      return {};
    case Redirect::Kind::kPipe: {
      int fds[2];
      if (::pipe2(fds, O_CLOEXEC) != 0) return "pipe: " + errno_text(errno);
      read_end->reset(fds[0]);
      posix_spawn_file_actions_adddup2(&attrs.actions, fds[1], target);
      keep->emplace_back(fds[1]);  // closed in the parent once the child started
      return {};
    }
  }
  return {};
}

}  // namespace

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

std::string ExitStatus::describe() const {
  if (signal == 0) return "exit code " + std::to_string(code);
  const char* name = ::strsignal(signal);
  return "killed by signal " + std::to_string(signal) + " (" + (name ? name : "unknown") + ")";
}

std::string resolve_executable(const std::string& name, const std::string& path_value,
                               std::string* error) {
  if (name.empty()) {
    *error = "exec: no command given";
    return {};
  }
  if (name.find('/') != std::string::npos) {
    if (is_executable_file(name)) return name;
    struct stat st {};
    const int saved =
        ::stat(name.c_str(), &st) != 0 ? errno : (S_ISDIR(st.st_mode) ? EISDIR : EACCES);
    *error = "exec: \"" + name + "\": stat " + name + ": " + errno_text(saved);
    return {};
  }
  const std::string path = path_value.empty() ? kDefaultPath : path_value;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto end = std::min(path.find(':', start), path.size());
    std::string dir = path.substr(start, end - start);
    if (dir.empty()) dir = ".";
    const std::string candidate = dir + "/" + name;
    if (is_executable_file(candidate)) return candidate;
    start = end + 1;
  }
  *error = "exec: \"" + name + "\": executable file not found in $PATH";
  return {};
}

unsigned long long start_ticks(pid_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/stat";
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return 0;
  char buf[1024];
  const ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
  if (n <= 0) return 0;
  buf[n] = '\0';
  // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
  const char* p = std::strrchr(buf, ')');
  if (p == nullptr) return 0;
  ++p;
  // Fields 3..21 precede starttime (field 22).
  for (int field = 3; field <= 21; ++field) {
    while (*p == ' ') ++p;
    while (*p != ' ' && *p != '\0') ++p;
  }
  return std::strtoull(p, nullptr, 10);
}

std::vector<std::string> current_environment() {
  std::vector<std::string> out;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    out.emplace_back(*entry);
  }
  return out;
}

struct Process::State {
  std::mutex mu;
  std::optional<ExitStatus> status;  // set once reaped; signal() checks it under mu
};

Process::Process(pid_t pid, bool group, bool kill_group_on_exit, UniqueFd out, UniqueFd err)
    : pid_(pid),
      group_(group),
      kill_group_on_exit_(group && kill_group_on_exit),
      stdout_(std::move(out)),
      stderr_(std::move(err)),
      state_(std::make_unique<State>()) {}

Process::~Process() {
  {
    std::lock_guard lock(state_->mu);
    if (state_->status) return;
  }
  signal(SIGKILL);
  wait();
}

SpawnResult Process::spawn(const SpawnOptions& options) {
  SpawnResult result;
  if (options.argv.empty()) {
    result.error = "exec: no command given";
    return result;
  }
  const auto program =
      resolve_executable(options.argv[0], env_value(options.env, "PATH"), &result.error);
  if (program.empty()) return result;
  if (!options.working_dir.empty()) {
    struct stat st {};
    // errno only means something when stat() failed: a PATH search above may have left it set.
    const int failed = ::stat(options.working_dir.c_str(), &st) != 0 ? errno
                       : S_ISDIR(st.st_mode)                         ? 0
                                                                     : ENOTDIR;
    if (failed != 0) {
      result.error =
          "chdir to working directory \"" + options.working_dir + "\": " + errno_text(failed);
      return result;
    }
  }

  SpawnAttrs attrs;
  UniqueFd out_read;
  UniqueFd err_read;
  std::vector<UniqueFd> child_ends;
  posix_spawn_file_actions_addopen(&attrs.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  for (auto error : {redirect(attrs, options.stdout_to, STDOUT_FILENO, &out_read, &child_ends),
                     redirect(attrs, options.stderr_to, STDERR_FILENO, &err_read, &child_ends)}) {
    if (!error.empty()) {
      result.error = error;
      return result;
    }
  }
  if (!options.working_dir.empty()) {
    posix_spawn_file_actions_addchdir_np(&attrs.actions, options.working_dir.c_str());
  }
  posix_spawn_file_actions_addclosefrom_np(&attrs.actions, 3);

  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attrs.attr, &none);
  sigset_t all;
  sigfillset(&all);
  posix_spawnattr_setsigdefault(&attrs.attr, &all);
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  if (options.new_session) flags |= POSIX_SPAWN_SETSID;
  posix_spawnattr_setflags(&attrs.attr, flags);

  std::vector<char*> argv;
  std::vector<std::string> args = options.argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<std::string> env = options.env;
  std::vector<char*> envp;
  for (auto& entry : env) envp.push_back(entry.data());
  envp.push_back(nullptr);

  pid_t pid = -1;
  const int rc =
      ::posix_spawn(&pid, program.c_str(), &attrs.actions, &attrs.attr, argv.data(), envp.data());
  if (rc != 0) {
    result.error = "exec: \"" + options.argv[0] + "\": " + errno_text(rc);
    return result;
  }
  result.process =
      std::unique_ptr<Process>(new Process(pid, options.new_session, options.kill_group_on_exit,
                                           std::move(out_read), std::move(err_read)));
  return result;
}

bool Process::signal(int signo) {
  std::lock_guard lock(state_->mu);
  if (state_->status) return false;
  return ::kill(group_ ? -pid_ : pid_, signo) == 0 || ::kill(pid_, signo) == 0;
}

ExitStatus Process::wait() {
  // Block without reaping (WNOWAIT), then reap under the lock: signal() can never target a pid
  // that was reaped and recycled in between.
  siginfo_t info{};
  while (true) {
    {
      std::lock_guard lock(state_->mu);
      if (state_->status) return *state_->status;
    }
    if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT) == 0) break;
    if (errno != EINTR) break;  // ECHILD: another waiter reaped it; the loop reads its status
  }
  std::lock_guard lock(state_->mu);
  if (state_->status) return *state_->status;
  // The child is a zombie now, so its process group id cannot have been reused.
  if (kill_group_on_exit_) ::kill(-pid_, SIGKILL);
  int raw = 0;
  ExitStatus status;
  if (::waitpid(pid_, &raw, 0) == pid_) {
    if (WIFSIGNALED(raw)) {
      status.signal = WTERMSIG(raw);
    } else {
      status.code = WEXITSTATUS(raw);
    }
  } else {
    status.code = 255;  // not our child any more: nothing better is knowable
  }
  state_->status = status;
  return status;
}

std::optional<ExitStatus> Process::wait_for(std::chrono::milliseconds timeout) {
  {
    std::lock_guard lock(state_->mu);
    if (state_->status) return state_->status;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // A pidfd turns "has it ended?" into a poll() with a timeout; without one (old kernels), poll
  // the child's state at a short interval.
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0)));
  while (true) {
    siginfo_t info{};
    info.si_pid = 0;
    if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT | WNOHANG) == 0 &&
        info.si_pid == pid_) {
      return wait();
    }
    {
      std::lock_guard lock(state_->mu);
      if (state_->status) return state_->status;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    if (pidfd.valid()) {
      pollfd pfd{pidfd.get(), POLLIN, 0};
      ::poll(&pfd, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
    } else {
      std::this_thread::sleep_for(std::min(left, std::chrono::milliseconds(5)));
    }
  }
}

}  // namespace kopiur::process
