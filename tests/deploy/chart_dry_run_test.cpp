// The chart with every knob on (deploy/observability-values.yaml), applied to the local API
// server: the CRDs for real, then every other rendered object whose kind the server serves with
// server-side dry run, so each is validated by the server's schemas (and nothing is stored). The
// kinds it does not serve are listed exactly, so a new kind in the chart is noticed here.
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "kopiur/kube/client.hpp"
#include "kopiur/localkube/server.hpp"
#include "kopiur/support/json.hpp"

#include "deploy/chart.hpp"
#include "kube/detail/yaml_json.hpp"

namespace kopiur::deploy_test {
namespace {

using nlohmann::json;

struct Served {
  std::string plural;
  bool namespaced = false;
};

// kind + apiVersion -> resource, from the server's discovery documents.
std::map<std::string, Served> discover(kube::Client& client) {
  std::map<std::string, Served> out;
  auto add = [&](const std::string& group_version) {
    auto list = client.request("GET", group_version == "v1" ? "/api/v1" : "/apis/" + group_version,
                               json(), "");
    if (!list.ok()) return;
    for (const auto& r : list->value("resources", json::array())) {
      const std::string name = r.value("name", "");
      if (name.find('/') != std::string::npos) continue;  // subresources
      out[group_version + " " + r.value("kind", "")] = {name, r.value("namespaced", false)};
    }
  };
  add("v1");
  auto groups = client.request("GET", "/apis", json(), "");
  if (groups.ok()) {
    for (const auto& g : groups->value("groups", json::array())) {
      for (const auto& v : g.value("versions", json::array())) add(v.value("groupVersion", ""));
    }
  }
  return out;
}

std::string path_of(const std::string& api_version, const Served& s, const std::string& ns) {
  const std::string base = api_version == "v1" ? "/api/v1" : "/apis/" + api_version;
  return base + (s.namespaced ? "/namespaces/" + ns : "") + "/" + s.plural;
}

TEST(ChartDryRun, EveryServedObjectPassesTheServersValidationAndNothingIsStored) {
  std::string why;
  ASSERT_FALSE(chart_render_path(&why).empty()) << why;
  const Rendered r = render_chart(
      {"--include-crds", "-f", (source_dir() / "deploy/observability-values.yaml").string()});
  ASSERT_EQ(r.run.exit_code, 0) << r.run.output;
  std::string error;
  const auto docs = kube::detail::parse_yaml_documents(r.run.output, &error);
  ASSERT_TRUE(docs.has_value()) << error;

  auto server = localkube::LocalApiServer::start({});
  ASSERT_TRUE(server.ok()) << server.error().to_string();
  kube::Config config;
  config.server = (*server)->url();
  kube::Client client(config);
  ASSERT_TRUE(client
                  .create(kube::resources::kNamespaces, "",
                          {{"apiVersion", "v1"},
                           {"kind", "Namespace"},
                           {"metadata", {{"name", "kopiur-system"}}}})
                  .ok());
  std::size_t crds = 0;
  for (const auto& d : *docs) {
    if (d.value("kind", "") != "CustomResourceDefinition") continue;
    auto made = client.create(kube::resources::kCustomResourceDefinitions, "", d);
    EXPECT_TRUE(made.ok()) << d["metadata"].value("name", "") << ": " << made.error().to_string();
    ++crds;
  }
  EXPECT_EQ(crds, 7u);

  const auto served = discover(client);
  std::set<std::string> not_served;
  std::size_t checked = 0;
  for (const auto& d : *docs) {
    const std::string kind = d.value("kind", "");
    if (kind == "CustomResourceDefinition") continue;
    const std::string key = d.value("apiVersion", "") + " " + kind;
    const auto it = served.find(key);
    if (it == served.end()) {
      not_served.insert(key);
      continue;
    }
    const std::string ns = d["metadata"].value("namespace", "kopiur-system");
    const std::string path = path_of(d.value("apiVersion", ""), it->second, ns);
    auto dry = client.request("POST", path + "?dryRun=All", d, "application/json");
    EXPECT_TRUE(dry.ok()) << key << " " << d["metadata"].value("name", "") << ": "
                          << dry.error().to_string();
    auto stored = client.request("GET", path + "/" + d["metadata"].value("name", ""), json(), "");
    EXPECT_FALSE(stored.ok()) << key << " was stored by a dry run";
    ++checked;
  }
  EXPECT_GT(checked, 0u);
  // The Prometheus Operator's custom resources: their CRDs belong to that operator, not to this
  // chart, so the local server has no schema for them (promtool checks the rules they carry).
  EXPECT_EQ(not_served, (std::set<std::string>{"monitoring.coreos.com/v1 PrometheusRule",
                                               "monitoring.coreos.com/v1 ServiceMonitor"}));
}

}  // namespace
}  // namespace kopiur::deploy_test
