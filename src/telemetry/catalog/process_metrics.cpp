// Process metrics from /proc/self (Linux), the values Prometheus client libraries export: one
// sample shared by the six families, read with plain system calls and parsed without streams,
// and shared by the collects of a short interval (a scrape is the hot path of /metrics: reading
// /proc/self/stat per scrape cost more than the rest of the scrape, HTTP included).
#include "kopiur/telemetry/process_metrics.hpp"

#include <array>
#include <charconv>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kopiur::telemetry {
namespace {

// ProcFile: a /proc file, closed on every path. A sampler keeps /proc/self/statm open and reads it
// again from offset 0 each time (procfs renders it anew per read from the start), which saves the
// open's path walk on every sample; pread needs no lock between concurrent samples.
class ProcFile {
 public:
  explicit ProcFile(const char* path) noexcept : fd_(::open(path, O_RDONLY | O_CLOEXEC)) {}
  ~ProcFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  ProcFile(const ProcFile&) = delete;
  ProcFile& operator=(const ProcFile&) = delete;

  // Reads a one-line file from its start into `buffer` (up to its size); the bytes read, empty on
  // failure. procfs renders such a file whole into one read large enough for it, so a short read
  // that ends the line is all of it (no second read to see the end).
  template <std::size_t N>
  std::string_view read_into(std::array<char, N>& buffer) const noexcept {
    if (fd_ < 0) return {};
    std::size_t used = 0;
    while (used < buffer.size()) {
      const std::size_t want = buffer.size() - used;
      const ssize_t n = ::pread(fd_, buffer.data() + used, want, static_cast<off_t>(used));
      if (n < 0) return {};
      if (n == 0) break;
      used += static_cast<std::size_t>(n);
      if (static_cast<std::size_t>(n) < want && buffer[used - 1] == '\n') break;
    }
    return {buffer.data(), used};
  }

  // Reads the whole file, however long (/proc/stat grows with CPUs and interrupt lines).
  std::string read_all() const {
    std::string text;
    if (fd_ < 0) return text;
    std::array<char, 16 * 1024> chunk{};
    while (true) {
      const ssize_t n = ::read(fd_, chunk.data(), chunk.size());
      if (n <= 0) return n == 0 ? text : std::string();
      text.append(chunk.data(), static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_;
};

// The next space-separated token of `rest`, consumed.
std::string_view proc_next_token(std::string_view& rest) noexcept {
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\n')) rest.remove_prefix(1);
  std::size_t end = 0;
  while (end < rest.size() && rest[end] != ' ' && rest[end] != '\n') ++end;
  const std::string_view token = rest.substr(0, end);
  rest.remove_prefix(end);
  return token;
}

std::optional<std::int64_t> proc_parse_int(std::string_view token) noexcept {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (ec != std::errc() || end != token.data() + token.size() || token.empty()) return std::nullopt;
  return value;
}

// Descriptors open in this process. Since Linux 6.2 the size of /proc/self/fd is that count, a
// bitmap count in the kernel; before, it is 0 and the directory is listed (an entry rendered per
// descriptor: most of a scrape's CPU with a thousand connections open), minus the listing's own.
std::optional<std::int64_t> proc_count_open_fds() noexcept {
  struct stat info {};
  if (::stat("/proc/self/fd", &info) == 0 && info.st_size > 0) return info.st_size;
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return std::nullopt;
  const int own = ::dirfd(dir);
  std::int64_t count = 0;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string_view name(entry->d_name);
    if (name == "." || name == "..") continue;
    if (proc_parse_int(name) == own) continue;
    ++count;
  }
  ::closedir(dir);
  return count;
}

std::optional<std::int64_t> proc_max_fds() noexcept {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return std::nullopt;
  return limit.rlim_cur == RLIM_INFINITY ? std::int64_t{-1}
                                         : static_cast<std::int64_t>(limit.rlim_cur);
}

}  // namespace

ProcessSample parse_proc_stat(std::string_view stat, long ticks_per_second, long page_size,
                              std::optional<double> boot_time_seconds) noexcept {
  ProcessSample s;
  // The command name is parenthesised and may hold anything, ')' included: fields start after the
  // last ')'. Token 0 is field 3 (state) of proc(5); utime is field 14, stime 15, starttime 22,
  // vsize 23, rss 24.
  const std::size_t close = stat.rfind(')');
  if (close == std::string_view::npos || ticks_per_second <= 0 || page_size <= 0) return s;
  std::string_view rest = stat.substr(close + 1);
  std::array<std::optional<std::int64_t>, 22> fields{};
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const std::string_view token = proc_next_token(rest);
    if (token.empty()) return s;  // too short: nothing is trustworthy
    if (i >= 11) fields[i] = proc_parse_int(token);
  }
  const auto ticks = static_cast<double>(ticks_per_second);
  if (fields[11] && fields[12]) {
    s.cpu_seconds = static_cast<double>(*fields[11] + *fields[12]) / ticks;
  }
  if (fields[19] && boot_time_seconds) {
    s.start_time_seconds = *boot_time_seconds + static_cast<double>(*fields[19]) / ticks;
  }
  s.virtual_bytes = fields[20];
  if (fields[21]) s.resident_bytes = *fields[21] * page_size;
  return s;
}

std::optional<double> read_boot_time_seconds() {
  const std::string text = ProcFile("/proc/stat").read_all();
  constexpr std::string_view kKey = "\nbtime ";
  const std::size_t at = text.find(kKey);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = std::string_view(text).substr(at + kKey.size());
  const std::optional<std::int64_t> seconds = proc_parse_int(proc_next_token(rest));
  if (!seconds) return std::nullopt;
  return static_cast<double>(*seconds);
}

namespace {

// The CPU time of every thread, live and ended, the value /proc/self/stat's utime and stime give
// in clock ticks, here in microseconds and without the text the kernel would render and we parse.
std::optional<double> cpu_seconds_now() noexcept {
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) != 0) return std::nullopt;
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// /proc/self/statm: the virtual and resident sizes in pages, the same counters as /proc/self/stat's
// vsize and rss, read without the per-thread walk that rendering the stat line costs.
void read_statm(const ProcFile& statm, ProcessSample& s) noexcept {
  std::array<char, 256> buffer{};  // seven numbers
  std::string_view rest = statm.read_into(buffer);
  const std::optional<std::int64_t> size = proc_parse_int(proc_next_token(rest));
  const std::optional<std::int64_t> resident = proc_parse_int(proc_next_token(rest));
  const long page_size = ::sysconf(_SC_PAGESIZE);
  if (page_size <= 0) return;
  if (size) s.virtual_bytes = *size * page_size;
  if (resident) s.resident_bytes = *resident * page_size;
}

// What never changes for a process, read once: its start time (/proc/self/stat's starttime and
// /proc/stat's boot time).
std::optional<double> read_start_time_seconds(std::optional<double> boot_time_seconds) {
  std::array<char, 4096> buffer{};  // a stat line is well under 1 KiB
  const std::string_view stat = ProcFile("/proc/self/stat").read_into(buffer);
  return parse_proc_stat(stat, ::sysconf(_SC_CLK_TCK), ::sysconf(_SC_PAGESIZE), boot_time_seconds)
      .start_time_seconds;
}

ProcessSample sample_from(const ProcFile& statm, std::optional<double> start_time_seconds) {
  ProcessSample s;
  s.cpu_seconds = cpu_seconds_now();
  read_statm(statm, s);
  s.open_fds = proc_count_open_fds();
  s.max_fds = proc_max_fds();
  s.start_time_seconds = start_time_seconds;
  return s;
}

// Shares one sample among the collects within max_age of it (see the header); every collect
// samples anew when max_age is zero.
class SharedSample {
 public:
  SharedSample(ProcessSampler sampler, std::chrono::nanoseconds max_age)
      : sampler_(std::move(sampler)), max_age_(max_age) {}

