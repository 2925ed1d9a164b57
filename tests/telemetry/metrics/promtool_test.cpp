// `promtool check metrics` (the Debian package `prometheus`) on the exposition of every
// instrument type with nasty label values: it must report nothing.
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <sys/wait.h>

#include "kopiur/telemetry/metrics/process.hpp"

#include "metrics_test_util.hpp"

namespace kopiur::telemetry::metrics {
namespace {

constexpr const char* kPromtool = "/usr/bin/promtool";

struct CommandResult {
  int exit_code = -1;
  std::string output;
};

CommandResult promtool_check(const std::string& exposition) {
  const std::filesystem::path file = std::filesystem::temp_directory_path() /
                                     ("kopiur_promtool_" + std::to_string(::getpid()) + ".prom");
  {
    std::ofstream out(file, std::ios::binary);
    out << exposition;
  }
  const std::string command =
      std::string(kPromtool) + " check metrics < '" + file.string() + "' 2>&1";
  CommandResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) result.output.append(buf.data(), n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::filesystem::remove(file);
  return result;
}

TEST(Promtool, EveryInstrumentTypeWithNastyLabelsPassesTheLinter) {
  if (!std::filesystem::exists(kPromtool)) GTEST_SKIP() << "promtool not installed";
  MeterProvider provider;
  Meter m = provider.meter();
  const std::vector<Attribute> nasty = {{"path", "C:\\dir\\\"quoted\"\nline2"},
                                        {"empty", ""},
                                        {"k8s.pod.name", "pod-ünï-😀"},
                                        {"9lives", "x"}};
  m.create_counter_u64("kopiur_nasty_requests", "{request}", "Requests \\ with \"help\"\nlines.")
      .add(3, nasty);
  m.create_counter_double("kopiur_nasty_work", "s", "Work done.").add(1.5, nasty);
  m.create_up_down_counter_i64("kopiur_nasty_inflight", "{request}", "In flight.").add(-2, nasty);
  m.create_up_down_counter_double("kopiur_nasty_level", "1", "Level.").add(0.5, nasty);
  m.create_gauge_i64("kopiur_nasty_size_bytes", "By", "Size.").set(1024, nasty);
  m.create_gauge_double("kopiur_nasty_temperature", "Cel", "Temperature.").set(-3.5, nasty);
  m.create_gauge_double("kopiur_nasty.dotted-name", "", "Dotted name.").set(1, nasty);
  auto h = m.create_histogram("kopiur_nasty_duration", "s", "Duration.");
  for (double v : {0.0, 3.0, 11.0, 20000.0}) h.record(v, nasty);
  m.create_counter_double("kopiur_nasty_rejections", "", "Rejections.").add(-1);  // self-metric
  register_process_metrics(m);

  PrometheusReader reader(provider, build_resource({.service_name = "kopiur-test"}).resource);
  const std::string text = reader.scrape("text/plain").body;
  ASSERT_NE(text.find("kopiur_nasty_duration_seconds_bucket"), std::string::npos);
  ASSERT_NE(text.find("kopiur_telemetry_metric_rejected_records_total"), std::string::npos);
  const CommandResult r = promtool_check(text);
  EXPECT_EQ(r.exit_code, 0) << r.output << "\n--- exposition ---\n" << text;
  EXPECT_EQ(r.output, "") << "\n--- exposition ---\n" << text;
}

TEST(Promtool, TheLinterDoesCatchProblems) {
  // The check above can fail: a counter without _total is reported.
  if (!std::filesystem::exists(kPromtool)) GTEST_SKIP() << "promtool not installed";
  const CommandResult r = promtool_check("# HELP bad Bad.\n# TYPE bad counter\nbad 1\n");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output, "");
}

}  // namespace
}  // namespace kopiur::telemetry::metrics
