// Logging benchmarks: kopiur_log against spdlog, measured in one binary and one run.
//
//   kopiur_bench_log --benchmark_repetitions=3 --benchmark_report_aggregates_only
//
// Both libraries format the full line and hand it to a sink that discards it (no syscall), so
// the numbers compare the logging path itself. The spdlog lines are built to the same shape
// (its pattern carries the span text; its JSON does no escaping, so it does less work).
#include <atomic>
#include <memory>

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <spdlog/details/null_mutex.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>
#include <unistd.h>

#include "kopiur/telemetry/log/dispatcher.hpp"
#include "kopiur/telemetry/log/fmt_layer.hpp"
#include "kopiur/telemetry/log/log.hpp"
#include "kopiur/telemetry/log/sink.hpp"

namespace {

namespace log = kopiur::telemetry::log;

// A spdlog sink that formats every message like a real sink, then drops the bytes.
class FormattingNullSink final : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
 public:
  std::size_t bytes = 0;

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t buf;
    formatter_->format(msg, buf);
    bytes += buf.size();
  }
  void flush_() override {}
};

std::shared_ptr<spdlog::logger> make_spdlog(const std::string& pattern) {
  auto sink = std::make_shared<FormattingNullSink>();
  auto logger = std::make_shared<spdlog::logger>("kopiur_controller::backup", sink);
  logger->set_pattern(pattern, spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::info);
  return logger;
}

struct KopiurSetup {
  std::shared_ptr<log::Sink> sink;
  std::shared_ptr<log::Dispatcher> dispatcher;
  explicit KopiurSetup(log::LogFormat format, std::shared_ptr<log::Sink> out = nullptr) {
    sink = out != nullptr ? std::move(out) : std::make_shared<log::NullSink>();
    log::DispatcherOptions opts;
    opts.filter = log::Filter::parse("info").filter;
    opts.layers.push_back(log::make_fmt_layer(sink, {.format = format, .ansi = false}));
    opts.default_target = "kopiur_controller::backup";
    dispatcher = log::Dispatcher::create(std::move(opts));
  }
};

// The floor: what gate 2 costs by itself.
void BM_Baseline_RelaxedAtomicLoad(benchmark::State& state) {
  std::atomic<int> level{3};
  for (auto _ : state) {
    int v = level.load(std::memory_order_relaxed);
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_Baseline_RelaxedAtomicLoad);

void BM_Kopiur_FilteredOutDebug(benchmark::State& state) {
  KopiurSetup setup(log::LogFormat::kText);
  log::Dispatcher::ScopedDefault use(setup.dispatcher);
  std::int64_t i = 0;
  for (auto _ : state) {
    KOPIUR_DEBUG("backup finished", log::kv("bytes", i), log::kv("files", 42),
                 log::kv("repo", "s3://bucket/path"));
    benchmark::ClobberMemory();
    ++i;
  }
}
BENCHMARK(BM_Kopiur_FilteredOutDebug);

void BM_Spdlog_FilteredOutDebug(benchmark::State& state) {
  auto logger = make_spdlog("%v");
  std::int64_t i = 0;
  for (auto _ : state) {
    logger->debug("backup finished bytes={} files={} repo={}", i, 42, "s3://bucket/path");
    benchmark::ClobberMemory();
    ++i;
  }
}
BENCHMARK(BM_Spdlog_FilteredOutDebug);

void BM_Kopiur_TextSpan3Fields(benchmark::State& state) {
  KopiurSetup setup(log::LogFormat::kText);
  log::Dispatcher::ScopedDefault use(setup.dispatcher);
  auto span = KOPIUR_INFO_SPAN("reconcile", log::kv("kind", "Backup"), log::kv("namespace", "ns"),
                               log::kv("name", "x"));
  auto entered = span.enter();
  std::int64_t i = 0;
  for (auto _ : state) {
    KOPIUR_INFO("backup finished", log::kv("bytes", i), log::kv("files", 42),
                log::kv("repo", "s3://bucket/path"));
    ++i;
  }
}
BENCHMARK(BM_Kopiur_TextSpan3Fields);

void BM_Spdlog_Text3Args(benchmark::State& state) {
  auto logger =
      make_spdlog("%Y-%m-%dT%H:%M:%S.%fZ %l reconcile{kind=Backup namespace=ns name=x}: %n: %v");
  std::int64_t i = 0;
  for (auto _ : state) {
    logger->info("backup finished bytes={} files={} repo={}", i, 42, "s3://bucket/path");
    ++i;
  }
}
BENCHMARK(BM_Spdlog_Text3Args);

void BM_Kopiur_JsonSpan3Fields(benchmark::State& state) {
  KopiurSetup setup(log::LogFormat::kJson);
  log::Dispatcher::ScopedDefault use(setup.dispatcher);
  auto span = KOPIUR_INFO_SPAN("reconcile", log::kv("kind", "Backup"), log::kv("namespace", "ns"),
                               log::kv("name", "x"));
  auto entered = span.enter();
  std::int64_t i = 0;
  for (auto _ : state) {
    KOPIUR_INFO("backup finished", log::kv("bytes", i), log::kv("files", 42),
                log::kv("repo", "s3://bucket/path"));
    ++i;
  }
}
BENCHMARK(BM_Kopiur_JsonSpan3Fields);

void BM_Spdlog_Json3Args(benchmark::State& state) {
  // The same line shape; spdlog neither escapes nor validates UTF-8, so this is a lower bound.
  auto logger = make_spdlog(
      R"({"timestamp":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","fields":{"message":%v},)"
      R"("target":"%n","span":{"kind":"Backup","namespace":"ns","name":"x","name":"reconcile"},)"
      R"("trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7"})");
  std::int64_t i = 0;
  for (auto _ : state) {
    logger->info(R"("backup finished","bytes":{},"files":{},"repo":"{}")", i, 42,
                 "s3://bucket/path");
    ++i;
  }
}
BENCHMARK(BM_Spdlog_Json3Args);

// For scale: the same text line through the real stdout path (one write(2) to /dev/null).
void BM_Kopiur_TextSpan3Fields_DevNullFd(benchmark::State& state) {
  const int fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  {
    KopiurSetup setup(log::LogFormat::kText, std::make_shared<log::FdSink>(fd));
    log::Dispatcher::ScopedDefault use(setup.dispatcher);
    auto span = KOPIUR_INFO_SPAN("reconcile", log::kv("kind", "Backup"), log::kv("namespace", "ns"),
                                 log::kv("name", "x"));
    auto entered = span.enter();
    std::int64_t i = 0;
    for (auto _ : state) {
      KOPIUR_INFO("backup finished", log::kv("bytes", i), log::kv("files", 42),
                  log::kv("repo", "s3://bucket/path"));
      ++i;
    }
  }
  ::close(fd);
}
BENCHMARK(BM_Kopiur_TextSpan3Fields_DevNullFd);

}  // namespace

BENCHMARK_MAIN();
