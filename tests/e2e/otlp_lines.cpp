#include "e2e/otlp_lines.hpp"

#include <fstream>

#include "kopiur/support/json.hpp"

namespace kopiur::e2e {
namespace {

using nlohmann::json;

std::string any_text(const json& value) {
  if (!value.is_object() || value.empty()) return "";
  const json& v = *value.begin();  // the one {"stringValue": ...} / {"intValue": ...} member
  if (v.is_string()) return v.get<std::string>();
  return v.dump();  // intValue is a string in OTLP/JSON already; bool and double print as JSON
}

std::map<std::string, std::string> attributes_of(const json& holder) {
  std::map<std::string, std::string> out;
  for (const auto& kv : holder.value("attributes", json::array())) {
    out[kv.value("key", "")] = any_text(kv.value("value", json::object()));
  }
  return out;
}

std::string service_of(const json& resource_block) {
  const auto attrs = attributes_of(resource_block.value("resource", json::object()));
  const auto it = attrs.find("service.name");
  return it == attrs.end() ? "" : it->second;
}

void read_spans(const json& request, OtlpCapture& out) {
  for (const auto& rs : request.value("resourceSpans", json::array())) {
    const std::string service = service_of(rs);
    for (const auto& ss : rs.value("scopeSpans", json::array())) {
      for (const auto& span : ss.value("spans", json::array())) {
        out.spans.push_back({service, span.value("name", ""), span.value("traceId", ""),
                             span.value("spanId", ""), span.value("parentSpanId", ""),
                             attributes_of(span)});
      }
    }
  }
}

void read_logs(const json& request, OtlpCapture& out) {
  for (const auto& rl : request.value("resourceLogs", json::array())) {
    const std::string service = service_of(rl);
    for (const auto& sl : rl.value("scopeLogs", json::array())) {
      for (const auto& record : sl.value("logRecords", json::array())) {
        out.logs.push_back(
            {service, any_text(record.value("body", json::object())), record.value("traceId", "")});
      }
    }
  }
}

double number_of(const json& point) {
  if (point.contains("asInt")) return std::stod(point["asInt"].get<std::string>());
  if (point.contains("asDouble")) return point["asDouble"].get<double>();
  if (point.contains("count")) return std::stod(point["count"].get<std::string>());
  return 0;
}

void read_metrics(const json& request, OtlpCapture& out) {
  for (const auto& rm : request.value("resourceMetrics", json::array())) {
    const std::string service = service_of(rm);
    for (const auto& sm : rm.value("scopeMetrics", json::array())) {
      for (const auto& metric : sm.value("metrics", json::array())) {
        for (const char* shape : {"sum", "gauge", "histogram"}) {
          if (!metric.contains(shape)) continue;
          for (const auto& point : metric[shape].value("dataPoints", json::array())) {
            MetricRecord r{
                service, metric.value("name", ""), {}, attributes_of(point), number_of(point)};
            for (const auto& [k, v] : r.attributes) r.attribute_keys.insert(k);
            out.metrics.push_back(std::move(r));
          }
        }
      }
    }
  }
}

}  // namespace

OtlpCapture read_otlp_lines(const std::string& path) {
  OtlpCapture out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    ++out.lines;
    const json value = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded() || !value.is_object()) {
      out.errors.push_back("line " + std::to_string(out.lines) + " is not JSON");
      continue;
    }
    const std::string signal = value.value("signal", "");
    const json& request = value.contains("request") ? value["request"] : json::object();
    try {
      if (signal == "traces") read_spans(request, out);
      if (signal == "logs") read_logs(request, out);
      if (signal == "metrics") read_metrics(request, out);
    } catch (const std::exception& e) {
      out.errors.push_back("line " + std::to_string(out.lines) + ": " + e.what());
    }
  }
  return out;
}

}  // namespace kopiur::e2e
