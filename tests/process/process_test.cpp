#include "kopiur/process/process.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/temp_dir.hpp"
#include "support/wait.hpp"

namespace kopiur::process {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A failure bound for children that should end promptly; passing tests never get near it.
constexpr auto kPatience = 10s;

// Everything left in `fd` until end of file.
std::string read_all(int fd) {
  std::string out;
  char buffer[4096];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      out.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      return out;
    }
  }
}

// One line from `fd` (without its '\n'), for children whose pipe stays open (a grandchild holds
// it). Gives up with what it has after kPatience.
std::string read_line(int fd) {
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, 100) <= 0) continue;
    char c = 0;
    if (::read(fd, &c, 1) != 1 || c == '\n') return line;
    line.push_back(c);
  }
  return line;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The state letter of /proc/<pid>/stat ('R', 'S', 'Z', ...), or 0 when the pid does not exist.
char proc_state(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return 0;
  const auto paren = stat.rfind(')');  // the command name may itself hold spaces or ')'
  return paren == std::string::npos || paren + 2 >= stat.size() ? 0 : stat[paren + 2];
}

// An orphaned grandchild is reaped by whichever process adopts it; until then it is a zombie,
// which no longer runs. Either way it is gone for our purposes.
bool gone_or_zombie(pid_t pid) {
  const char state = proc_state(pid);
  return state == 0 || state == 'Z' || state == 'X';
}

// A "Sig*:" mask from /proc/<pid>/status, as the kernel prints it (16 hex digits).
std::string proc_status_field(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field + ":", 0) == 0) {
      auto value = line.substr(field.size() + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      return value;
    }
  }
  return "<missing>";
}

SpawnOptions shell(const std::string& script) {
  SpawnOptions options;
  options.argv = {"/bin/sh", "-c", script};
  options.env = {"PATH=/usr/bin:/bin"};
  return options;
}

std::unique_ptr<Process> start(const SpawnOptions& options) {
  auto result = Process::spawn(options);
  EXPECT_EQ(result.error, "");
  return std::move(result.process);
}

// Runs `options` to its end with stdout on a pipe and returns what it printed; "<failed: ...>"
// when it could not start or did not exit 0, so a comparison with the expected output fails.
std::string stdout_of(SpawnOptions options) {
  options.stdout_to = Redirect::pipe();
  auto child = start(options);
  if (child == nullptr) return "<failed: did not start>";
  auto out = child->take_stdout();
  auto text = read_all(out.get());
  const auto status = child->wait();
  return status.success() ? text : "<failed: " + status.describe() + ">";
}

// Kills a stray pid at scope exit, so a failing assertion leaves no `sleep 30` behind.
struct KillOnExit {
  pid_t pid = 0;
  ~KillOnExit() {
    if (pid > 0) ::kill(pid, SIGKILL);
  }
};

void write_script(const std::string& path, const std::string& content, mode_t mode) {
  kopiur::test::write_file_atomically(path, content);
  ASSERT_EQ(::chmod(path.c_str(), mode), 0);
}

// --- ExitStatus -----------------------------------------------------------------------------

TEST(ExitStatus, ExitCodes) {
  const ExitStatus ok{0, 0};
  EXPECT_TRUE(ok.success());
  EXPECT_EQ(ok.combined(), 0);
  EXPECT_EQ(ok.describe(), "exit code 0");

  const ExitStatus three{3, 0};
  EXPECT_FALSE(three.success());
  EXPECT_EQ(three.combined(), 3);
  EXPECT_EQ(three.describe(), "exit code 3");
}

TEST(ExitStatus, Signals) {
  const ExitStatus term{0, SIGTERM};
  EXPECT_FALSE(term.success());
  EXPECT_EQ(term.combined(), 128 + SIGTERM);
  EXPECT_EQ(term.describe(), "killed by signal 15 (Terminated)");

  const ExitStatus kill{0, SIGKILL};
  EXPECT_EQ(kill.combined(), 137);
  EXPECT_EQ(kill.describe(), "killed by signal 9 (Killed)");
}

// --- UniqueFd -------------------------------------------------------------------------------

