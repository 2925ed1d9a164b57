// Warnings about the logging configuration reach the output whatever the filter says.
#include <map>

#include <gtest/gtest.h>

#include "kopiur/telemetry/log/init.hpp"

namespace kopiur::telemetry::log {
namespace {

EnvLookup env_of(std::map<std::string, std::string> values) {
  return [values = std::move(values)](std::string_view name) -> std::optional<std::string> {
    auto it = values.find(std::string(name));
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

std::vector<std::string> emitted(std::map<std::string, std::string> env,
                                 std::vector<std::string> deferred = {}) {
  auto sink = std::make_shared<CaptureSink>();
  TracingConfig config;
  config.service_name = "kopiur-test";
  config.env = env_of(std::move(env));
  config.sink = sink;
  config.is_tty = false;
  config.deferred_warnings = std::move(deferred);
  LoggerSetup setup = build_logger(config);
  setup.emit_pending(config.service_name, "");
  return sink->lines();
}

bool mentions(const std::vector<std::string>& lines, std::string_view text) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& l) { return l.find(text) != std::string::npos; });
}

TEST(ConfigWarnings, ReachTheOutputWhateverTheFilter) {
  // The case of the issue: both mistakes were silent before.
  const auto lines = emitted({{"RUST_LOG", "error,kopia=verbose"}, {"KOPIUR_LOG_FORMAT", "yaml"}});
  EXPECT_TRUE(mentions(lines, "KOPIUR_LOG_FORMAT")) << ::testing::PrintToString(lines);
  EXPECT_TRUE(mentions(lines, "`kopia=verbose`")) << ::testing::PrintToString(lines);
  // The start-up line is an ordinary INFO event: `error` hides it.
  EXPECT_FALSE(mentions(lines, "telemetry configured")) << ::testing::PrintToString(lines);
}

TEST(ConfigWarnings, EvenWithEverythingOff) {
  const auto lines = emitted({{"RUST_LOG", "off,kopia=loud"}}, {"OTLP endpoint is not a URL"});
  EXPECT_EQ(lines.size(), 2U) << ::testing::PrintToString(lines);
  EXPECT_TRUE(mentions(lines, "`kopia=loud`"));
  EXPECT_TRUE(mentions(lines, "OTLP endpoint is not a URL"));
}

TEST(ConfigWarnings, NoneWhenTheConfigurationIsFine) {
  const auto lines = emitted({{"RUST_LOG", "warn"}, {"KOPIUR_LOG_FORMAT", "json"}});
  EXPECT_TRUE(lines.empty()) << ::testing::PrintToString(lines);
}

}  // namespace
}  // namespace kopiur::telemetry::log
