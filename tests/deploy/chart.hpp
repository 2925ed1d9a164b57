// File: deploy/chart.hpp
//
// The kopiur Helm chart rendered by tools/chart-render (the tests' `helm template`), as parsed
// YAML documents, with lookups by kind and name and the env of a container as a map.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "deploy/artifacts.hpp"

namespace kopiur::deploy_test {

struct Rendered {
  RunResult run;
  std::vector<YAML::Node> docs;
  std::string parse_error;

  bool ok() const { return run.exit_code == 0 && parse_error.empty(); }
  std::vector<YAML::Node> of_kind(const std::string& kind) const;
  // The one document of `kind` named `name` (a null node when absent: check has()).
  YAML::Node find(const std::string& kind, const std::string& name) const;
  bool has(const std::string& kind, const std::string& name) const {
    return find(kind, name).IsMap();
  }
};

// Renders deploy/helm/kopiur as release "kopiur" in kopiur-system with extra chart-render
// arguments (--set k=v, -f file, ...).
Rendered render_chart(const std::vector<std::string>& args = {});
// The path of the chart-render binary, or "" with a message in *why.
std::string chart_render_path(std::string* why);

// A container's env: name → value, or "secretKeyRef:<secret>/<key>" / "fieldRef:<path>".
std::map<std::string, std::string> container_env(const YAML::Node& deployment);
std::vector<std::string> container_args(const YAML::Node& deployment);

}  // namespace kopiur::deploy_test