TEST(UniqueFd, ClosesOnResetAndMovesOwnership) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  UniqueFd moved(std::move(read_end));
  EXPECT_FALSE(read_end.valid());  // NOLINT(bugprone-use-after-move): the moved-from state
  EXPECT_EQ(moved.get(), fds[0]);
  write_end.reset();
  EXPECT_EQ(::fcntl(fds[1], F_GETFD), -1);  // closed
  EXPECT_EQ(read_all(moved.get()), "");     // so the reader sees end of file
  const int raw = moved.release();
  EXPECT_FALSE(moved.valid());
  EXPECT_NE(::fcntl(raw, F_GETFD), -1);  // released, not closed
  ::close(raw);
}

// --- exit status of real children -------------------------------------------------------------

TEST(Process, TrueAndFalse) {
  SpawnOptions options;
  options.argv = {"/bin/true"};
  auto ok = start(options);
  ASSERT_NE(ok, nullptr);
  EXPECT_GT(ok->pid(), 0);
  const auto ok_status = ok->wait();
  EXPECT_TRUE(ok_status.success());
  EXPECT_EQ(ok_status.describe(), "exit code 0");

  options.argv = {"/bin/false"};
  auto bad = start(options);
  ASSERT_NE(bad, nullptr);
  const auto bad_status = bad->wait();
  EXPECT_FALSE(bad_status.success());
  EXPECT_EQ(bad_status.code, 1);
  EXPECT_EQ(bad_status.signal, 0);
}

TEST(Process, ExitCodeThree) {
  auto child = start(shell("exit 3"));
  ASSERT_NE(child, nullptr);
  const auto status = child->wait();
  EXPECT_EQ(status.code, 3);
  EXPECT_EQ(status.signal, 0);
  EXPECT_EQ(status.combined(), 3);
  EXPECT_FALSE(status.success());
  EXPECT_EQ(status.describe(), "exit code 3");
}

TEST(Process, KilledBySignal) {
  SpawnOptions options;
  options.argv = {"/bin/sleep", "30"};
  auto child = start(options);
  ASSERT_NE(child, nullptr);
  EXPECT_TRUE(child->signal(SIGKILL));
  const auto status = child->wait();
  EXPECT_EQ(status.signal, SIGKILL);
  EXPECT_EQ(status.combined(), 128 + SIGKILL);
  EXPECT_FALSE(status.success());
  EXPECT_EQ(status.describe(), "killed by signal 9 (Killed)");
}

TEST(Process, KilledBySignalItSentItself) {
  auto child = start(shell("kill -TERM $$"));
  ASSERT_NE(child, nullptr);
  const auto status = child->wait();
  EXPECT_EQ(status.signal, SIGTERM);
  EXPECT_EQ(status.combined(), 143);
}

// --- argv, environment, PATH ------------------------------------------------------------------

TEST(Process, EnvironmentIsExactlyTheGivenOne) {
  ASSERT_EQ(::setenv("KOPIUR_PROCESS_TEST_PARENT_ONLY", "1", 1), 0);
  SpawnOptions options;
  options.argv = {"/usr/bin/env"};
  options.env = {"KOPIUR_B=two words", "KOPIUR_A=1", "PATH=/nonexistent", "EMPTY="};
  options.stdout_to = Redirect::pipe();
  auto child = start(options);
  ::unsetenv("KOPIUR_PROCESS_TEST_PARENT_ONLY");
  ASSERT_NE(child, nullptr);
  auto out = child->take_stdout();
  ASSERT_TRUE(out.valid());
  auto lines = split_lines(read_all(out.get()));
  EXPECT_TRUE(child->wait().success());
  std::sort(lines.begin(), lines.end());
  EXPECT_THAT(lines,
              ElementsAre("EMPTY=", "KOPIUR_A=1", "KOPIUR_B=two words", "PATH=/nonexistent"));
}

TEST(Process, EmptyEnvironment) {
  SpawnOptions options;
  options.argv = {"/usr/bin/env"};
  EXPECT_EQ(stdout_of(options), "");
}

TEST(Process, ArgumentsArePassedVerbatim) {
  SpawnOptions options = shell("printf '[%s]\\n' \"$0\" \"$@\"");
  options.argv.insert(options.argv.end(), {"zero", "two words", "", "$HOME;*"});
  EXPECT_EQ(stdout_of(options), "[zero]\n[two words]\n[]\n[$HOME;*]\n");
}

