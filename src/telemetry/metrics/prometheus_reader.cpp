// PrometheusReader: one collect pass written straight into the caller's buffer.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kopiur/telemetry/metrics/prometheus.hpp"

namespace kopiur::telemetry::metrics {
namespace detail {

// What the exposition writes for one instrument besides its series, rendered once per reader and
// instrument rather than on every scrape: the names, the HELP/TYPE lines of either format and the
// histogram's `le` values.
struct PrometheusFamilyText {
  std::string family;
  std::string sample;
  std::string header_text;
  std::string header_open_metrics;
  std::vector<std::string> le;
};

// The reader's texts by instrument. An instrument's descriptor lives, unchanged and at one
// address, as long as its provider, which outlives the reader: its address is the key.
class PrometheusFamilyCache {
 public:
  const PrometheusFamilyText& get(const InstrumentDescriptor& descriptor);

 private:
  std::mutex mutex_;  // concurrent scrapes
  std::unordered_map<const InstrumentDescriptor*, std::unique_ptr<const PrometheusFamilyText>>
      texts_;
};

}  // namespace detail

namespace {

bool valid_label_name(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  if (s.size() >= 2 && s[0] == '_' && s[1] == '_') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// Prometheus reserves `le` for a histogram bucket's bound and `quantile` for a summary's: a
// histogram attribute named `le` would give its bucket lines the label twice, and promtool rejects
// either on any other kind. An attribute whose label name would be one of them is exposed with an
// underscore appended (`le_`, `quantile_`), on every instrument kind and on target_info.
bool reserved_label_name(std::string_view name) { return name == "le" || name == "quantile"; }

// The Prometheus label name of an attribute key: sanitized, reserved names renamed.
std::string label_name(std::string_view key) {
  std::string name = valid_label_name(key) ? std::string(key) : sanitize_label_name(key);
  if (reserved_label_name(name)) name.push_back('_');
  return name;
}

inline void append_label(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append("=\"");
  append_escaped_label_value(out, value);
  out.push_back('"');
}

// Appends the labels of one series through the slow path of append_series_labels(): names
// sanitized and renamed, colliding ones merged.
void append_merged_labels(std::string& out, std::span<const Attribute> attributes) {
  struct Entry {
    std::string name;
    std::size_t position;  // in `attributes`
  };
  std::vector<Entry> entries;
  entries.reserve(attributes.size());
  for (std::size_t i = 0; i < attributes.size(); ++i) {
    entries.push_back({label_name(attributes[i].key), i});
  }
  // Grouped by label name; within a group, by original key.
  std::sort(entries.begin(), entries.end(), [&](const Entry& x, const Entry& y) {
    if (x.name != y.name) return x.name < y.name;
    return attributes[x.position].key < attributes[y.position].key;
  });
  struct Label {
    std::string_view name;
    std::string value;
    std::size_t first_position;
  };
  std::vector<Label> merged;
  for (const Entry& e : entries) {
    const std::string_view value = attributes[e.position].value;
    if (!merged.empty() && merged.back().name == e.name) {
      Label& label = merged.back();
      label.value.push_back(';');
      label.value.append(value);
      label.first_position = std::min(label.first_position, e.position);
    } else {
      merged.push_back({e.name, std::string(value), e.position});
    }
  }
  std::sort(merged.begin(), merged.end(),
            [](const Label& x, const Label& y) { return x.first_position < y.first_position; });
  bool first = true;
  for (const Label& label : merged) {
    if (!first) out.push_back(',');
    first = false;
    append_label(out, label.name, label.value);
  }
}

// Appends the labels of one series, `name="value"` pairs separated by commas, no braces.
// Attribute keys are unique, so names can only collide after sanitizing (`a.b` and `a_b`) or
// through the reserved-name rename (`le` and `le_`). As the OpenTelemetry-to-Prometheus
// compatibility rules ask, colliding attributes become one label whose value is theirs joined
// with ';', in the byte order of their original keys; the label keeps the place of the first of
// them. Keys that are already valid and not reserved (the common case) are written straight
// through in one pass, without allocating; the first key that is not rolls the series back to
// the merging path.
void append_series_labels(std::string& out, std::span<const Attribute> attributes) {
  const std::size_t start = out.size();
  bool first = true;
  for (const Attribute& a : attributes) {
    if (!valid_label_name(a.key) || reserved_label_name(a.key)) [[unlikely]] {
      out.resize(start);
      append_merged_labels(out, attributes);
      return;
    }
    if (!first) out.push_back(',');
    first = false;
    append_label(out, a.key, a.value);
  }
}

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_uint(std::string& out, std::uint64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_double(std::string& out, double v) {
  if (std::isnan(v)) {
    out.append("NaN");
  } else if (std::isinf(v)) {
    out.append(v > 0 ? "+Inf" : "-Inf");
  } else {
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
  }
}

void append_hex(std::string& out, const std::uint8_t* bytes, std::size_t n) {
  constexpr std::string_view kDigits = "0123456789abcdef";
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[bytes[i] >> 4U]);
    out.push_back(kDigits[bytes[i] & 0xFU]);
  }
}

// HELP text: \\ and \n escaped (OpenMetrics also escapes ").
void append_help(std::string& out, std::string_view text, bool open_metrics) {
  for (char c : text) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (c == '\n') {
      out.append("\\n");
    } else if (c == '"' && open_metrics) {
      out.append("\\\"");
    } else {
      out.push_back(c);
    }
  }
}

double parse_q(std::string_view params) {
  // params: ";version=1.0.0;q=0.5"
  std::size_t pos = 0;
  while ((pos = params.find(';', pos)) != std::string_view::npos) {
    ++pos;
    while (pos < params.size() && params[pos] == ' ') ++pos;
    if (params.substr(pos, 2) == "q=") {
      const std::string value(params.substr(pos + 2, params.find(';', pos) - pos - 2));
      return std::strtod(value.c_str(), nullptr);
    }
  }
  return 1.0;
}

void append_family_header(std::string& out, const InstrumentDescriptor& d, const std::string& name,
                          bool open_metrics) {
  if (!d.description.empty()) {
    out.append("# HELP ");
    out.append(name);
    out.push_back(' ');
    append_help(out, d.description, open_metrics);
    out.push_back('\n');
  }
  out.append("# TYPE ");
  out.append(name);
  switch (d.kind) {
    case InstrumentKind::Counter:
      out.append(" counter\n");
      break;
    case InstrumentKind::Histogram:
      out.append(" histogram\n");
      break;
    case InstrumentKind::Gauge:
    case InstrumentKind::UpDownCounter:
      out.append(" gauge\n");
      break;
  }
}

std::unique_ptr<const detail::PrometheusFamilyText> render_family_text(
    const InstrumentDescriptor& d) {
  auto text = std::make_unique<detail::PrometheusFamilyText>();
  text->family = prometheus_family_name(d);
  text->sample = d.kind == InstrumentKind::Counter ? text->family + "_total" : text->family;
  append_family_header(text->header_text, d, text->sample, false);
  append_family_header(text->header_open_metrics, d, text->family, true);
  for (const double b : d.bounds) {
    std::string bound;
    append_double(bound, b);
    text->le.push_back(std::move(bound));
  }
  return text;
}

class ExpositionWriter final : public CollectVisitor {
 public:
  ExpositionWriter(std::string& out, bool open_metrics, detail::PrometheusFamilyCache& cache)
      : out_(out), open_metrics_(open_metrics), cache_(cache) {}

