#include <algorithm>
#include <limits>
#include <map>

#include <gtest/gtest.h>

#include "kopiur/support/json.hpp"
#include "kopiur/telemetry/log/fmt_layer.hpp"
#include "kopiur/telemetry/log/init.hpp"
#include "kopiur/telemetry/log/log.hpp"

#include "telemetry/log/test_support.hpp"

namespace kopiur::telemetry::log {
namespace {

using testing::CaptureLogger;

TEST(TextFormat, GoldenWithoutSpan) {
  CaptureLogger logger("trace");
  Dispatcher::ScopedDefault use(logger.dispatcher);
  KOPIUR_INFO("backup finished", kv("bytes", 1024), kv("ratio", 0.5), kv("ok", true),
              kv("repo", "s3://bucket/path"), kv("note", "two words"));
  KOPIUR_EVENT(Level::Warn, "kopiur_controller::backup", "retrying", err("timed out"));
  KOPIUR_ERROR("negative", kv("delta", -7), kv("count", std::uint64_t{18446744073709551615ULL}));
  const auto lines = logger.sink->lines();
  ASSERT_EQ(lines.size(), 3U);
  EXPECT_EQ(lines[0],
            "2026-01-02T03:04:05.000006Z  INFO kopiur_test: backup finished bytes=1024 ratio=0.5 "
            "ok=true repo=s3://bucket/path note=\"two words\"");
  EXPECT_EQ(lines[1],
            "2026-01-02T03:04:05.000006Z  WARN kopiur_controller::backup: retrying "
            "error=\"timed out\"");
  EXPECT_EQ(lines[2],
            "2026-01-02T03:04:05.000006Z ERROR kopiur_test: negative delta=-7 "
            "count=18446744073709551615");
}

TEST(TextFormat, GoldenWithSpanChain) {
  CaptureLogger logger("trace");
  Dispatcher::ScopedDefault use(logger.dispatcher);
  auto outer = KOPIUR_INFO_SPAN("reconciling object", kv("object.reason", "object updated"));
  auto outer_entered = outer.enter();
  auto inner = KOPIUR_SPAN(Level::Info, "kopiur_controller", "reconcile", kv("kind", "Backup"),
                           kv("namespace", "ns"), kv("name", "x"));
  auto inner_entered = inner.enter();
  KOPIUR_DEBUG("started", kv("attempt", 1));
  auto bare = KOPIUR_INFO_SPAN("step");
  {
    auto entered = bare.enter();
    KOPIUR_TRACE("deep");
  }
  const auto lines = logger.sink->lines();
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_EQ(lines[0],
            "2026-01-02T03:04:05.000006Z DEBUG reconciling object{object.reason=\"object "
            "updated\"}:reconcile{kind=Backup namespace=ns name=x}: kopiur_test: started "
            "attempt=1");
  EXPECT_EQ(lines[1],
            "2026-01-02T03:04:05.000006Z TRACE reconciling object{object.reason=\"object "
            "updated\"}:reconcile{kind=Backup namespace=ns name=x}:step: kopiur_test: deep");
}

TEST(TextFormat, MultiLineAndControlCharactersStayOnOneLine) {
  CaptureLogger logger("info");
  Dispatcher::ScopedDefault use(logger.dispatcher);
  KOPIUR_INFO("line one\nline two\r\ttab\x01", kv("tail", "a\nb"), kv("q", "say \"hi\"\\"));
  const auto lines = logger.sink->lines();
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_EQ(lines[0],
            "2026-01-02T03:04:05.000006Z  INFO kopiur_test: line one\\nline two\\r\\ttab\\u{1} "
            "tail=\"a\\nb\" q=\"say \\\"hi\\\"\\\\\"");
}

TEST(TextFormat, AnsiColourWhenAsked) {
  CaptureLogger logger("info", {.format = LogFormat::kText, .ansi = true});
  Dispatcher::ScopedDefault use(logger.dispatcher);
  KOPIUR_WARN("careful", kv("k", 1));
  const auto lines = logger.sink->lines();
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_EQ(lines[0],
            "\x1b[2m2026-01-02T03:04:05.000006Z\x1b[0m \x1b[33m WARN\x1b[0m \x1b[2mkopiur_test:"
            "\x1b[0m careful \x1b[3mk\x1b[0m=1");
}

TEST(JsonFormat, GoldenWithoutSpan) {
  CaptureLogger logger("info", {.format = LogFormat::kJson, .ansi = true});  // ansi ignored
  Dispatcher::ScopedDefault use(logger.dispatcher);
  KOPIUR_INFO("backup finished", kv("bytes", 1024), kv("ratio", 0.25), kv("ok", false),
              kv("repo", "s3://b"), err("boom"));
  const auto lines = logger.sink->lines();
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_EQ(lines[0],
            R"({"timestamp":"2026-01-02T03:04:05.000006Z","level":"INFO","fields":{"message":)"
            R"("backup finished","bytes":1024,"ratio":0.25,"ok":false,"repo":"s3://b",)"
            R"("error":"boom"},"target":"kopiur_test"})");
}

TEST(JsonFormat, GoldenWithSpanCarriesCurrentSpanAndIds) {
  CaptureLogger logger("info", {.format = LogFormat::kJson});
  Dispatcher::ScopedDefault use(logger.dispatcher);
  auto outer = KOPIUR_INFO_SPAN("reconciling object");
  auto outer_entered = outer.enter();
  auto span = KOPIUR_INFO_SPAN("reconcile", kv("kind", "Backup"), kv("namespace", "ns"),
                               kv("name", "x"), kv("generation", 4));
  auto entered = span.enter();
  KOPIUR_INFO("started");
  const auto lines = logger.sink->lines();
  ASSERT_EQ(lines.size(), 1U);
  const SpanContext ctx = span.context();
  EXPECT_EQ(lines[0],
            R"({"timestamp":"2026-01-02T03:04:05.000006Z","level":"INFO","fields":{"message":)"
            R"("started"},"target":"kopiur_test","span":{"kind":"Backup","namespace":"ns",)"
            R"("name":"x","generation":4,"name":"reconcile"},"spans":[{"name":"reconciling )"
            R"(object"},{"kind":"Backup","namespace":"ns","name":"x","generation":4,"name":)"
            R"("reconcile"}],"trace_id":")" +
                ctx.trace_id.hex() + R"(","span_id":")" + ctx.span_id.hex() + R"("})");
  // Inner and outer spans share the trace.
  EXPECT_EQ(outer.context().trace_id, ctx.trace_id);
  EXPECT_NE(outer.context().span_id, ctx.span_id);
}

