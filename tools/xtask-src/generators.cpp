// The list of generators gen-all runs. To add one: write tools/xtask-src/<name>.cpp with a
// function returning GeneratorOutput, declare it in generator.hpp, add it below and to
// CMakeLists.txt.
#include "generator.hpp"

namespace kopiur::xtask {

std::vector<Generator> all_generators() {
  return {
      {"metrics-doc", generate_metrics_doc},
      {"dashboards", generate_dashboards},
      {"crds", generate_crds},
      {"chart-crds", generate_chart_crds},
      {"alert-rules", generate_alert_rules},
  };
}

}  // namespace kopiur::xtask
