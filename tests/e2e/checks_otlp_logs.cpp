// check_otlp, check_logs, check_restore.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <vector>

#include <gtest/gtest.h>

#include "kopiur/support/json.hpp"

#include "e2e/checks.hpp"
#include "e2e/otlp_lines.hpp"
#include "support/wait.hpp"

namespace kopiur::e2e {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const char* const kPrograms[] = {"kopiur-controller", "kopiur-webhook", "kopiur-mover"};

// The controller span a mover root span hangs under, climbing to the nearest "reconcile".
const SpanRecord* reconcile_parent(const SpanRecord& root,
                                   const std::map<std::string, const SpanRecord*>& controller) {
  std::string parent = root.parent_span_id;
  for (int depth = 0; depth < 16 && !parent.empty(); ++depth) {
    const auto it = controller.find(parent);
    if (it == controller.end() || it->second->trace_id != root.trace_id) return nullptr;
    if (it->second->name == "reconcile") return it->second;
    parent = it->second->parent_span_id;
  }
  return nullptr;
}

// A mover run (a mover span without a mover parent) and the controller reconcile span above it
// (nullptr while that span has not arrived, or when there is none).
struct MoverRun {
  const SpanRecord* root = nullptr;
  const SpanRecord* reconcile = nullptr;
};

std::vector<MoverRun> mover_runs(const OtlpCapture& otlp) {
  std::map<std::string, const SpanRecord*> controller;
  std::set<std::string> mover_spans;
  for (const auto& s : otlp.spans) {
    if (s.service == "kopiur-controller") controller[s.span_id] = &s;
    if (s.service == "kopiur-mover") mover_spans.insert(s.span_id);
  }
  std::vector<MoverRun> runs;
  for (const auto& s : otlp.spans) {
    if (s.service != "kopiur-mover" || mover_spans.count(s.parent_span_id)) continue;
    runs.push_back({&s, reconcile_parent(s, controller)});
  }
  return runs;
}

// The raw text of the line's "span" object (tracing's JSON repeats "name" there: the object's
// name field, then the span's own name, so a JSON reader would keep only the last).
std::string span_text(const std::string& line) {
  const auto at = line.find("\"span\":{");
  if (at == std::string::npos) return "";
  const auto end = line.find('}', at);
  return end == std::string::npos ? "" : line.substr(at + 8, end - at - 8);
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

std::map<std::string, std::string> files_under(const fs::path& root) {
  std::map<std::string, std::string> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    out[fs::relative(it->path(), root).string()] = bytes.str();
  }
  return out;
}

// Every line of `text` is a JSON object with the logger's keys.
void expect_json_lines(const std::string& what, const std::string& text) {
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    ++n;
    const json value = json::parse(line, nullptr, false);
    if (value.is_discarded() || !value.is_object() || !value.contains("level") ||
        !value.contains("timestamp")) {
      ADD_FAILURE() << what << ": not a JSON log line: " << line;
      return;
    }
  }
  EXPECT_GT(n, 0) << what << " has no log lines";
}

}  // namespace