TEST(JsonFormat, NastyStringsAlwaysParse) {
  CaptureLogger logger("trace", {.format = LogFormat::kJson});
  Dispatcher::ScopedDefault use(logger.dispatcher);
  const std::vector<std::string> nasty = {
      "plain",
      "quote \" backslash \\ slash /",
      "newline\nreturn\rtab\tbell\a nul" + std::string(1, '\0') + "end",
      "\x7f del and \x1b[31m escape",
      "invalid utf8: \xff\xfe \xc3\x28 \xe2\x82 \xf0\x9f\x98",
      "overlong \xc0\xaf surrogate \xed\xa0\x80 too big \xf4\x90\x80\x80",
      "valid: h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80 \xe2\x80\xa8",
      "}\",\"injected\":\"{",
      std::string(5000, 'x'),
      "",
  };
  for (const auto& s : nasty) {
    auto span = KOPIUR_INFO_SPAN(s, kv(s, s));
    auto entered = span.enter();
    KOPIUR_EVENT(Level::Info, "t", s, kv(s, s), kv("n", std::numeric_limits<double>::infinity()),
                 kv("nan", std::numeric_limits<double>::quiet_NaN()));
  }
  const std::string all = logger.sink->text();
  const auto lines = logger.sink->lines();
  ASSERT_EQ(lines.size(), nasty.size());
  // Exactly one '\n' per event: no line was split.
  EXPECT_EQ(std::count(all.begin(), all.end(), '\n'), static_cast<long>(nasty.size()));
  for (std::size_t i = 0; i < lines.size(); ++i) {
    nlohmann::json j;
    ASSERT_NO_THROW(j = nlohmann::json::parse(lines[i])) << lines[i];
    ASSERT_TRUE(j.is_object());
    EXPECT_EQ(j["level"], "INFO");
    EXPECT_EQ(j["target"], "t");
    EXPECT_TRUE(j["fields"].is_object());
    EXPECT_TRUE(j["fields"]["n"].is_null());
    EXPECT_TRUE(j["span"].is_object());
    EXPECT_EQ(j["trace_id"].get<std::string>().size(), 32U);
    EXPECT_EQ(j["span_id"].get<std::string>().size(), 16U);
  }
  // Valid text survives unchanged; invalid bytes become U+FFFD.
  EXPECT_EQ(nlohmann::json::parse(lines[1])["fields"]["message"], nasty[1]);
  EXPECT_EQ(nlohmann::json::parse(lines[2])["fields"]["message"], nasty[2]);
  EXPECT_EQ(nlohmann::json::parse(lines[6])["fields"]["message"], nasty[6]);
  EXPECT_EQ(nlohmann::json::parse(lines[7])["fields"]["message"], nasty[7]);
  EXPECT_EQ(nlohmann::json::parse(lines[4])["fields"]["message"],
            "invalid utf8: \xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd( \xef\xbf\xbd\xef\xbf\xbd "
            "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

TEST(LogFormat, ParsesKnownValuesAndDegradesUnknown) {
  for (const char* text : {"", "text", "TEXT", " plain ", "fmt", "Fmt\n"}) {
    const auto parsed = parse_log_format(text);
    EXPECT_EQ(parsed.format, LogFormat::kText) << text;
    EXPECT_FALSE(parsed.warning.has_value()) << text;
  }
  for (const char* text : {"json", "JSON", " Json "}) {
    const auto parsed = parse_log_format(text);
    EXPECT_EQ(parsed.format, LogFormat::kJson) << text;
    EXPECT_FALSE(parsed.warning.has_value()) << text;
  }
  const auto yaml = parse_log_format("yaml");
  EXPECT_EQ(yaml.format, LogFormat::kText);
  ASSERT_TRUE(yaml.warning.has_value());
  EXPECT_NE(yaml.warning->find("\"yaml\""), std::string::npos);
  EXPECT_NE(yaml.warning->find("text, json"), std::string::npos);
}

// The stack init_tracing() installs, built from an injected environment.
struct Built {
  std::shared_ptr<CaptureSink> sink = std::make_shared<CaptureSink>();
  LoggerSetup setup;
};

Built build(std::map<std::string, std::string> env, std::optional<bool> tty) {
  Built b;
  TracingConfig config;
  config.service_name = "kopiur-mover";
  config.env = [env](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  config.sink = b.sink;
  config.is_tty = tty;
  config.clock = testing::fixed_time;
  b.setup = build_logger(config);
  return b;
}

TEST(ColourChoice, OnlyOnATtyAndNeverWithNoColor) {
  EXPECT_TRUE(build({}, true).setup.ansi);
  EXPECT_FALSE(build({}, false).setup.ansi);
  EXPECT_FALSE(build({{"NO_COLOR", "1"}}, true).setup.ansi);
  EXPECT_TRUE(build({{"NO_COLOR", ""}}, true).setup.ansi);  // no-color.org: empty = unset
  EXPECT_FALSE(build({{"KOPIUR_LOG_FORMAT", "json"}}, true).setup.ansi);

  // And the bytes agree: escapes on a TTY, none otherwise.
  for (bool tty : {true, false}) {
    Built b = build({}, tty);
    Dispatcher::ScopedDefault use(b.setup.dispatcher);
    KOPIUR_INFO("hello");
    const std::string text = b.sink->text();
    EXPECT_EQ(text.find('\x1b') != std::string::npos, tty) << text;
    EXPECT_NE(text.find("hello"), std::string::npos) << text;
    if (!tty) {
      EXPECT_NE(text.find(" INFO kopiur_mover: hello"), std::string::npos) << text;
    }
  }
}

TEST(BuildLogger, NoOtlpConfiguredStillLogs) {
  // The original's regression: the fmt layer plus zero extra layers printed nothing.
  Built b = build({}, false);
  Dispatcher::ScopedDefault use(b.setup.dispatcher);
  KOPIUR_INFO("probe line");
  ASSERT_EQ(b.sink->size(), 1U);
  EXPECT_NE(b.sink->lines()[0].find("probe line"), std::string::npos);
}

TEST(BuildLogger, EmptyRustLogMeansInfoNotSilence) {
  Built b = build({{"RUST_LOG", ""}}, false);
  Dispatcher::ScopedDefault use(b.setup.dispatcher);
  KOPIUR_INFO("shown");
  KOPIUR_DEBUG("hidden");
  ASSERT_EQ(b.sink->size(), 1U);
  EXPECT_NE(b.sink->lines()[0].find("shown"), std::string::npos);
}

TEST(BuildLogger, DeferredWarningsComeOutAfterTheStartupLine) {
  Built b = build({{"RUST_LOG", "info,kopia=loud"}, {"KOPIUR_LOG_FORMAT", "yaml"}}, false);
  EXPECT_EQ(b.sink->size(), 0U);  // nothing before the logger is live
  b.setup.emit_pending("kopiur-mover", "on endpoint=http://collector:4317 headers=<redacted>");
  const auto lines = b.sink->lines();
  ASSERT_EQ(lines.size(), 3U);
  EXPECT_NE(lines[0].find(" INFO kopiur_telemetry: telemetry configured service=kopiur-mover "
                          "filter=info format=text ansi=false otlp=\"on "
                          "endpoint=http://collector:4317 headers=<redacted>\""),
            std::string::npos)
      << lines[0];
  EXPECT_NE(lines[1].find(" WARN kopiur_telemetry: unknown KOPIUR_LOG_FORMAT value"),
            std::string::npos)
      << lines[1];
  EXPECT_NE(lines[2].find("ignoring RUST_LOG directive `kopia=loud`"), std::string::npos)
      << lines[2];
  b.setup.emit_pending("kopiur-mover", "");  // once only
  EXPECT_EQ(b.sink->size(), 3U);
}

}  // namespace
}  // namespace kopiur::telemetry::log

namespace kopiur::telemetry::log {
namespace {

TEST(SpanRendering, AlternatingSpansOnOneThreadRenderTheirOwnFields) {
  for (LogFormat format : {LogFormat::kText, LogFormat::kJson}) {
    testing::CaptureLogger logger("info", {.format = format});
    Dispatcher::ScopedDefault use(logger.dispatcher);
    auto a = KOPIUR_INFO_SPAN("a", kv("which", "first"));
    auto b = KOPIUR_INFO_SPAN("b", kv("which", "second"));
    for (int i = 0; i < 3; ++i) {
      {
        auto entered = a.enter();
        KOPIUR_INFO("in a");
      }
      {
        auto entered = b.enter();
        KOPIUR_INFO("in b");
      }
    }
    {
      // A new span at a recycled address must not reuse a stale rendering.
      for (int i = 0; i < 3; ++i) {
        auto c = KOPIUR_INFO_SPAN("c", kv("round", i));
        auto entered = c.enter();
        KOPIUR_INFO("in c");
      }
    }
    const auto lines = logger.sink->lines();
    ASSERT_EQ(lines.size(), 9U);
    for (int i = 0; i < 6; i += 2) {
      EXPECT_NE(lines[i].find("first"), std::string::npos) << lines[i];
      EXPECT_EQ(lines[i].find("second"), std::string::npos) << lines[i];
      EXPECT_NE(lines[i + 1].find("second"), std::string::npos) << lines[i + 1];
    }
    for (int i = 0; i < 3; ++i) {
      const std::string& line = lines[6 + i];
      const std::string expected = format == LogFormat::kText
                                       ? "c{round=" + std::to_string(i) + "}:"
                                       : "\"round\":" + std::to_string(i);
      EXPECT_NE(line.find(expected), std::string::npos) << line;
    }
  }
}

}  // namespace
}  // namespace kopiur::telemetry::log
