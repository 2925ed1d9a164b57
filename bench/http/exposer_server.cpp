// exposer_server: prometheus-cpp's Exposer (civetweb) serving a fixed Prometheus exposition, for
// the /metrics server comparison of bench/http_compare.sh. The text is parsed once into
// prometheus-cpp's MetricFamily structures, which a Collectable hands to the Exposer on every
// scrape; the Exposer serialises them itself, as it would a registry's.
//
//   exposer_server 127.0.0.1:9102 metrics.prom
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/exposer.h>
#include <prometheus/metric_family.h>
#include <pthread.h>

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

struct Sample {
  std::string name;
  Labels labels;
  double value = 0;
};

// One sample line: name{a="b",...} value. Escapes in label values are kept decoded.
bool parse_sample(const std::string& line, Sample& out) {
  const auto brace = line.find('{');
  const auto space = line.rfind(' ');
  if (space == std::string::npos) return false;
  if (brace != std::string::npos && brace < space) {
    out.name = line.substr(0, brace);
    std::size_t i = brace + 1;
    while (i < line.size() && line[i] != '}') {
      const auto eq = line.find('=', i);
      if (eq == std::string::npos || line[eq + 1] != '"') return false;
      ClientMetric::Label label{line.substr(i, eq - i), ""};
      for (i = eq + 2; i < line.size() && line[i] != '"'; ++i) {
        if (line[i] == '\\' && i + 1 < line.size()) {
          ++i;
          label.value.push_back(line[i] == 'n' ? '\n' : line[i]);
        } else {
          label.value.push_back(line[i]);
        }
      }
      out.labels.push_back(label);
      i += 1;
      if (i < line.size() && line[i] == ',') ++i;
    }
  } else {
    out.name = line.substr(0, space);
  }
  out.value = std::strtod(line.c_str() + space + 1, nullptr);
  return true;
}

MetricType type_of(const std::string& word) {
  if (word == "counter") return MetricType::Counter;
  if (word == "gauge") return MetricType::Gauge;
  if (word == "histogram") return MetricType::Histogram;
  if (word == "summary") return MetricType::Summary;
  return MetricType::Untyped;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string key_of(const Labels& labels) {
  std::string key;
  for (const auto& l : labels) key += l.name + "=" + l.value + ",";
  return key;
}

// The families of a Prometheus text exposition (counters, gauges, untyped, histograms).
std::vector<MetricFamily> parse(std::istream& in) {
  std::vector<MetricFamily> families;
  std::map<std::string, std::size_t> by_key;  // histogram series -> metric index in the family
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      std::istringstream words(line.substr(7));
      std::string name, rest;
      words >> name;
      std::getline(words >> std::ws, rest);
      if (families.empty() || families.back().name != name) {
        families.push_back({name, "", MetricType::Untyped, {}});
        by_key.clear();
      }
      if (line[2] == 'H') families.back().help = rest;
      if (line[2] == 'T') families.back().type = type_of(rest);
      continue;
    }
    if (line.empty() || line[0] == '#' || families.empty()) continue;
    Sample s;
    if (!parse_sample(line, s)) continue;
    MetricFamily& f = families.back();
    if (f.type != MetricType::Histogram) {
      ClientMetric m;
      m.label = s.labels;
      if (f.type == MetricType::Counter) m.counter.value = s.value;
      if (f.type == MetricType::Gauge) m.gauge.value = s.value;
      if (f.type == MetricType::Untyped) m.untyped.value = s.value;
      f.metric.push_back(std::move(m));
      continue;
    }
    double le = 0;
    Labels series;
    for (const auto& l : s.labels) {
      if (l.name == "le") {
        le = l.value == "+Inf" ? std::numeric_limits<double>::infinity() : std::stod(l.value);
      } else {
        series.push_back(l);
      }
    }
    const auto [it, fresh] = by_key.emplace(key_of(series), f.metric.size());
    if (fresh) {
      f.metric.emplace_back();
      f.metric.back().label = series;
    }
    auto& h = f.metric[it->second].histogram;
    if (ends_with(s.name, "_bucket")) {
      h.bucket.push_back({static_cast<std::uint64_t>(s.value), le});
    } else if (ends_with(s.name, "_sum")) {
      h.sample_sum = s.value;
    } else if (ends_with(s.name, "_count")) {
      h.sample_count = static_cast<std::uint64_t>(s.value);
    }
  }
  return families;
}

class Fixed final : public prometheus::Collectable {
 public:
  explicit Fixed(std::vector<MetricFamily> families) : families_(std::move(families)) {}
  std::vector<MetricFamily> Collect() const override { return families_; }

 private:
  std::vector<MetricFamily> families_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: exposer_server HOST:PORT EXPOSITION_FILE\n";
    return 2;
  }
  std::ifstream in(argv[2]);
  if (!in) {
    std::cerr << "exposer_server: cannot read " << argv[2] << "\n";
    return 2;
  }
  // Blocked before the Exposer starts its threads, so only sigwait() below receives them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  auto fixed = std::make_shared<Fixed>(parse(in));
  prometheus::Exposer exposer(argv[1]);
  exposer.RegisterCollectable(fixed);
  std::cerr << "exposer_server: serving on http://" << argv[1] << "/metrics\n";
  int signo = 0;
  sigwait(&set, &signo);
  return 0;
}
