#include "deploy/chart.hpp"

#include <filesystem>

namespace kopiur::deploy_test {

std::vector<YAML::Node> Rendered::of_kind(const std::string& kind) const {
  std::vector<YAML::Node> out;
  for (const YAML::Node& d : docs) {
    if (d["kind"] && d["kind"].as<std::string>() == kind) out.push_back(d);
  }
  return out;
}

YAML::Node Rendered::find(const std::string& kind, const std::string& name) const {
  for (const YAML::Node& d : of_kind(kind)) {
    if (d["metadata"]["name"].as<std::string>() == name) return d;
  }
  return YAML::Node();
}

std::string chart_render_path(std::string* why) {
  const std::filesystem::path p = binary_dir() / "tools/chart-render/chart-render";
  if (std::filesystem::exists(p)) return p.string();
  *why = p.string() +
         " was not built: CMake builds it when `go` is installed (apt-get install golang-go "
         "golang-github-masterminds-sprig-dev golang-k8s-sigs-yaml-dev "
         "golang-github-xeipuuv-gojsonschema-dev, then re-run cmake)";
  return "";
}

Rendered render_chart(const std::vector<std::string>& args) {
  Rendered r;
  std::string why;
  const std::string tool = chart_render_path(&why);
  if (tool.empty()) {
    r.run.output = why;
    return r;
  }
  std::vector<std::string> argv = {
      tool,           "--chart", (source_dir() / "deploy/helm/kopiur").string(),
      "--release",    "kopiur",  "--namespace",
      "kopiur-system"};
  argv.insert(argv.end(), args.begin(), args.end());
  r.run = run_program(argv);
  if (r.run.exit_code != 0) return r;
  try {
    for (const YAML::Node& d : YAML::LoadAll(r.run.output)) {
      if (d.IsNull()) continue;
      r.docs.push_back(d);
    }
  } catch (const YAML::Exception& e) {
    r.parse_error = e.what();
  }
  return r;
}

std::map<std::string, std::string> container_env(const YAML::Node& deployment) {
  std::map<std::string, std::string> env;
  const YAML::Node list = deployment["spec"]["template"]["spec"]["containers"][0]["env"];
  for (const YAML::Node& e : list) {
    const std::string name = e["name"].as<std::string>();
    if (e["value"]) {
      env[name] = e["value"].as<std::string>();
    } else if (e["valueFrom"]["secretKeyRef"]) {
      env[name] = "secretKeyRef:" + e["valueFrom"]["secretKeyRef"]["name"].as<std::string>() + "/" +
                  e["valueFrom"]["secretKeyRef"]["key"].as<std::string>();
    } else if (e["valueFrom"]["fieldRef"]) {
      env[name] = "fieldRef:" + e["valueFrom"]["fieldRef"]["fieldPath"].as<std::string>();
    } else {
      env[name] = "";
    }
  }
  return env;
}

std::vector<std::string> container_args(const YAML::Node& deployment) {
  std::vector<std::string> out;
  for (const YAML::Node& a : deployment["spec"]["template"]["spec"]["containers"][0]["args"]) {
    out.push_back(a.as<std::string>());
  }
  return out;
}

}  // namespace kopiur::deploy_test
