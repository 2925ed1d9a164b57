// Wire compatibility that does not rest on the project's .proto files agreeing with themselves:
// the bytes the exporter sends are decoded by an independent decoder generated from the official
// opentelemetry-proto definitions (decoder/decode.js, the protobufjs root shipped by
// @opentelemetry/otlp-transformer 0.214.0) and compared field by field with what the exporter
// meant to send, plus spot checks of the recorded values.
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "kopiur/support/json.hpp"
#include "kopiur/telemetry/otlp/log_layer.hpp"
#include "kopiur/telemetry/otlp/metrics_reader.hpp"
#include "kopiur/telemetry/otlp/trace_layer.hpp"

#include "telemetry/otlp/fake_meter.hpp"
#include "telemetry/otlp/test_collector.hpp"
#include "telemetry/otlp/test_env.hpp"

namespace kopiur::telemetry::otlp {
namespace {

using nlohmann::json;
using testing::TestCollector;
namespace fs = std::filesystem;
constexpr auto kWait = std::chrono::milliseconds{10000};

const fs::path kDecoderDir = KOPIUR_OTLP_DECODER_DIR;

class WireCompat : public ::testing::Test {
 protected:
  void SetUp() override {
    // A missing peer fails: tools/setup-deps.sh installs the decoder.
    ASSERT_TRUE(fs::exists(kDecoderDir / "node_modules" / "@opentelemetry" / "otlp-transformer"))
        << "independent OTLP decoder not installed: run `npm ci --prefix " << kDecoderDir.string()
        << "` (needs node + npm; tools/setup-deps.sh does it)";
    dir_ = fs::temp_directory_path() / ("kopiur-otlp-wire-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // Runs the independent decoder on `bytes`; fails the test when node fails.
  json decode(const std::string& signal, const std::string& bytes) {
    const auto file = dir_ / (signal + ".bin");
    std::ofstream(file, std::ios::binary) << bytes;
    const std::string command = "node '" + (kDecoderDir / "decode.js").string() + "' " + signal +
                                " '" + file.string() + "' 2>&1";
    std::string output;
    if (FILE* pipe = ::popen(command.c_str(), "r")) {
      std::array<char, 4096> buffer{};
      std::size_t n = 0;
      while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
        output.append(buffer.data(), n);
      EXPECT_EQ(::pclose(pipe), 0) << output;
    } else {
      ADD_FAILURE() << "cannot run " << command;
    }
    auto parsed = json::parse(output, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << "decoder output is not JSON: " << output;
    return parsed;
  }

  fs::path dir_;
};

// What the exporter meant to send, in protobuf's canonical JSON mapping.
json own_view(const google::protobuf::Message& message) {
  std::string text;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = false;
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(message, &text, options).ok());
  return json::parse(text);
}

// Field-by-field comparison; every difference is reported with its path.
void compare(const json& expected, const json& actual, const std::string& path = "$") {
  if (expected.is_object() && actual.is_object()) {
    for (const auto& [key, value] : expected.items()) {
      if (!actual.contains(key)) {
        ADD_FAILURE() << path << "." << key << " missing in the independent decoding";
        continue;
      }
      compare(value, actual.at(key), path + "." + key);
    }
    for (const auto& [key, value] : actual.items()) {
      if (!expected.contains(key)) ADD_FAILURE() << path << "." << key << " unexpected: " << value;
    }
  } else if (expected.is_array() && actual.is_array()) {
    ASSERT_EQ(expected.size(), actual.size()) << path;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      compare(expected[i], actual[i], path + "[" + std::to_string(i) + "]");
    }
  } else if (expected.is_number() && actual.is_number()) {
    EXPECT_DOUBLE_EQ(expected.get<double>(), actual.get<double>()) << path;
  } else {
    EXPECT_EQ(expected, actual) << path;
  }
}

TraceId trace_id() {
  TraceId id;
  for (std::size_t i = 0; i < id.bytes.size(); ++i)
    id.bytes[i] = static_cast<std::uint8_t>(0xa0 + i);
  return id;
}
SpanId span_id(std::uint8_t seed) {
  SpanId id;
  for (std::size_t i = 0; i < id.bytes.size(); ++i)
    id.bytes[i] = static_cast<std::uint8_t>(seed + i);
  return id;
}
// base64 of raw id bytes, as the decoder prints them.
std::string base64(const std::uint8_t* data, std::size_t n) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < n; i += 3) {
    std::uint32_t v = static_cast<std::uint32_t>(data[i]) << 16;
    if (i + 1 < n) v |= static_cast<std::uint32_t>(data[i + 1]) << 8;
    if (i + 2 < n) v |= data[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < n ? kAlphabet[(v >> 6) & 63] : '=';
    out += i + 2 < n ? kAlphabet[v & 63] : '=';
  }
  return out;
}

OtlpConfig config(const TestCollector& collector) {
  return testing::config_for({{"OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint()}});
}

TEST_F(WireCompat, MetricsRequestDecodesIdenticallyWithTheOfficialDefinitions) {
  TestCollector collector;
  testing::FakeMeter meter;
  const auto counter = meter.add({"kopiur_backups",
                                  "1",
                                  "Backups run",
                                  metrics::InstrumentKind::Counter,
                                  metrics::ValueType::Int64,
                                  {}});
  const auto updown = meter.add({"kopiur_queue",
                                 "",
                                 "",
                                 metrics::InstrumentKind::UpDownCounter,
                                 metrics::ValueType::Double,
                                 {}});
  const auto gauge = meter.add(
      {"kopiur_phase", "", "", metrics::InstrumentKind::Gauge, metrics::ValueType::Int64, {}});
  const auto histogram = meter.add({"kopiur_duration_seconds",
                                    "s",
                                    "",
                                    metrics::InstrumentKind::Histogram,
                                    metrics::ValueType::Double,
                                    {0.5, 5}});
  meter.update(counter, {{"kind", "Backup"}, {"result", "ok"}},
               [](auto& s) { s.number.as_int = 42; });
  meter.update(updown, {}, [](auto& s) { s.number.as_double = -1.25; });
  meter.update(gauge, {{"phase", "Ready"}}, [](auto& s) { s.number.as_int = -3; });
  for (double v : {0.25, 2.0, 9.5}) meter.observe(histogram, {{"kind", "Backup"}}, v);
  meter.update(histogram, {{"kind", "Backup"}}, [](auto& s) {
    s.has_exemplar = true;
    s.exemplar.value = 2.0;
    s.exemplar.trace_id = trace_id();
    s.exemplar.span_id = span_id(1);
    s.exemplar.time = std::chrono::system_clock::now();
  });
  OtlpMetricsReader reader(config(collector), {{"service.name", "kopiur-mover"}},
                           [&](metrics::CollectVisitor& v) { meter.collect(v); });
  ASSERT_TRUE(reader.force_flush(kWait));
  const auto raw = collector.raw("metrics");
  ASSERT_EQ(raw.size(), 1u);

  const auto decoded = decode("metrics", raw[0]);
  compare(own_view(collector.metrics().at(0)), decoded);

  // Spot checks against the recorded values, straight from the independent decoding.
  const auto& rm = decoded.at("resourceMetrics").at(0);
  EXPECT_EQ(rm.at("resource").at("attributes").at(0).at("value").at("stringValue"), "kopiur-mover");
  const auto& sm = rm.at("scopeMetrics").at(0);
  EXPECT_EQ(sm.at("scope").at("name"), "kopiur");
  const auto& metrics_json = sm.at("metrics");
  ASSERT_EQ(metrics_json.size(), 4u);
  EXPECT_EQ(metrics_json[0].at("name"), "kopiur_backups");
  EXPECT_EQ(metrics_json[0].at("sum").at("isMonotonic"), true);
  EXPECT_EQ(metrics_json[0].at("sum").at("aggregationTemporality"),
            "AGGREGATION_TEMPORALITY_CUMULATIVE");
  EXPECT_EQ(metrics_json[0].at("sum").at("dataPoints").at(0).at("asInt"), "42");
  EXPECT_EQ(metrics_json[0].at("sum").at("dataPoints").at(0).at("attributes").size(), 2u);
  EXPECT_EQ(metrics_json[1].at("sum").at("dataPoints").at(0).at("asDouble"), -1.25);
  EXPECT_EQ(metrics_json[2].at("gauge").at("dataPoints").at(0).at("asInt"), "-3");
  const auto& h = metrics_json[3].at("histogram").at("dataPoints").at(0);
  EXPECT_EQ(h.at("count"), "3");
  EXPECT_EQ(h.at("sum"), 11.75);
  EXPECT_EQ(h.at("min"), 0.25);
  EXPECT_EQ(h.at("max"), 9.5);
  EXPECT_EQ(h.at("bucketCounts"), json::array({"1", "1", "1"}));
  EXPECT_EQ(h.at("explicitBounds"), json::array({0.5, 5}));
  const auto id = trace_id();
  EXPECT_EQ(h.at("exemplars").at(0).at("traceId"), base64(id.bytes.data(), id.bytes.size()));
}

TEST_F(WireCompat, TraceRequestDecodesIdenticallyWithTheOfficialDefinitions) {
  TestCollector collector;
  OtlpTraceLayer layer(config(collector), {{"service.name", "kopiur-controller"}});
  log::SpanRecord root;
  root.name = "reconciling object";
  root.context.trace_id = trace_id();
  root.context.span_id = span_id(1);
  root.context.trace_state = "vendor=1";
  root.start = std::chrono::system_clock::now();
  root.end = root.start + std::chrono::milliseconds{3};
  log::SpanRecord child = root;
  child.name = "reconcile";
  child.context.span_id = span_id(50);
  child.parent_span_id = root.context.span_id;
  child.fields.push_back({"kind", std::string("Backup"), false});
  child.fields.push_back({"generation", std::int64_t{-9}, false});
  child.fields.push_back({"big", std::uint64_t{18446744073709551615ull}, false});
  child.fields.push_back({"ok", true, false});
  child.error = true;
  child.error_message = "boom";
  layer.on_span_close(child);
  layer.on_span_close(root);
  ASSERT_TRUE(layer.flush(kWait));
  const auto raw = collector.raw("traces");
  ASSERT_EQ(raw.size(), 1u);

  const auto decoded = decode("traces", raw[0]);
  compare(own_view(collector.traces().at(0)), decoded);

  const auto& spans = decoded.at("resourceSpans").at(0).at("scopeSpans").at(0).at("spans");
  ASSERT_EQ(spans.size(), 2u);
  const auto& c = spans[0];
  EXPECT_EQ(c.at("name"), "reconcile");
  const auto parent = span_id(1);
  EXPECT_EQ(c.at("parentSpanId"), base64(parent.bytes.data(), parent.bytes.size()));
  EXPECT_EQ(c.at("traceId"), spans[1].at("traceId"));
  EXPECT_FALSE(spans[1].contains("parentSpanId"));
  EXPECT_EQ(c.at("traceState"), "vendor=1");
  EXPECT_EQ(c.at("kind"), "SPAN_KIND_INTERNAL");
  EXPECT_EQ(c.at("status").at("code"), "STATUS_CODE_ERROR");
  EXPECT_EQ(c.at("status").at("message"), "boom");
  EXPECT_EQ(std::stoull(c.at("endTimeUnixNano").get<std::string>()) -
                std::stoull(c.at("startTimeUnixNano").get<std::string>()),
            3000000u);
}

TEST_F(WireCompat, LogsRequestDecodesIdenticallyWithTheOfficialDefinitions) {
  TestCollector collector;
  OtlpLogLayer layer(config(collector), {{"service.name", "kopiur-controller"}});
  log::SpanRecord span;
  span.context.trace_id = trace_id();
  span.context.span_id = span_id(7);
  const std::array<log::Field, 2> fields{log::Field{"namespace", std::string_view("ns1")},
                                         log::Field{"ratio", 0.75}};
  layer.on_event({std::chrono::system_clock::now(), log::Level::Error, "kopiur::mover",
                  "snapshot failed", fields, &span});
  layer.on_event(
      {std::chrono::system_clock::now(), log::Level::Info, "kopia", "progress", {}, nullptr});
  ASSERT_TRUE(layer.flush(kWait));
  const auto raw = collector.raw("logs");
  ASSERT_EQ(raw.size(), 1u);

  const auto decoded = decode("logs", raw[0]);
  compare(own_view(collector.logs().at(0)), decoded);

  const auto& scopes = decoded.at("resourceLogs").at(0).at("scopeLogs");
  ASSERT_EQ(scopes.size(), 2u);
  const auto& error = scopes[0].at("logRecords").at(0);
  EXPECT_EQ(scopes[0].at("scope").at("name"), "kopiur::mover");
  EXPECT_EQ(error.at("severityNumber"), "SEVERITY_NUMBER_ERROR");
  EXPECT_EQ(error.at("severityText"), "ERROR");
  EXPECT_EQ(error.at("body").at("stringValue"), "snapshot failed");
  const auto id = trace_id();
  EXPECT_EQ(error.at("traceId"), base64(id.bytes.data(), id.bytes.size()));
  EXPECT_EQ(error.at("attributes").at(1).at("value").at("doubleValue"), 0.75);
  EXPECT_EQ(scopes[1].at("scope").at("name"), "kopia");
  EXPECT_FALSE(scopes[1].at("logRecords").at(0).contains("traceId"));
}

}  // namespace
}  // namespace kopiur::telemetry::otlp