TEST(Process, BareNameIsFoundInTheChildsPath) {
  kopiur::test::TempDir dir("kopiur-process-");
  const auto script = dir.file("kopiur-hello");
  write_script(script, "#!/bin/sh\necho \"hello from $0\"\n", 0755);
  const char* own_path = std::getenv("PATH");
  ASSERT_THAT(own_path == nullptr ? "" : own_path, ::testing::Not(HasSubstr(dir.path().string())));

  SpawnOptions options;
  options.argv = {"kopiur-hello"};
  options.env = {"PATH=" + dir.path().string()};
  EXPECT_EQ(stdout_of(options), "hello from " + script + "\n");
}

TEST(Process, ParentsPathIsNotUsed) {
  kopiur::test::TempDir dir("kopiur-process-");
  SpawnOptions options;
  options.argv = {"sh", "-c", "true"};  // on our PATH, but not on the child's
  options.env = {"PATH=" + dir.path().string()};
  const auto result = Process::spawn(options);
  EXPECT_EQ(result.process, nullptr);
  EXPECT_EQ(result.error, "exec: \"sh\": executable file not found in $PATH");
}

TEST(Process, MissingNameIsReportedAsARuntimeWould) {
  SpawnOptions options;
  options.argv = {"nope"};
  options.env = {"PATH=/usr/bin:/bin"};
  const auto result = Process::spawn(options);
  EXPECT_EQ(result.process, nullptr);
  EXPECT_EQ(result.error, "exec: \"nope\": executable file not found in $PATH");
}

TEST(Process, MissingAbsolutePathIsReportedAsARuntimeWould) {
  ASSERT_FALSE(std::filesystem::exists("/x"));
  SpawnOptions options;
  options.argv = {"/x"};
  const auto result = Process::spawn(options);
  EXPECT_EQ(result.process, nullptr);
  EXPECT_EQ(result.error, "exec: \"/x\": stat /x: no such file or directory");
}

TEST(Process, NoCommandGiven) {
  const auto result = Process::spawn(SpawnOptions{});
  EXPECT_EQ(result.process, nullptr);
  EXPECT_EQ(result.error, "exec: no command given");
}

TEST(Process, NonExecutableEntriesInPathAreSkipped) {
  kopiur::test::TempDir first("kopiur-process-");
  kopiur::test::TempDir second("kopiur-process-");
  write_script(first.file("kopiur-tool"), "#!/bin/sh\necho first\n", 0644);
  std::filesystem::create_directory(second.file("kopiur-dir"));  // a directory never runs
  write_script(second.file("kopiur-tool"), "#!/bin/sh\necho second\n", 0755);

  std::string error;
  const auto path = first.path().string() + ":" + second.path().string();
  EXPECT_EQ(resolve_executable("kopiur-tool", path, &error), second.file("kopiur-tool"));
  EXPECT_EQ(resolve_executable("kopiur-dir", path, &error), "");
  EXPECT_EQ(error, "exec: \"kopiur-dir\": executable file not found in $PATH");

  SpawnOptions options;
  options.argv = {"kopiur-tool"};
  options.env = {"PATH=" + path};
  EXPECT_EQ(stdout_of(options), "second\n");
}

TEST(Process, FileThatCannotBeExecutedIsAnError) {
  kopiur::test::TempDir dir("kopiur-process-");
  const auto plain = dir.file("plain");
  write_script(plain, "not a program\n", 0644);
  SpawnOptions options;
  options.argv = {plain};
  const auto result = Process::spawn(options);
  EXPECT_EQ(result.process, nullptr);
  EXPECT_EQ(result.error, "exec: \"" + plain + "\": stat " + plain + ": permission denied");

  const auto no_shebang = dir.file("no-shebang");
  write_script(no_shebang, "\x01\x02 not a program\n", 0755);
  options.argv = {no_shebang};
  const auto exec_result = Process::spawn(options);
  EXPECT_EQ(exec_result.process, nullptr);
  EXPECT_EQ(exec_result.error, "exec: \"" + no_shebang + "\": exec format error");
}

// --- working directory ------------------------------------------------------------------------

TEST(Process, WorkingDirIsHonoured) {
  kopiur::test::TempDir dir("kopiur-process-");
  SpawnOptions options;
  options.argv = {"/bin/pwd", "-P"};
  options.working_dir = dir.path().string();
  EXPECT_EQ(stdout_of(options), std::filesystem::canonical(dir.path()).string() + "\n");
}

