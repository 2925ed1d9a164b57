#include "prometheus_export.hpp"

#include <cctype>
#include <cmath>
#include <sstream>
#include <vector>

#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"

namespace kopiur::otlp_receiver {
namespace {

namespace pb = opentelemetry::proto;
using Labels = std::vector<std::pair<std::string, std::string>>;

std::string any_text(const pb::common::v1::AnyValue& v) {
  switch (v.value_case()) {
    case pb::common::v1::AnyValue::kStringValue:
      return v.string_value();
    case pb::common::v1::AnyValue::kIntValue:
      return std::to_string(v.int_value());
    case pb::common::v1::AnyValue::kBoolValue:
      return v.bool_value() ? "true" : "false";
    case pb::common::v1::AnyValue::kDoubleValue: {
      std::ostringstream out;
      out << v.double_value();
      return out.str();
    }
    default:
      return "";
  }
}

std::string sanitize(const std::string& name) {
  std::string out;
  for (const char c : name) out.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  if (!out.empty() && std::isdigit(static_cast<unsigned char>(out.front()))) out.insert(0, "_");
  return out;
}

std::string escape(const std::string& value) {
  std::string out;
  for (const char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

// HELP text escapes only backslash and newline.
std::string escape_help(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  std::ostringstream out;
  out.precision(17);
  out << v;
  return out.str();
}

std::string label_text(const Labels& labels) {
  std::string out;
  for (const auto& [k, v] : labels) {
    out += out.empty() ? "{" : ",";
    out += k + "=\"" + escape(v) + "\"";
  }
  return out.empty() ? out : out + "}";
}

template <typename Point>
Labels point_labels(const Labels& resource, const Point& point) {
  Labels out = resource;
  for (const auto& kv : point.attributes())
    out.emplace_back(sanitize(kv.key()), any_text(kv.value()));
  return out;
}

double value_of(const pb::metrics::v1::NumberDataPoint& p) {
  return p.value_case() == pb::metrics::v1::NumberDataPoint::kAsInt
             ? static_cast<double>(p.as_int())
             : p.as_double();
}

std::string histogram_lines(const std::string& name, const Labels& labels,
                            const pb::metrics::v1::HistogramDataPoint& p) {
  std::string out;
  std::uint64_t cumulative = 0;
  for (int i = 0; i < p.bucket_counts_size(); ++i) {
    cumulative += p.bucket_counts(i);
    Labels with_le = labels;
    with_le.emplace_back("le",
                         i < p.explicit_bounds_size() ? number(p.explicit_bounds(i)) : "+Inf");
    out += name + "_bucket" + label_text(with_le) + " " + std::to_string(cumulative) + "\n";
  }
  out += name + "_sum" + label_text(labels) + " " + number(p.has_sum() ? p.sum() : 0) + "\n";
  out += name + "_count" + label_text(labels) + " " + std::to_string(p.count()) + "\n";
  return out;
}

}  // namespace

std::string PrometheusExport::prometheus_name(const std::string& name, const std::string& unit,
                                              bool monotonic_sum) {
  std::string out = sanitize(name);
  const auto ends_with = [&out](const std::string& suffix) {
    return out.size() >= suffix.size() &&
           out.compare(out.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  const std::string suffix = unit == "s" ? "_seconds" : unit == "By" ? "_bytes" : "";
  if (!suffix.empty() && !ends_with(suffix)) out += suffix;
  if (monotonic_sum && !ends_with("_total")) out += "_total";
  return out;
}

void PrometheusExport::update(
    const opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest& request) {
  constexpr auto kCumulative = pb::metrics::v1::AGGREGATION_TEMPORALITY_CUMULATIVE;
  std::lock_guard lock(mu_);
  for (const auto& rm : request.resource_metrics()) {
    Labels resource;
    for (const auto& kv : rm.resource().attributes()) {
      if (kv.key() == "service.name")
        resource.emplace(resource.begin(), "job", any_text(kv.value()));
      if (kv.key() == "service.instance.id")
        resource.emplace_back("instance", any_text(kv.value()));
    }
    for (const auto& sm : rm.scope_metrics()) {
      for (const auto& m : sm.metrics()) {
        if (m.has_sum() && m.sum().aggregation_temporality() != kCumulative) continue;
        if (m.has_histogram() && m.histogram().aggregation_temporality() != kCumulative) continue;
        const bool counter = m.has_sum() && m.sum().is_monotonic();
        const std::string name = prometheus_name(m.name(), m.unit(), counter);
        Family& family = families_[name];
        family.help = m.description();
        if (m.has_histogram()) {
          family.type = "histogram";
          for (const auto& p : m.histogram().data_points()) {
            const Labels labels = point_labels(resource, p);
            family.samples[label_text(labels)] = histogram_lines(name, labels, p);
          }
          continue;
        }
        if (!m.has_sum() && !m.has_gauge()) continue;
        family.type = counter ? "counter" : "gauge";
        const auto& points = m.has_sum() ? m.sum().data_points() : m.gauge().data_points();
        for (const auto& p : points) {
          const std::string labels = label_text(point_labels(resource, p));
          family.samples[labels] = name + labels + " " + number(value_of(p)) + "\n";
        }
      }
    }
  }
}

std::string PrometheusExport::render() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, family] : families_) {
    if (family.samples.empty()) continue;
    out += "# HELP " + name + " " + escape_help(family.help) + "\n";
    out += "# TYPE " + name + " " + family.type + "\n";
    for (const auto& [key, lines] : family.samples) out += lines;
  }
  return out;
}

}  // namespace kopiur::otlp_receiver
