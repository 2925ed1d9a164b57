// File: tests/integration/child_process.hpp
//
// ChildProcess: runs a program (through kopiur_process) with arguments and extra environment,
// captures its stdout and stderr on background threads, and lets a test await output, send
// signals and wait for exit with a deadline. The destructor kills a child that is still running.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <sys/types.h>

#include "kopiur/process/process.hpp"

namespace kopiur::test {

class ChildProcess {
 public:
  ChildProcess(std::string program, std::vector<std::string> args,
               std::map<std::string, std::string> env = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  void signal(int signo) const;  // to the child only (it shares the test's process group)
  // The exit code (128+signo when killed by a signal), or nullopt if still running at the deadline.
  // Once it returns a code, out() and err() hold everything the child wrote.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  // Blocks until `pred(stdout_so_far)` holds or the deadline passes; returns whether it held.
  bool wait_for_stdout(const std::function<bool(const std::string&)>& pred,
                       std::chrono::milliseconds timeout);
  std::string out() const;
  std::string err() const;
  pid_t pid() const { return process_->pid(); }

 private:
  void pump(process::UniqueFd fd, std::string* sink);

  std::unique_ptr<process::Process> process_;
  std::optional<int> exit_code_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string out_, err_;
  std::thread out_thread_, err_thread_;
};

// Runs a program to completion (with a deadline) and returns {exit code, stdout, stderr}.
struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
RunResult run_program(const std::string& program, const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& env = {},
                      std::chrono::milliseconds timeout = std::chrono::seconds(30));

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_tcp_port();

// The path of a built program (<build tree>/src/bin/<name>).
std::string program_path(const std::string& name);

}  // namespace kopiur::test