  void begin_instrument(const InstrumentDescriptor& d) override {
    descriptor_ = &d;
    header_done_ = false;
    text_ = &cache_.get(d);
  }

  void number(std::uint64_t, std::span<const Attribute> attributes,
              const NumberPoint& point) override {
    header();
    out_.append(text_->sample);
    if (!attributes.empty()) {
      out_.push_back('{');
      append_series_labels(out_, attributes);
      out_.push_back('}');
    }
    out_.push_back(' ');
    if (descriptor_->value_type == ValueType::Int64) {
      append_int(out_, point.as_int);
    } else {
      append_double(out_, point.as_double);
    }
    out_.push_back('\n');
  }

  void histogram(std::uint64_t, std::span<const Attribute> attributes,
                 const HistogramPoint& point) override {
    header();
    // Rendered once, repeated on every bucket, _sum and _count line.
    series_labels_.clear();
    append_series_labels(series_labels_, attributes);
    // The exemplar belongs to the bucket its value falls in.
    std::size_t exemplar_bucket = point.bucket_counts.size();
    if (open_metrics_ && point.exemplar != nullptr) {
      const auto& b = descriptor_->bounds;
      exemplar_bucket = static_cast<std::size_t>(
          std::lower_bound(b.begin(), b.end(), point.exemplar->value) - b.begin());
    }
    const std::vector<std::string>& le = text_->le;
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < point.bucket_counts.size(); ++i) {
      cumulative += point.bucket_counts[i];
      out_.append(text_->family);
      out_.append("_bucket");
      labels(i < le.size() ? std::string_view(le[i]) : std::string_view("+Inf"));
      out_.push_back(' ');
      append_uint(out_, cumulative);
      if (i == exemplar_bucket) exemplar(*point.exemplar);
      out_.push_back('\n');
    }
    out_.append(text_->family);
    out_.append("_sum");
    labels({});
    out_.push_back(' ');
    append_double(out_, point.sum);
    out_.push_back('\n');
    out_.append(text_->family);
    out_.append("_count");
    labels({});
    out_.push_back(' ');
    append_uint(out_, point.count);
    out_.push_back('\n');
  }