TEST(Process, MissingWorkingDirIsAnErrorAndNothingRuns) {
  kopiur::test::TempDir dir("kopiur-process-");
  const auto marker = dir.file("ran");
  auto options = shell("touch '" + marker + "'");
  options.working_dir = dir.file("missing");
  const auto result = Process::spawn(options);
  EXPECT_EQ(result.process, nullptr);
  EXPECT_EQ(result.error, "chdir to working directory \"" + dir.file("missing") +
                              "\": no such file or directory");
  EXPECT_FALSE(std::filesystem::exists(marker));
}

TEST(Process, WorkingDirThatIsAFileIsAnError) {
  kopiur::test::TempDir dir("kopiur-process-");
  const auto file = dir.file("a-file");
  kopiur::test::write_file_atomically(file, "x");
  SpawnOptions options;
  // A bare name whose PATH search fails once before it succeeds: errno is left set on the way.
  options.argv = {"sh", "-c", "true"};
  options.env = {"PATH=" + dir.file("no-such-dir") + ":/bin"};
  options.working_dir = file;
  const auto result = Process::spawn(options);
  EXPECT_EQ(result.process, nullptr);
  EXPECT_EQ(result.error, "chdir to working directory \"" + file + "\": not a directory");
}

// --- standard streams -------------------------------------------------------------------------

TEST(Process, PipesKeepStdoutAndStderrApart) {
  auto options = shell("echo out; echo err >&2; echo out2");
  options.stdout_to = Redirect::pipe();
  options.stderr_to = Redirect::pipe();
  auto child = start(options);
  ASSERT_NE(child, nullptr);
  auto out = child->take_stdout();
  auto err = child->take_stderr();
  ASSERT_TRUE(out.valid());
  ASSERT_TRUE(err.valid());
  EXPECT_FALSE(child->take_stdout().valid());  // ownership was taken once
  EXPECT_EQ(read_all(out.get()), "out\nout2\n");
  EXPECT_EQ(read_all(err.get()), "err\n");
  EXPECT_TRUE(child->wait().success());
}

TEST(Process, NoPipeWithoutAsking) {
  auto child = start(shell("true"));
  ASSERT_NE(child, nullptr);
  EXPECT_FALSE(child->take_stdout().valid());
  EXPECT_FALSE(child->take_stderr().valid());
  EXPECT_TRUE(child->wait().success());
}

TEST(Process, BothStreamsIntoOneFile) {
  kopiur::test::TempDir dir("kopiur-process-");
  const auto log = dir.file("log");
  UniqueFd file(::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  ASSERT_TRUE(file.valid());
  auto options = shell("echo out; echo err >&2; echo out2");
  options.stdout_to = Redirect::to_fd(file.get());
  options.stderr_to = Redirect::to_fd(file.get());
  auto child = start(options);
  ASSERT_NE(child, nullptr);
  EXPECT_TRUE(child->wait().success());
  EXPECT_NE(::fcntl(file.get(), F_GETFD), -1);  // the caller's descriptor stays open
  EXPECT_EQ(kopiur::test::read_file(log), "out\nerr\nout2\n");
}

TEST(Process, InvalidOutputDescriptorIsAnError) {
  auto options = shell("true");
  options.stderr_to = Redirect::to_fd(-1);
  const auto result = Process::spawn(options);
  EXPECT_EQ(result.process, nullptr);
  EXPECT_EQ(result.error, "invalid output descriptor");
}

TEST(Process, NullDiscardsStdout) {
  // The substitution runs in a subshell; $$ still names the shell we started.
  auto options = shell("echo \"$(readlink /proc/$$/fd/1)\" >&2; echo dropped");
  options.stdout_to = Redirect::null();
  options.stderr_to = Redirect::pipe();
  auto child = start(options);
  ASSERT_NE(child, nullptr);
  auto err = child->take_stderr();
  EXPECT_EQ(read_all(err.get()), "/dev/null\n");
  EXPECT_TRUE(child->wait().success());
}

TEST(Process, NullDiscardsStderrByDefault) {
  auto options = shell("echo \"$(readlink /proc/$$/fd/2)\"; echo dropped >&2");
  EXPECT_EQ(stdout_of(options), "/dev/null\n");
}

TEST(Process, StdinIsDevNull) {
  // Our own stdin becomes a pipe that stays open for the test: a child that inherited it would
  // block in cat and report a pipe, not /dev/null.
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  UniqueFd pipe_read(fds[0]);
  UniqueFd pipe_write(fds[1]);
  UniqueFd saved_stdin(::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3));
  ASSERT_TRUE(saved_stdin.valid());
  ASSERT_EQ(::dup2(pipe_read.get(), STDIN_FILENO), STDIN_FILENO);

  auto options = shell("echo \"$(readlink /proc/$$/fd/0)\"; cat; echo done");
  options.stdout_to = Redirect::pipe();
  auto child = start(options);
  ASSERT_EQ(::dup2(saved_stdin.get(), STDIN_FILENO), STDIN_FILENO);
  ASSERT_NE(child, nullptr);
  auto out = child->take_stdout();
  const auto status = child->wait_for(kPatience);  // cat meets end of input at once
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(status->success());
  EXPECT_EQ(read_all(out.get()), "/dev/null\ndone\n");
}

