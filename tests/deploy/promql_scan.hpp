// File: deploy/promql_scan.hpp
//
// A small PromQL scanner for checking the deploy artifacts' queries against the metric catalog:
// it finds every series selector (metric name and label matchers) and every grouping label list
// (by/without/on/ignoring). It does not evaluate or fully parse PromQL — promtool proves the
// expressions parse; this finds the names they rely on.
#pragma once

#include <string>
#include <vector>

namespace kopiur::deploy_test {

struct Matcher {
  std::string label;
  std::string op;  // =, !=, =~, !~
  std::string value;
};

struct Selector {
  std::string metric;
  std::vector<Matcher> matchers;
};

struct ScannedExpr {
  std::vector<Selector> selectors;
  std::vector<std::string> grouping;  // labels named in by/without/on/ignoring lists
  std::string error;                  // set when the scanner could not follow the text
};

ScannedExpr scan_promql(const std::string& expr);

// The literal alternatives of a matcher value: "A|B" → {A, B}. Empty when the value is a pattern
// (holds regex syntax other than |) or a Grafana variable ($namespace), which cannot be checked.
std::vector<std::string> literal_alternatives(const Matcher& m);

}  // namespace kopiur::deploy_test