void check_otlp(const LocalSystem& system) {
  const auto path = system.state() + "/otlp.jsonl";
  // Movers flush at exit and the programs every few seconds: wait until all three have sent all
  // three signals, and until the reconcile span behind every mover run seen so far has arrived
  // too (a mover that just exited may be ahead of the controller's next batch).
  OtlpCapture otlp;
  const auto complete = [&] {
    otlp = read_otlp_lines(path);
    std::set<std::string> seen;
    for (const auto& s : otlp.spans) seen.insert("span " + s.service);
    for (const auto& l : otlp.logs) seen.insert("log " + l.service);
    for (const auto& m : otlp.metrics) seen.insert("metric " + m.service);
    const auto runs = mover_runs(otlp);
    return seen.size() == 9 && std::all_of(runs.begin(), runs.end(), [](const MoverRun& run) {
             return run.reconcile != nullptr;
           });
  };
  const bool all = test::wait_until(complete, std::chrono::seconds(30), std::chrono::seconds(1));
  EXPECT_TRUE(otlp.errors.empty()) << otlp.errors.front();
  for (const char* program : kPrograms) {
    const auto from = [program](const auto& r) { return r.service == program; };
    EXPECT_TRUE(std::any_of(otlp.spans.begin(), otlp.spans.end(), from)) << program << ": no spans";
    EXPECT_TRUE(std::any_of(otlp.logs.begin(), otlp.logs.end(), from)) << program << ": no logs";
    EXPECT_TRUE(std::any_of(otlp.metrics.begin(), otlp.metrics.end(), from))
        << program << ": no metrics";
  }
  EXPECT_TRUE(all);

  std::set<std::string> reconciled_kinds;
  for (const auto& s : otlp.spans) {
    if (s.service != "kopiur-controller" || s.name != "reconcile") continue;
    for (const char* key : {"kind", "namespace", "name"}) {
      EXPECT_EQ(s.attributes.count(key), 1u) << "a reconcile span without " << key;
    }
    reconciled_kinds.insert(s.attributes.count("kind") ? s.attributes.at("kind") : "");
  }
  for (const char* kind :
       {"Repository", "Maintenance", "BackupConfig", "BackupSchedule", "Backup", "Restore"}) {
    EXPECT_EQ(reconciled_kinds.count(kind), 1u) << "no reconcile span for kind " << kind;
  }

  // Each mover run is one more part of the trace of the reconcile that created its Job.
  std::set<std::string> backups_traced;
  const auto runs = mover_runs(otlp);
  for (const auto& run : runs) {
    const SpanRecord* parent = run.reconcile;
    if (parent == nullptr) {
      ADD_FAILURE() << "mover span " << run.root->name << " (trace " << run.root->trace_id
                    << ") is not a child of a controller reconcile span";
      continue;
    }
    if (parent->attributes.count("kind") && parent->attributes.at("kind") == "Backup") {
      backups_traced.insert(parent->attributes.count("name") ? parent->attributes.at("name") : "");
    }
  }
  EXPECT_GE(runs.size(), 5u) << "mover runs seen in traces";
  for (const char* backup : {"app-data-manual", "app-data-kept", "scratch-first"}) {
    EXPECT_EQ(backups_traced.count(backup), 1u) << "no mover trace under Backup " << backup;
  }
}

void check_logs(const LocalSystem& system) {
  for (const char* program : {"controller", "webhook"}) {
    const std::string text = system.log(program);
    expect_json_lines(program, text);
    std::istringstream in(text);
    std::string line;
    int reconcile_lines = 0;
    while (std::getline(in, line)) {
      const std::string span = span_text(line);
      if (span.find("\"name\":\"reconcile\"") == std::string::npos) continue;
      ++reconcile_lines;
      EXPECT_TRUE(span.find("\"kind\":\"") != std::string::npos &&
                  span.find("\"namespace\":\"") != std::string::npos &&
                  count(span, "\"name\":\"") == 2)
          << "a reconcile line without kind, namespace and name: " << line;
    }
    if (std::string(program) == "controller") {
      EXPECT_GT(reconcile_lines, 0) << "no log line inside a reconcile span";
    }
  }
  // Mover Jobs' logs: the controller's KOPIUR_LOG_FORMAT=json and RUST_LOG (kopiur_mover=debug).
  const auto [code, names] = kubectl(system, {"get", "jobs", "-n", "demo", "-o", "name"});
  ASSERT_EQ(code, 0) << names;
  std::istringstream jobs(names);
  std::string job;
  int debug_lines = 0, checked = 0;
  while (std::getline(jobs, job) && checked < 5) {
    if (job.empty()) continue;
    const auto [rc, logs] = kubectl(system, {"logs", "-n", "demo", job});
    if (rc != 0) continue;
    ++checked;
    expect_json_lines("mover " + job, logs);
    debug_lines += static_cast<int>(count(logs, "\"level\":\"DEBUG\""));
  }
  EXPECT_GT(checked, 0) << "no mover Job's log could be read";
  EXPECT_GT(debug_lines, 0) << "the movers did not follow RUST_LOG=info,kopiur_mover=debug";
}

void check_restore(const LocalSystem& system) {
  const fs::path volumes = fs::path(system.state()) / "data" / "volumes" / "demo";
  const auto source = files_under(volumes / "app-data");
  const auto restored = files_under(volumes / "app-data-restored");
  EXPECT_EQ(source.size(), 22u);
  EXPECT_EQ(restored.size(), source.size());
  EXPECT_TRUE(restored == source) << "the restored files differ from the source";
}

}  // namespace kopiur::e2e
