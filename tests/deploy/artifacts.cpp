#include "deploy/artifacts.hpp"

#include <fstream>
#include <iterator>
#include <stdexcept>

#include <fcntl.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include "kopiur/process/process.hpp"
#include "kopiur/support/json.hpp"

#include "support/temp_dir.hpp"

extern char** environ;

namespace kopiur::deploy_test {
namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void collect_panels(const nlohmann::json& panels, std::vector<Query>& out) {
  for (const auto& panel : panels) {
    if (panel.contains("panels")) collect_panels(panel["panels"], out);
    if (!panel.contains("targets")) continue;
    for (const auto& t : panel["targets"]) {
      Query q;
      q.where = "dashboard panel \"" + panel.value("title", std::string()) + "\" " +
                t.value("refId", std::string());
      q.expr = t.value("expr", std::string());
      q.legend = t.value("legendFormat", std::string());
      out.push_back(std::move(q));
    }
  }
}

}  // namespace

std::filesystem::path source_dir() { return KOPIUR_TEST_SOURCE_DIR; }
std::filesystem::path binary_dir() { return KOPIUR_TEST_BINARY_DIR; }

std::vector<Query> dashboard_queries() {
  const auto d = nlohmann::json::parse(slurp(source_dir() / "deploy/dashboards/kopiur.json"));
  std::vector<Query> out;
  collect_panels(d.at("panels"), out);
  return out;
}

std::vector<std::string> dashboard_variable_metrics() {
  const auto d = nlohmann::json::parse(slurp(source_dir() / "deploy/dashboards/kopiur.json"));
  std::vector<std::string> out;
  for (const auto& v : d.at("templating").at("list")) {
    if (v.value("type", "") != "query") continue;
    const std::string q = v.at("query").is_object() ? v.at("query").value("query", "")
                                                    : v.at("query").get<std::string>();
    // label_values(<metric>, <label>)
    const auto open = q.find('(');
    const auto comma = q.find(',');
    if (q.rfind("label_values(", 0) != 0 || comma == std::string::npos) {
      out.push_back("unparsed:" + q);
      continue;
    }
    out.push_back(q.substr(open + 1, comma - open - 1));
  }
  return out;
}

std::vector<Query> alert_queries() {
  const YAML::Node rules =
      YAML::LoadFile((source_dir() / "deploy/prometheus/kopiur-rules.yaml").string());
  std::vector<Query> out;
  for (const auto& group : rules["groups"]) {
    for (const auto& rule : group["rules"]) {
      if (!rule["alert"]) continue;
      Query q;
      q.where = "alert " + rule["alert"].as<std::string>();
      q.expr = rule["expr"].as<std::string>();
      for (const auto& a : rule["annotations"]) {
        q.templates[a.first.as<std::string>()] = a.second.as<std::string>();
      }
      out.push_back(std::move(q));
    }
  }
  return out;
}

RunResult run_program(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  test::TempDir dir("kopiur-deploy-run-");
  RunResult result;
  process::SpawnOptions options;
  options.argv = argv;
  for (char** e = environ; *e != nullptr; ++e) options.env.emplace_back(*e);
  options.env.insert(options.env.end(), env.begin(), env.end());
  const std::string out_path = dir.file("output");
  process::UniqueFd fd(::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  options.stdout_to = process::Redirect::to_fd(fd.get());
  options.stderr_to = process::Redirect::to_fd(fd.get());
  auto spawned = process::Process::spawn(options);
  if (!spawned.process) {
    result.output = spawned.error;
    return result;
  }
  result.exit_code = spawned.process->wait().combined();
  result.output = slurp(out_path);
  return result;
}

}  // namespace kopiur::deploy_test