// --- descriptors ------------------------------------------------------------------------------

TEST(Process, DescriptorsBeyondStderrAreNotInherited) {
  kopiur::test::TempDir dir("kopiur-process-");
  const auto path = dir.file("leak-me");
  kopiur::test::write_file_atomically(path, "x");
  // Two inheritable descriptors: one at the lowest free number, one far above it.
  UniqueFd low(::open(path.c_str(), O_RDONLY));
  ASSERT_TRUE(low.valid());
  ASSERT_GE(low.get(), 3);
  UniqueFd high(::fcntl(low.get(), F_DUPFD, 200));
  ASSERT_TRUE(high.valid());
  ASSERT_EQ(::fcntl(low.get(), F_GETFD) & FD_CLOEXEC, 0);
  ASSERT_EQ(::fcntl(high.get(), F_GETFD) & FD_CLOEXEC, 0);

  // ls lists its own table, which includes the descriptor it reads the directory through: the
  // lowest free one, 3 when only 0, 1 and 2 were inherited. Any inherited descriptor shows up as
  // an extra entry (and pushes ls's own one above 3 if it is 3).
  SpawnOptions options;
  options.argv = {"/bin/ls", "/proc/self/fd"};
  EXPECT_THAT(split_lines(stdout_of(options)), ElementsAre("0", "1", "2", "3"));
}

// --- signals ----------------------------------------------------------------------------------

// Blocks `signo` in this thread for the guard's lifetime.
class BlockSignal {
 public:
  explicit BlockSignal(int signo) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signo);
    ok_ = ::pthread_sigmask(SIG_BLOCK, &set, &old_) == 0;
  }
  ~BlockSignal() { restore(); }
  BlockSignal(const BlockSignal&) = delete;
  BlockSignal& operator=(const BlockSignal&) = delete;
  bool ok() const { return ok_; }
  void restore() {
    if (ok_) ::pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    ok_ = false;
  }

 private:
  sigset_t old_{};
  bool ok_ = false;
};

TEST(Process, BlockedSignalsAreNotInherited) {
  SpawnOptions options;
  options.argv = {"/bin/sleep", "30"};
  BlockSignal block(SIGTERM);
  ASSERT_TRUE(block.ok());
  auto child = start(options);
  block.restore();
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(proc_status_field(child->pid(), "SigBlk"), "0000000000000000");
  EXPECT_TRUE(child->signal(SIGTERM));
  const auto status = child->wait_for(kPatience);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->signal, SIGTERM);
}

TEST(Process, IgnoredSignalsAreResetToDefault) {
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  struct sigaction old {};
  ASSERT_EQ(::sigaction(SIGINT, &ignore, &old), 0);
  SpawnOptions options;
  options.argv = {"/bin/sleep", "30"};
  auto child = start(options);
  ::sigaction(SIGINT, &old, nullptr);
  ASSERT_NE(child, nullptr);
  // Only SIGINT's bit: glibc's posix_spawn leaves its two internal signals (32, 33) ignored.
  const auto ignored = std::stoull(proc_status_field(child->pid(), "SigIgn"), nullptr, 16);
  EXPECT_EQ(ignored & (1ULL << (SIGINT - 1)), 0U);
  EXPECT_TRUE(child->signal(SIGINT));
  const auto status = child->wait_for(kPatience);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->signal, SIGINT);
}

