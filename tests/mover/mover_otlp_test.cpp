// kopiur-mover's OTLP push, seen by an in-process collector: the root span is a child of the
// TRACEPARENT span and arrives (it closes before telemetry shuts down), one child span per kopia
// invocation, both mover metrics; and the mover exits within its flush bound when the collector
// is down.
#include <set>

#include "mover/mover_fixture.hpp"
#include "mover/tree_util.hpp"
#include "telemetry/otlp/test_collector.hpp"

namespace kopiur::test {
namespace {

using telemetry::otlp::testing::TestCollector;

constexpr const char* kTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr const char* kParentSpan = "00f067aa0ba902b7";

std::string hex(const std::string& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    out += kDigits[(static_cast<unsigned char>(c) >> 4) & 0xf];
    out += kDigits[static_cast<unsigned char>(c) & 0xf];
  }
  return out;
}

struct SeenSpan {
  std::string name, trace_id, span_id, parent_span_id;
  std::map<std::string, std::string> resource;
};

std::vector<SeenSpan> spans_of(const TestCollector& c) {
  std::vector<SeenSpan> out;
  for (const auto& req : c.traces()) {
    for (const auto& rs : req.resource_spans()) {
      std::map<std::string, std::string> resource;
      for (const auto& kv : rs.resource().attributes()) {
        resource[kv.key()] = kv.value().string_value();
      }
      for (const auto& ss : rs.scope_spans()) {
        for (const auto& s : ss.spans()) {
          out.push_back(
              {s.name(), hex(s.trace_id()), hex(s.span_id()), hex(s.parent_span_id()), resource});
        }
      }
    }
  }
  return out;
}

// "name{operation=...,result=...}" for every data point of the mover metrics.
std::set<std::string> mover_series(const TestCollector& c) {
  std::set<std::string> out;
  for (const auto& req : c.metrics()) {
    for (const auto& rm : req.resource_metrics()) {
      for (const auto& sm : rm.scope_metrics()) {
        for (const auto& m : sm.metrics()) {
          if (m.name().rfind("kopiur_mover_", 0) != 0) continue;
          auto add = [&](const auto& attributes) {
            std::map<std::string, std::string> labels;
            for (const auto& kv : attributes) labels[kv.key()] = kv.value().string_value();
            out.insert(m.name() + "{operation=" + labels["operation"] +
                       ",result=" + labels["result"] + "}");
          };
          for (const auto& p : m.sum().data_points()) add(p.attributes());
          for (const auto& p : m.histogram().data_points()) add(p.attributes());
        }
      }
    }
  }
  return out;
}

using MoverOtlpTest = MoverFixture;

TEST_F(MoverOtlpTest, RootSpanJoinsTraceparentWithKopiaChildrenAndMetrics) {
  create_repository();
  make_tree(dir_.path() / "data", {.files = 5, .per_dir = 5});
  TestCollector collector;
  const auto r = run("backup", backup_spec(dir_.file("data")),
                     {{"OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint()},
                      {"TRACEPARENT", std::string("00-") + kTraceId + "-" + kParentSpan + "-01"},
                      // What the controller puts on the Job: who this pod is and what it serves.
                      {"KOPIUR_POD_NAME", "backup-data-x7k2p"},
                      {"KOPIUR_NAMESPACE", "team-a"},
                      {"OTEL_RESOURCE_ATTRIBUTES",
                       "k8s.job.name=backup-data,kopiur.object.kind=Backup,"
                       "kopiur.object.name=data-1"}});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  // The mover flushed before exiting: everything is already at the collector.
  const auto spans = spans_of(collector);
  const auto root =
      std::find_if(spans.begin(), spans.end(), [](const SeenSpan& s) { return s.name == "mover"; });
  ASSERT_NE(root, spans.end()) << "the root span never arrived";
  EXPECT_EQ(root->trace_id, kTraceId);
  EXPECT_EQ(root->parent_span_id, kParentSpan);
  EXPECT_EQ(root->resource.at("service.name"), "kopiur-mover");
  EXPECT_EQ(root->resource.at("k8s.pod.name"), "backup-data-x7k2p");
  EXPECT_EQ(root->resource.at("k8s.namespace.name"), "team-a");
  EXPECT_EQ(root->resource.at("k8s.job.name"), "backup-data");
  EXPECT_EQ(root->resource.at("kopiur.object.name"), "data-1");
  std::size_t kopia_children = 0;
  for (const auto& s : spans) {
    if (s.name != "kopia") continue;
    ++kopia_children;
    EXPECT_EQ(s.parent_span_id, root->span_id);
    EXPECT_EQ(s.trace_id, kTraceId);
  }
  EXPECT_EQ(kopia_children, 2u) << "repository connect + snapshot create";
  const auto series = mover_series(collector);
  EXPECT_TRUE(series.count("kopiur_mover_operations{operation=backup,result=succeeded}"))
      << ::testing::PrintToString(series);
  EXPECT_TRUE(series.count("kopiur_mover_operation_duration{operation=backup,result=succeeded}"))
      << ::testing::PrintToString(series);
}

TEST_F(MoverOtlpTest, FailedRunIsCountedAsFailed) {
  TestCollector collector;
  const auto r =
      run("connect", spec(false), {{"OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint()}});
  ASSERT_EQ(r.exit_code, 1);
  EXPECT_TRUE(
      mover_series(collector).count("kopiur_mover_operations{operation=connect,result=failed}"));
}

TEST_F(MoverOtlpTest, ExitsWithinTheFlushBoundWhenTheCollectorIsDown) {
  create_repository();
  const int port = free_tcp_port();  // nothing listens there
  const auto r = run("catalog", spec(),
                     {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + std::to_string(port)},
                      {"KOPIUR_TELEMETRY_SHUTDOWN_TIMEOUT_MS", "1000"}});
  // run() waits at most 120 s; the bound here is the exit code and the written result.
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.result["result"], "succeeded");
}

TEST_F(MoverOtlpTest, ExitsWithinTheFlushBoundWhenTheCollectorHangs) {
  create_repository();
  TestCollector collector;
  collector.set_delay(std::chrono::seconds(60));  // accepts, never answers in time
  auto env = base_env();
  env["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.endpoint();
  env["KOPIUR_TELEMETRY_SHUTDOWN_TIMEOUT_MS"] = "1000";
  ChildProcess mover(program_path("kopiur-mover"), args("catalog", spec()), env);
  // The bound is the shutdown timeout (1 s) plus the run itself; 20 s is a failure deadline.
  const auto code = mover.wait(std::chrono::seconds(20));
  ASSERT_TRUE(code.has_value()) << "the mover hung on a stalled collector";
  const auto r = collect(*code, mover.out(), mover.err());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.result["result"], "succeeded") << "the result is written before the flush";
}

}  // namespace
}  // namespace kopiur::test