 private:
  void header() {
    if (header_done_) return;
    header_done_ = true;
    out_.append(open_metrics_ ? text_->header_open_metrics : text_->header_text);
  }

  // A histogram line's labels: the series' (series_labels_), then the bucket bound when given.
  void labels(std::string_view le) {
    if (series_labels_.empty() && le.empty()) return;
    out_.push_back('{');
    out_.append(series_labels_);
    if (!le.empty()) {
      if (!series_labels_.empty()) out_.push_back(',');
      out_.append("le=\"");
      out_.append(le);
      out_.push_back('"');
    }
    out_.push_back('}');
  }

  void exemplar(const Exemplar& e) {
    out_.append(" # {trace_id=\"");
    append_hex(out_, e.trace_id.bytes.data(), e.trace_id.bytes.size());
    out_.append("\",span_id=\"");
    append_hex(out_, e.span_id.bytes.data(), e.span_id.bytes.size());
    out_.append("\"} ");
    append_double(out_, e.value);
    out_.push_back(' ');
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(e.time.time_since_epoch()).count();
    append_int(out_, ms / 1000);
    out_.push_back('.');
    const auto frac = ms % 1000;
    if (frac < 100) out_.push_back('0');
    if (frac < 10) out_.push_back('0');
    append_int(out_, frac);
  }

  std::string& out_;
  bool open_metrics_;
  detail::PrometheusFamilyCache& cache_;
  const InstrumentDescriptor* descriptor_ = nullptr;
  const detail::PrometheusFamilyText* text_ = nullptr;
  bool header_done_ = false;
  std::string series_labels_;  // the current histogram series' labels, reused across series
};

// target_info: the resource as one series (the resource never changes: rendered once).
std::string render_target_info(const Resource& resource, bool open_metrics) {
  std::string out;
  if (resource.attributes().empty()) return out;
  if (open_metrics) {
    out.append("# HELP target Target metadata\n# TYPE target info\n");
  } else {
    out.append("# HELP target_info Target metadata\n# TYPE target_info gauge\n");
  }
  out.append("target_info{");
  std::vector<Attribute> attributes;
  attributes.reserve(resource.attributes().size());
  for (const auto& [key, value] : resource.attributes()) attributes.push_back({key, value});
  append_series_labels(out, attributes);
  out.append("} 1\n");
  return out;
}

}  // namespace