TEST(Process, SignalReachesGrandchildrenInANewSession) {
  auto options = shell("sleep 30 & echo $!; wait");
  options.stdout_to = Redirect::pipe();
  auto child = start(options);
  ASSERT_NE(child, nullptr);
  auto out = child->take_stdout();
  const pid_t grandchild = std::atoi(read_line(out.get()).c_str());
  ASSERT_GT(grandchild, 0);
  KillOnExit cleanup{grandchild};
  EXPECT_EQ(::getsid(child->pid()), child->pid());
  EXPECT_EQ(::getpgid(child->pid()), child->pid());
  EXPECT_EQ(::getpgid(grandchild), child->pid());
  ASSERT_FALSE(gone_or_zombie(grandchild));

  EXPECT_TRUE(child->signal(SIGTERM));
  EXPECT_EQ(child->wait().signal, SIGTERM);
  EXPECT_TRUE(kopiur::test::wait_until([&] { return gone_or_zombie(grandchild); }, kPatience));
}

TEST(Process, WithoutANewSessionOnlyTheChildIsSignalled) {
  auto options = shell("sleep 30 & echo $!; wait");
  options.stdout_to = Redirect::pipe();
  options.new_session = false;
  auto child = start(options);
  ASSERT_NE(child, nullptr);
  auto out = child->take_stdout();
  const pid_t grandchild = std::atoi(read_line(out.get()).c_str());
  ASSERT_GT(grandchild, 0);
  KillOnExit cleanup{grandchild};
  EXPECT_EQ(::getpgid(child->pid()), ::getpgrp());  // still in our group

  EXPECT_TRUE(child->signal(SIGTERM));
  EXPECT_EQ(child->wait().signal, SIGTERM);
  EXPECT_FALSE(gone_or_zombie(grandchild));  // the contrast with the test above
  ASSERT_EQ(::kill(grandchild, SIGKILL), 0);
  EXPECT_TRUE(kopiur::test::wait_until([&] { return gone_or_zombie(grandchild); }, kPatience));
}

// --- waiting ----------------------------------------------------------------------------------

TEST(Process, WaitForTimesOutWhileRunningThenReturnsTheStatus) {
  SpawnOptions options;
  options.argv = {"/bin/sleep", "30"};
  auto child = start(options);
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->wait_for(0ms), std::nullopt);
  EXPECT_EQ(child->wait_for(20ms), std::nullopt);
  EXPECT_NE(proc_state(child->pid()), 'Z');  // still running, not merely unreaped
  EXPECT_NE(proc_state(child->pid()), 0);

  EXPECT_TRUE(child->signal(SIGTERM));
  const auto status = child->wait_for(kPatience);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->signal, SIGTERM);
  EXPECT_EQ(child->wait().signal, SIGTERM);
}

TEST(Process, WaitForReturnsTheExitCode) {
  auto child = start(shell("exit 3"));
  ASSERT_NE(child, nullptr);
  const auto status = child->wait_for(kPatience);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->code, 3);
  errno = 0;
  EXPECT_EQ(::waitpid(child->pid(), nullptr, WNOHANG), -1);  // wait_for() reaped it
  EXPECT_EQ(errno, ECHILD);
}

TEST(Process, WaitTwiceReturnsTheSameStatus) {
  auto child = start(shell("exit 7"));
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->wait().code, 7);
  EXPECT_EQ(child->wait().code, 7);
  const auto again = child->wait_for(0ms);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->code, 7);
}

TEST(Process, SignalAfterReapingReturnsFalse) {
  SpawnOptions options;
  options.argv = {"/bin/true"};
  auto child = start(options);
  ASSERT_NE(child, nullptr);
  EXPECT_TRUE(child->wait().success());
  EXPECT_FALSE(child->signal(SIGTERM));
  EXPECT_FALSE(child->signal(0));
}