  ProcessSample get() {
    std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    // With max_age zero (or less) the age test always passes: the steady clock never goes back.
    if (!last_ || now - taken_ >= max_age_) {
      last_ = sampler_();
      taken_ = now;
    }
    return *last_;
  }

 private:
  std::mutex mutex_;  // concurrent collects (a provider's readers)
  ProcessSampler sampler_;
  std::chrono::nanoseconds max_age_;
  std::optional<ProcessSample> last_;
  std::chrono::steady_clock::time_point taken_;
};

}  // namespace

ProcessSample read_process_sample(std::optional<double> boot_time_seconds) {
  return sample_from(ProcFile("/proc/self/statm"), read_start_time_seconds(boot_time_seconds));
}

void register_process_metrics(metrics::Meter& meter, ProcessSampler sampler,
                              std::chrono::nanoseconds max_age) {
  if (!sampler) {
    sampler = [start = read_start_time_seconds(read_boot_time_seconds()),
               statm = std::make_shared<const ProcFile>("/proc/self/statm")] {
      return sample_from(*statm, start);
    };
  }
  auto shared = std::make_shared<SharedSample>(std::move(sampler), max_age);
  struct Instruments {
    metrics::ObservableInstrument cpu;
    metrics::ObservableInstrument resident;
    metrics::ObservableInstrument virtual_memory;
    metrics::ObservableInstrument open_fds;
    metrics::ObservableInstrument max_fds;
    metrics::ObservableInstrument start_time;
  };
  const Instruments in{
      meter.create_observable_counter_double("process_cpu", "s",
                                             "Total user and system CPU time spent in seconds."),
      meter.create_observable_gauge_i64("process_resident_memory_bytes", "By",
                                        "Resident memory size in bytes."),
      meter.create_observable_gauge_i64("process_virtual_memory_bytes", "By",
                                        "Virtual memory size in bytes."),
      meter.create_observable_gauge_i64("process_open_fds", "", "Number of open file descriptors."),
      meter.create_observable_gauge_i64("process_max_fds", "",
                                        "Maximum number of open file descriptors."),
      meter.create_observable_gauge_double(
          "process_start_time_seconds", "s",
          "Start time of the process since unix epoch in seconds."),
  };
  meter.register_callback(
      {in.cpu, in.resident, in.virtual_memory, in.open_fds, in.max_fds, in.start_time},
      [in, shared](metrics::BatchObservableResult& r) {
        // One sample for the whole collect: the six values describe one moment.
        const ProcessSample s = shared->get();
        if (s.cpu_seconds) r.observe(in.cpu, *s.cpu_seconds);
        if (s.resident_bytes) r.observe(in.resident, *s.resident_bytes);
        if (s.virtual_bytes) r.observe(in.virtual_memory, *s.virtual_bytes);
        if (s.open_fds) r.observe(in.open_fds, *s.open_fds);
        if (s.max_fds) r.observe(in.max_fds, *s.max_fds);
        if (s.start_time_seconds) r.observe(in.start_time, *s.start_time_seconds);
      });
}

}  // namespace kopiur::telemetry
