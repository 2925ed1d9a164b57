#include "child_process.hpp"

#include <cstdlib>
#include <stdexcept>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace kopiur::test {

ChildProcess::ChildProcess(std::string program, std::vector<std::string> args,
                           std::map<std::string, std::string> env) {
  // The test's environment with `env` on top, as setenv() in a forked child would give.
  std::map<std::string, std::string> merged;
  for (const auto& entry : process::current_environment()) {
    const auto eq = entry.find('=');
    if (eq != std::string::npos) merged[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (auto& [k, v] : env) merged[k] = v;
  process::SpawnOptions options;
  options.argv.push_back(std::move(program));
  for (auto& a : args) options.argv.push_back(std::move(a));
  for (const auto& [k, v] : merged) options.env.push_back(k + "=" + v);
  options.stdout_to = process::Redirect::pipe();
  options.stderr_to = process::Redirect::pipe();
  options.new_session = false;  // signals go to the program alone, as a test sends them
  auto started = process::Process::spawn(options);
  if (!started.process)
    throw std::runtime_error("cannot start " + options.argv[0] + ": " + started.error);
  process_ = std::move(started.process);
  out_thread_ =
      std::thread([this, fd = process_->take_stdout()]() mutable { pump(std::move(fd), &out_); });
  err_thread_ =
      std::thread([this, fd = process_->take_stderr()]() mutable { pump(std::move(fd), &err_); });
}

ChildProcess::~ChildProcess() {
  if (!exit_code_) {
    process_->signal(SIGKILL);
    wait(std::chrono::seconds(10));
  }
  if (out_thread_.joinable()) out_thread_.join();
  if (err_thread_.joinable()) err_thread_.join();
}

void ChildProcess::pump(process::UniqueFd fd, std::string* sink) {
  char buf[4096];
  for (;;) {
    const ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n <= 0) break;
    {
      std::lock_guard lock(mu_);
      sink->append(buf, static_cast<std::size_t>(n));
    }
    cv_.notify_all();
  }
}

void ChildProcess::signal(int signo) const { process_->signal(signo); }

std::optional<int> ChildProcess::wait(std::chrono::milliseconds timeout) {
  if (exit_code_) return exit_code_;
  const auto status = process_->wait_for(timeout);
  if (!status) return std::nullopt;
  exit_code_ = status->combined();
  // The pipes close with the child, so the captured output is complete once the pumps end.
  if (out_thread_.joinable()) out_thread_.join();
  if (err_thread_.joinable()) err_thread_.join();
  return exit_code_;
}

bool ChildProcess::wait_for_stdout(const std::function<bool(const std::string&)>& pred,
                                   std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return pred(out_); });
}

std::string ChildProcess::out() const {
  std::lock_guard lock(mu_);
  return out_;
}

std::string ChildProcess::err() const {
  std::lock_guard lock(mu_);
  return err_;
}

RunResult run_program(const std::string& program, const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& env,
                      std::chrono::milliseconds timeout) {
  ChildProcess child(program, args, env);
  RunResult result;
  result.exit_code = child.wait(timeout).value_or(-1);
  result.out = child.out();
  result.err = child.err();
  return result;
}

int free_tcp_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

std::string program_path(const std::string& name) {
  return std::string(KOPIUR_TEST_BINARY_DIR) + "/src/bin/" + name;
}

}  // namespace kopiur::test