TEST(Process, DestructorKillsAndReapsARunningChildAndItsGroup) {
  auto options = shell("sleep 30 & echo $!; wait");
  options.stdout_to = Redirect::pipe();
  auto child = start(options);
  ASSERT_NE(child, nullptr);
  auto out = child->take_stdout();
  const pid_t grandchild = std::atoi(read_line(out.get()).c_str());
  ASSERT_GT(grandchild, 0);
  KillOnExit cleanup{grandchild};
  const pid_t pid = child->pid();
  ASSERT_NE(proc_state(pid), 0);

  child.reset();
  errno = 0;
  EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1);  // already reaped: not our child any more
  EXPECT_EQ(errno, ECHILD);
  EXPECT_EQ(proc_state(pid), 0);  // no zombie left behind
  EXPECT_TRUE(kopiur::test::wait_until([&] { return gone_or_zombie(grandchild); }, kPatience));
}

TEST(Process, DestructorReapsAnExitedChild) {
  SpawnOptions options;
  options.argv = {"/bin/true"};
  auto child = start(options);
  ASSERT_NE(child, nullptr);
  const pid_t pid = child->pid();
  ASSERT_TRUE(kopiur::test::wait_until([&] { return proc_state(pid) == 'Z'; }, kPatience));
  child.reset();
  EXPECT_EQ(proc_state(pid), 0);
}

// --- concurrency (also run under ThreadSanitizer) ---------------------------------------------

TEST(Process, WaitInOneThreadSignalFromAnother) {
  SpawnOptions options;
  options.argv = {"/bin/sleep", "30"};
  auto child = start(options);
  ASSERT_NE(child, nullptr);
  ExitStatus seen;
  std::thread waiter([&] { seen = child->wait(); });
  EXPECT_TRUE(child->signal(SIGTERM));
  waiter.join();
  EXPECT_EQ(seen.signal, SIGTERM);
  EXPECT_FALSE(child->signal(SIGTERM));
}

TEST(Process, SeveralWaitersSeeOneStatus) {
  auto child = start(shell("sleep 30"));
  ASSERT_NE(child, nullptr);
  std::vector<ExitStatus> seen(3);
  std::vector<std::thread> waiters;
  for (auto& slot : seen) waiters.emplace_back([&child, &slot] { slot = child->wait(); });
  std::thread timed([&] {
    const auto status = child->wait_for(kPatience);
    EXPECT_TRUE(status.has_value());
  });
  EXPECT_TRUE(child->signal(SIGKILL));
  for (auto& waiter : waiters) waiter.join();
  timed.join();
  for (const auto& status : seen) EXPECT_EQ(status.signal, SIGKILL);
}

TEST(Process, SignalRacingTheReapNeverHitsAReapedChild) {
  for (int round = 0; round < 20; ++round) {
    SpawnOptions options;
    options.argv = {"/bin/true"};
    auto child = start(options);
    ASSERT_NE(child, nullptr);
    std::atomic<bool> stopped{false};
    std::thread signaller([&] {
      const auto deadline = std::chrono::steady_clock::now() + kPatience;
      while (child->signal(0) && std::chrono::steady_clock::now() < deadline) {
      }
      stopped = true;
    });
    EXPECT_TRUE(child->wait().success());
    signaller.join();
    EXPECT_TRUE(stopped);
    EXPECT_FALSE(child->signal(0));
  }
}

// --- current_environment ----------------------------------------------------------------------

TEST(CurrentEnvironment, ContainsWhatWasSet) {
  const std::string entry = "KOPIUR_PROCESS_TEST_MARKER=value-" + std::to_string(::getpid());
  ASSERT_EQ(::setenv("KOPIUR_PROCESS_TEST_MARKER", entry.substr(entry.find('=') + 1).c_str(), 1),
            0);
  const auto env = current_environment();
  ::unsetenv("KOPIUR_PROCESS_TEST_MARKER");
  EXPECT_NE(std::find(env.begin(), env.end(), entry), env.end());
  const auto after = current_environment();
  EXPECT_EQ(std::find(after.begin(), after.end(), entry), after.end());

  // Handed to a child, it arrives unchanged.
  SpawnOptions options;
  options.argv = {"/usr/bin/env"};
  options.env = env;
  options.stdout_to = Redirect::pipe();
  auto child = start(options);
  ASSERT_NE(child, nullptr);
  auto out = child->take_stdout();
  auto lines = split_lines(read_all(out.get()));
  EXPECT_TRUE(child->wait().success());
  EXPECT_NE(std::find(lines.begin(), lines.end(), entry), lines.end());
}

}  // namespace
}  // namespace kopiur::process
