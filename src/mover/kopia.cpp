// Running kopia: clean env, line-by-line forwarding, bounded tail, SIGTERM then SIGKILL on cancel.
#include "kopiur/mover/kopia.hpp"

#undef KOPIUR_LOG_TARGET
#define KOPIUR_LOG_TARGET "kopiur_mover"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <optional>

#include <poll.h>
#include <unistd.h>

#include "kopiur/telemetry/log/forwarder.hpp"
#include "kopiur/telemetry/log/log.hpp"

namespace kopiur::mover {

namespace log = telemetry::log;
using Clock = std::chrono::steady_clock;

namespace {

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

std::string last_error_line(const std::vector<std::string>& lines) {
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    if (it->rfind("ERROR ", 0) == 0) return it->substr(6);
  }
  return {};
}

// Reads what is available on `fd`; returns false at end of file (or a read error).
bool pump(int fd, log::ChildOutputForwarder& forward, std::string* keep, std::size_t keep_max,
          bool* truncated) {
  char buf[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    const std::string_view chunk(buf, static_cast<std::size_t>(n));
    forward.feed(chunk);
    if (keep != nullptr) {
      const std::size_t room = keep_max > keep->size() ? keep_max - keep->size() : 0;
      keep->append(chunk.substr(0, room));
      if (chunk.size() > room) *truncated = true;
    }
    return true;
  }
}

}  // namespace

std::string KopiaRun::describe() const {
  std::string text = "kopia " + command + ": ";
  if (!spawn_error.empty()) return text + spawn_error;
  if (cancelled) return text + "stopped on shutdown (" + status.describe() + ")";
  text += status.describe();
  if (!error_line.empty()) text += ": " + error_line;
  return text;
}

// Reads kopia's stdout and stderr until both close, stopping kopia once cancelled() turns true:
// SIGTERM to its process group, SIGKILL after the grace.
void Kopia::stream(process::Process& child, KopiaRun& result) const {
  process::UniqueFd out = child.take_stdout();
  process::UniqueFd err = child.take_stderr();
  log::ChildOutputForwarder err_lines(
      {.tail_lines = options_.tail_lines, .tail_bytes = options_.tail_bytes});
  log::ChildOutputForwarder out_lines({.tail_lines = 0, .tail_bytes = 0});
  std::optional<Clock::time_point> term_sent;
  bool kill_sent = false;
  while (out.valid() || err.valid()) {
    pollfd fds[2];
    nfds_t n = 0;
    if (out.valid()) fds[n++] = {out.get(), POLLIN, 0};
    if (err.valid()) fds[n++] = {err.get(), POLLIN, 0};
    const int ready = ::poll(fds, n, 100);  // also the cancellation check's period
    for (nfds_t i = 0; ready > 0 && i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == out.get()) {
        if (!pump(out.get(), out_lines, &result.out, options_.max_stdout_bytes,
                  &result.out_truncated)) {
          out.reset();
        }
      } else if (!pump(err.get(), err_lines, nullptr, 0, nullptr)) {
        err.reset();
      }
    }
    if (!term_sent && options_.cancelled && options_.cancelled()) {
      KOPIUR_WARN("stopping kopia on shutdown", log::kv("command", result.command));
      child.signal(SIGTERM);
      term_sent = Clock::now();
      result.cancelled = true;
    }
    if (term_sent && !kill_sent && Clock::now() - *term_sent >= options_.kill_grace) {
      KOPIUR_WARN("kopia ignored SIGTERM; killing it", log::kv("command", result.command));
      child.signal(SIGKILL);
      kill_sent = true;
    }
  }
  err_lines.finish();
  out_lines.finish();
  result.tail = err_lines.tail();
  result.error_line = last_error_line(err_lines.tail_lines());
}

KopiaRun Kopia::run(const std::vector<std::string>& command,
                    const std::vector<std::string>& args) const {
  KopiaRun result;
  result.command = join(command);
  const auto span = KOPIUR_INFO_SPAN("kopia", log::kv("command", result.command));
  const auto entered = span.enter();
  const auto started = Clock::now();
  if (options_.cancelled && options_.cancelled()) {  // stopping: start nothing new
    result.cancelled = true;
    span.record_error(result.describe());
    return result;
  }
  process::SpawnOptions spawn;
  spawn.argv.push_back(options_.binary);
  spawn.argv.insert(spawn.argv.end(), command.begin(), command.end());
  spawn.argv.insert(spawn.argv.end(), args.begin(), args.end());
  spawn.argv.push_back("--config-file=" + options_.config_file);
  spawn.env = options_.env;
  spawn.stdout_to = process::Redirect::pipe();
  spawn.stderr_to = process::Redirect::pipe();
  spawn.kill_group_on_exit = true;
  KOPIUR_DEBUG("running kopia", log::kv("command", result.command));
  auto spawned = process::Process::spawn(spawn);
  if (!spawned.process) {
    result.spawn_error = spawned.error;
    span.record_error(result.describe());
    return result;
  }
  stream(*spawned.process, result);
  result.status = spawned.process->wait();
  result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  if (!result.ok()) span.record_error(result.describe());
  return result;
}

std::vector<std::string> kopia_environment(const std::vector<std::string>& parent,
                                           const std::string& work_dir, const std::string& password,
                                           const std::vector<std::string>& credentials) {
  std::vector<std::string> env;
  std::string path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const auto& entry : parent) {
    if (entry.rfind("PATH=", 0) == 0) path = entry;
    if (entry.rfind("KOPIA_", 0) != 0) continue;
    const auto named = [&](const std::string& c) {
      return entry.compare(0, c.find('=') + 1, c, 0, c.find('=') + 1) == 0;
    };
    if (std::any_of(credentials.begin(), credentials.end(), named)) continue;
    if (entry.rfind("KOPIA_PASSWORD=", 0) == 0 || entry.rfind("KOPIA_CONFIG_PATH=", 0) == 0 ||
        entry.rfind("KOPIA_LOG_DIR=", 0) == 0 || entry.rfind("KOPIA_CACHE_DIRECTORY=", 0) == 0 ||
        entry.rfind("KOPIA_CHECK_FOR_UPDATES=", 0) == 0) {
      continue;
    }
    env.push_back(entry);
  }
  env.push_back(path);
  env.push_back("HOME=" + work_dir);
  env.push_back("KOPIA_PASSWORD=" + password);
  env.push_back("KOPIA_CHECK_FOR_UPDATES=false");
  env.push_back("KOPIA_LOG_DIR=" + work_dir + "/logs");
  env.push_back("KOPIA_CACHE_DIRECTORY=" + work_dir + "/cache");
  env.insert(env.end(), credentials.begin(), credentials.end());
  return env;
}

}  // namespace kopiur::mover
