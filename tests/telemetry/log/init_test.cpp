// init_tracing() installs the process-wide logger: one test in its own binary, so the order of
// the checks is the order things happen in a real process.
#include "kopiur/telemetry/log/init.hpp"

#include <map>

#include <gtest/gtest.h>

#include "kopiur/support/json.hpp"
#include "kopiur/telemetry/context.hpp"
#include "kopiur/telemetry/log/log.hpp"

namespace kopiur::telemetry::log {
namespace {

EnvLookup fake_env(std::map<std::string, std::string> values) {
  return [values = std::move(values)](std::string_view name) -> std::optional<std::string> {
    auto it = values.find(std::string(name));
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

class CountingLayer final : public Layer {
 public:
  void on_event(const Event& /*event*/) noexcept override { ++events; }
  void shutdown(std::chrono::milliseconds /*timeout*/) noexcept override { ++shutdowns; }
  std::atomic<int> events{0};
  std::atomic<int> shutdowns{0};
};

TEST(InitTracing, FatalWhenOutputIsClosed) {
  // Defined first so it also runs before the install below when the binary runs whole.
  ASSERT_EQ(installed_dispatcher(), nullptr);
  std::string reason;
  TracingGuard guard = init_tracing({.output_fd = 1000,  // not open
                                     .on_fatal = [&](std::string_view why) { reason = why; }});
  EXPECT_FALSE(guard.active());
  EXPECT_NE(reason.find("not open"), std::string::npos) << reason;
  EXPECT_EQ(installed_dispatcher(), nullptr);
}

TEST(InitTracing, InstallsOnceEmitsDeferredMessagesAndFlushesOnDrop) {
  ASSERT_EQ(installed_dispatcher(), nullptr);
  auto sink = std::make_shared<CaptureSink>();
  auto extra = std::make_shared<CountingLayer>();
  {
    TracingConfig config;
    config.service_name = "kopiur-controller";
    config.env =
        fake_env({{"RUST_LOG", "info,kopia=debug,bad=loud"}, {"KOPIUR_LOG_FORMAT", "json"}});
    config.sink = sink;
    config.extra_layers = {extra};
    config.deferred_warnings = {"OTLP endpoint \"x\" is not a URL; OTLP is off"};
    config.deferred_errors = {"trace exporter failed to build"};
    config.otlp_summary = "off (invalid endpoint)";
    TracingGuard guard = init_tracing(std::move(config));
    ASSERT_TRUE(guard.active());
    ASSERT_NE(installed_dispatcher(), nullptr);

    // Start-up line, then the filter warning, then the deferred ones, all as JSON lines.
    auto lines = sink->lines();
    ASSERT_EQ(lines.size(), 4U);
    const auto startup = nlohmann::json::parse(lines[0]);
    EXPECT_EQ(startup["level"], "INFO");
    EXPECT_EQ(startup["target"], "kopiur_telemetry");
    EXPECT_EQ(startup["fields"]["filter"], "info,kopia=debug");
    EXPECT_EQ(startup["fields"]["format"], "json");
    EXPECT_EQ(startup["fields"]["otlp"], "off (invalid endpoint)");
    EXPECT_EQ(startup["fields"]["service"], "kopiur-controller");
    const auto bad = nlohmann::json::parse(lines[1]);
    EXPECT_EQ(bad["level"], "WARN");
    EXPECT_NE(bad["fields"]["message"].get<std::string>().find("`bad=loud`"), std::string::npos);
    EXPECT_EQ(nlohmann::json::parse(lines[2])["level"], "WARN");
    EXPECT_EQ(nlohmann::json::parse(lines[3])["level"], "ERROR");
    EXPECT_EQ(extra->events.load(), 4);  // extra layers see the same events

    // The macros now reach the installed logger, with the per-component default target.
    KOPIUR_INFO("hello from main");
    KOPIUR_DEBUG("hidden");
    KOPIUR_EVENT(Level::Debug, "kopia", "kopia shown");
    lines = sink->lines();
    ASSERT_EQ(lines.size(), 6U);
    EXPECT_EQ(nlohmann::json::parse(lines[4])["target"], "kopiur_controller");
    EXPECT_EQ(nlohmann::json::parse(lines[5])["target"], "kopia");

    // Trace ids present in JSON lines inside a span, matching current_span_context().
    {
      auto span = KOPIUR_INFO_SPAN("reconcile", kv("kind", "Backup"));
      auto entered = span.enter();
      KOPIUR_INFO("inside");
      const auto j = nlohmann::json::parse(sink->lines().back());
      EXPECT_EQ(j["trace_id"], current_span_context().trace_id.hex());
      EXPECT_EQ(j["span_id"], current_span_context().span_id.hex());
    }

    // A second call is a no-op: inert guard, same logger, but its warnings are not lost.
    TracingConfig again;
    again.env = fake_env({{"RUST_LOG", "trace"}});
    again.deferred_warnings = {"second init warning"};
    const std::size_t before = sink->size();
    TracingGuard second = init_tracing(std::move(again));
    EXPECT_FALSE(second.active());
    ASSERT_EQ(sink->size(), before + 1);
    EXPECT_NE(sink->lines().back().find("second init warning"), std::string::npos);
    KOPIUR_DEBUG("still hidden: the first filter stays");
    EXPECT_EQ(sink->size(), before + 1);

    // set_filter() swaps the installed filter at runtime.
    ASSERT_TRUE(set_filter(Filter::parse("debug").filter));
    KOPIUR_DEBUG("now shown");
    EXPECT_EQ(sink->size(), before + 2);
    EXPECT_EQ(extra->shutdowns.load(), 0);
  }
  // The guard shut the layers down, once.
  EXPECT_EQ(extra->shutdowns.load(), 1);
}

}  // namespace
}  // namespace kopiur::telemetry::log