const detail::PrometheusFamilyText& detail::PrometheusFamilyCache::get(
    const InstrumentDescriptor& descriptor) {
  std::lock_guard lock(mutex_);
  std::unique_ptr<const PrometheusFamilyText>& text = texts_[&descriptor];
  if (!text) text = render_family_text(descriptor);
  return *text;
}

ExpositionFormat negotiate_format(std::string_view accept) noexcept {
  double best_open_metrics = 0;
  double best_text = 0;
  std::size_t start = 0;
  while (start <= accept.size()) {
    const std::size_t comma = accept.find(',', start);
    std::string_view entry = accept.substr(
        start, comma == std::string_view::npos ? accept.size() - start : comma - start);
    start = comma == std::string_view::npos ? accept.size() + 1 : comma + 1;
    while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
    const std::size_t semi = entry.find(';');
    std::string_view media = entry.substr(0, semi);
    while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
    const std::string_view params =
        semi == std::string_view::npos ? std::string_view() : entry.substr(semi);
    double q = 1.0;
    try {
      q = parse_q(params);
    } catch (...) {
      q = 0;
    }
    if (media == "application/openmetrics-text") {
      const std::size_t v = params.find("version=");
      const bool v1 = v == std::string_view::npos || params.substr(v + 8, 2) == "1.";
      if (v1) best_open_metrics = std::max(best_open_metrics, q);
    } else if (media == "text/plain") {
      best_text = std::max(best_text, q);
    }
  }
  return best_open_metrics > 0 && best_open_metrics >= best_text ? ExpositionFormat::kOpenMetrics100
                                                                 : ExpositionFormat::kText004;
}

PrometheusReader::PrometheusReader(const MeterProvider& provider, Resource resource)
    : provider_(&provider),
      resource_(std::move(resource)),
      target_info_text_(render_target_info(resource_, false)),
      target_info_open_metrics_(render_target_info(resource_, true)),
      families_(std::make_unique<detail::PrometheusFamilyCache>()) {}

PrometheusReader::~PrometheusReader() = default;

void PrometheusReader::render(ExpositionFormat format, std::string& out) const {
  const bool open_metrics = format == ExpositionFormat::kOpenMetrics100;
  out.append(open_metrics ? target_info_open_metrics_ : target_info_text_);
  ExpositionWriter writer(out, open_metrics, *families_);
  provider_->collect(writer);
  if (open_metrics) out.append("# EOF\n");
}

namespace {

// The failure may be out of memory: the partial body is freed first, and a reason that cannot be
// built falls back to one that fits std::string's inline buffer (no allocation).
void fail_scrape(ScrapeResult& result, const char* what) noexcept {
  std::string().swap(result.body);
  try {
    result.error = std::string("rendering the exposition failed: ") + what;
  } catch (...) {
    result.error = "out of memory";
  }
}

}  // namespace

ScrapeResult PrometheusReader::scrape(std::string_view accept_header) const noexcept {
  const ExpositionFormat format = negotiate_format(accept_header);
  ScrapeResult result;
  try {
    result.content_type =
        format == ExpositionFormat::kOpenMetrics100 ? kOpenMetricsContentType : kTextContentType;
    // One allocation at the size the last scrape needed, plus room to grow, instead of a string
    // doubling (and copying) its way up to it.
    const std::size_t last = last_size_.load(std::memory_order_relaxed);
    result.body.reserve(last + last / 8 + 256);
    render(format, result.body);
    last_size_.store(result.body.size(), std::memory_order_relaxed);
  } catch (const std::exception& e) {
    fail_scrape(result, e.what());
  } catch (...) {
    fail_scrape(result, "unknown exception");
  }
  return result;
}

}  // namespace kopiur::telemetry::metrics
