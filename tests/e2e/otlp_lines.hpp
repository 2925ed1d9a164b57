// The OTLP receiver's output (kopiur-otlp-receiver --out: one OTLP/JSON export request per line)
// as the end-to-end test reads it: spans, log records and metrics, each with the service.name of
// the resource that sent it.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace kopiur::e2e {

struct SpanRecord {
  std::string service;
  std::string name;
  std::string trace_id, span_id, parent_span_id;  // hex; parent empty for a root
  std::map<std::string, std::string> attributes;  // values as text
};

struct LogRecord {
  std::string service;
  std::string body;
  std::string trace_id;
};

struct MetricRecord {
  std::string service;
  std::string name;  // the OTLP instrument name, e.g. kopiur_mover_operations
  std::set<std::string> attribute_keys;
  std::map<std::string, std::string> attributes;  // of one data point
  double value = 0;  // a number point's value, or a histogram point's count
};

struct OtlpCapture {
  std::vector<SpanRecord> spans;
  std::vector<LogRecord> logs;
  std::vector<MetricRecord> metrics;  // one per data point
  std::size_t lines = 0;
  std::vector<std::string> errors;  // lines that did not parse, with why
};

OtlpCapture read_otlp_lines(const std::string& path);

}  // namespace kopiur::e2e
