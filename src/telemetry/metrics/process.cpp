// Process metrics from /proc/self (Linux), the way Prometheus client libraries compute them.
#include "kopiur/telemetry/metrics/process.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

namespace kopiur::telemetry::metrics {
namespace {

std::string read_file(const char* path) {
  std::ifstream in(path);
  if (!in) return {};
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Fields of /proc/self/stat after the parenthesised command name (which may contain spaces):
// index 0 is field 3 (state).
std::vector<std::string> stat_fields() {
  const std::string stat = read_file("/proc/self/stat");
  const std::size_t close = stat.rfind(')');
  if (close == std::string::npos) return {};
  std::istringstream in(stat.substr(close + 1));
  return {std::istream_iterator<std::string>(in), std::istream_iterator<std::string>()};
}

std::optional<double> boot_time_seconds() {
  std::istringstream in(read_file("/proc/stat"));
  std::string key;
  while (in >> key) {
    if (key == "btime") {
      double value = 0;
      if (in >> value) return value;
      return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace

ProcessSample read_process_sample() {
  ProcessSample s;
  try {
    const std::vector<std::string> f = stat_fields();
    const long ticks = sysconf(_SC_CLK_TCK);
    const long page = sysconf(_SC_PAGESIZE);
    // Fields (1-based in proc(5)): utime 14, stime 15, starttime 22, vsize 23, rss 24.
    if (f.size() > 21 && ticks > 0 && page > 0) {
      const double utime = std::stod(f[11]);
      const double stime = std::stod(f[12]);
      s.cpu_seconds = (utime + stime) / static_cast<double>(ticks);
      s.virtual_bytes = std::stoll(f[20]);
      s.resident_bytes = std::stoll(f[21]) * page;
      if (const std::optional<double> boot = boot_time_seconds()) {
        s.start_time_seconds = *boot + std::stod(f[19]) / static_cast<double>(ticks);
      }
    }
    std::error_code ec;
    std::int64_t fds = 0;
    for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
         it.increment(ec)) {
      ++fds;
    }
    if (!ec) s.open_fds = fds > 0 ? fds - 1 : 0;  // minus the iterator's own descriptor
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
      s.max_fds = limit.rlim_cur == RLIM_INFINITY ? std::int64_t{-1}
                                                  : static_cast<std::int64_t>(limit.rlim_cur);
    }
  } catch (...) {
    // A malformed /proc line leaves the remaining values absent.
  }
  return s;
}

void register_process_metrics(Meter& meter) {
  meter.create_observable_counter_double("process_cpu", "s",
                                         "Total user and system CPU time spent in seconds.",
                                         [](ObservableResult& r) {
                                           if (auto v = read_process_sample().cpu_seconds)
                                             r.observe(*v);
                                         });
  meter.create_observable_gauge_i64("process_resident_memory_bytes", "By",
                                    "Resident memory size in bytes.", [](ObservableResult& r) {
                                      if (auto v = read_process_sample().resident_bytes) {
                                        r.observe(*v);
                                      }
                                    });
  meter.create_observable_gauge_i64("process_virtual_memory_bytes", "By",
                                    "Virtual memory size in bytes.", [](ObservableResult& r) {
                                      if (auto v = read_process_sample().virtual_bytes) {
                                        r.observe(*v);
                                      }
                                    });
  meter.create_observable_gauge_i64("process_open_fds", "", "Number of open file descriptors.",
                                    [](ObservableResult& r) {
                                      if (auto v = read_process_sample().open_fds) r.observe(*v);
                                    });
  meter.create_observable_gauge_i64(
      "process_max_fds", "", "Maximum number of open file descriptors.", [](ObservableResult& r) {
        if (auto v = read_process_sample().max_fds) r.observe(*v);
      });
  meter.create_observable_gauge_double("process_start_time_seconds", "s",
                                       "Start time of the process since unix epoch in seconds.",
                                       [](ObservableResult& r) {
                                         if (auto v = read_process_sample().start_time_seconds)
                                           r.observe(*v);
                                       });
}

}  // namespace kopiur::telemetry::metrics
