// Server-side dry run through the real kubectl: diff, and create/apply/delete with
// --dry-run=server answer as a write would but change nothing; an unknown dryRun value is refused.
#include <string>

#include <gtest/gtest.h>

#include "kube/kubectl_fixture.hpp"
#include "kube/test_util.hpp"

namespace kopiur::kube {
namespace {

using testing::KubectlTest;

std::string config_map(const std::string& value) {
  return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: default\n"
         "data:\n  mode: " +
         value + "\n";
}

TEST_F(KubectlTest, ServerSideDryRunChangesNothing) {
  const auto created = kubectl("create --dry-run=server -f " + write("a.yaml", config_map("one")));
  EXPECT_EQ(created.code, 0) << created.text;
  EXPECT_NE(created.text.find("configmap/settings created (server dry run)"), std::string::npos)
      << created.text;
  EXPECT_NE(kubectl("get configmap settings").code, 0) << "a dry-run create was stored";

  ASSERT_EQ(kubectl("apply -f " + write("b.yaml", config_map("one"))).code, 0);
  const auto rv_before = kubectl("get configmap settings -o jsonpath={.metadata.resourceVersion}");
  const auto changed = write("c.yaml", config_map("two"));
  const auto diff = kubectl("diff -f " + changed);
  EXPECT_EQ(diff.code, 1) << "kubectl diff exits 1 when it finds a difference: " << diff.text;
  EXPECT_NE(diff.text.find("+  mode: two"), std::string::npos) << diff.text;
  const auto applied = kubectl("apply --dry-run=server -f " + changed);
  EXPECT_EQ(applied.code, 0) << applied.text;
  EXPECT_EQ(kubectl("get configmap settings -o jsonpath={.data.mode}").text, "one");

  const auto deleted = kubectl("delete configmap settings --dry-run=server");
  EXPECT_EQ(deleted.code, 0) << deleted.text;
  EXPECT_NE(deleted.text.find("(server dry run)"), std::string::npos) << deleted.text;
  EXPECT_EQ(kubectl("get configmap settings -o jsonpath={.data.mode}").text, "one");
  EXPECT_EQ(kubectl("get configmap settings -o jsonpath={.metadata.resourceVersion}").text,
            rv_before.text)
      << "a dry run used a resourceVersion";

  // Validation still runs: a dry run of an invalid object fails as the write would.
  const auto invalid =
      kubectl("create --dry-run=server -f " + write("d.yaml",
                                                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                                    "  namespace: default\n"));
  EXPECT_NE(invalid.code, 0) << invalid.text;
  EXPECT_NE(invalid.text.find("name or generateName is required"), std::string::npos)
      << invalid.text;
}

// What `kubectl create --dry-run=client -o yaml` writes (creationTimestamp: null) is accepted.
TEST_F(KubectlTest, NullMetadataFieldsAreUnset) {
  const auto yaml =
      kubectl("create configmap generated --from-literal=a=b --dry-run=client -o yaml");
  ASSERT_EQ(yaml.code, 0) << yaml.text;
  ASSERT_NE(yaml.text.find("creationTimestamp: null"), std::string::npos) << yaml.text;
  const auto created = kubectl("create -f " + write("generated.yaml", yaml.text));
  EXPECT_EQ(created.code, 0) << created.text;
  EXPECT_FALSE(
      kubectl("get configmap generated -o jsonpath={.metadata.creationTimestamp}").text.empty());
}

TEST(LocalServerDryRun, UnknownDryRunValuesAreRefusedNotWritten) {
  auto server = testing::start_server();
  ASSERT_NE(server, nullptr);
  Client client(testing::config_for(*server));
  const nlohmann::json cm = {{"apiVersion", "v1"},
                             {"kind", "ConfigMap"},
                             {"metadata", {{"name", "x"}, {"namespace", "default"}}}};
  auto refused = client.request("POST", "/api/v1/namespaces/default/configmaps?dryRun=Everything",
                                cm, "application/json");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().http_status, 400);
  EXPECT_NE(refused.error().message.find("dryRun: Unsupported value: \"Everything\""),
            std::string::npos)
      << refused.error().to_string();
  EXPECT_FALSE(client.get(resources::kConfigMaps, "default", "x").ok());
  auto dry = client.request("POST", "/api/v1/namespaces/default/configmaps?dryRun=All", cm,
                            "application/json");
  ASSERT_TRUE(dry.ok()) << dry.error().to_string();
  EXPECT_FALSE((*dry)["metadata"].value("uid", "").empty())
      << "the answer is the object as created";
  EXPECT_FALSE(client.get(resources::kConfigMaps, "default", "x").ok());
}

}  // namespace
}  // namespace kopiur::kube

namespace kopiur::kube {
namespace {

// The stored-only kinds a chart installs are validated as a real server validates them.
TEST(LocalServerConfigObjects, DeploymentsServicesRbacAndWebhooksAreValidated) {
  auto server = testing::start_server();
  ASSERT_NE(server, nullptr);
  Client client(testing::config_for(*server));
  auto expect_invalid = [&](const std::string& path, const nlohmann::json& object,
                            const std::vector<std::string>& messages) {
    auto r = client.request("POST", path + "?dryRun=All", object, "application/json");
    ASSERT_FALSE(r.ok()) << object.dump();
    EXPECT_EQ(r.error().http_status, 422) << r.error().to_string();
    for (const auto& m : messages) {
      EXPECT_NE(r.error().message.find(m), std::string::npos)
          << m << " not in " << r.error().message;
    }
  };
  nlohmann::json container = {{"name", "c"}, {"image", "i"}};
  nlohmann::json deployment = {
      {"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"metadata", {{"name", "d"}}}};
  deployment["spec"]["selector"]["matchLabels"] = {{"app", "a"}};
  deployment["spec"]["template"]["metadata"]["labels"] = {{"app", "b"}};
  deployment["spec"]["template"]["spec"]["containers"] = nlohmann::json::array({container});
  expect_invalid("/apis/apps/v1/namespaces/default/deployments", deployment,
                 {"Deployment.apps \"d\" is invalid: spec.template.metadata.labels",
                  "`selector` does not match template `labels`"});
  nlohmann::json port;
  port["port"] = 70000;
  nlohmann::json svc = {{"apiVersion", "v1"}, {"kind", "Service"}, {"metadata", {{"name", "s"}}}};
  svc["spec"]["ports"] = nlohmann::json::array({port});
  expect_invalid("/api/v1/namespaces/default/services", svc,
                 {"spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535"});
  nlohmann::json rule;
  rule["apiGroups"] = nlohmann::json::array({""});
  rule["resources"] = nlohmann::json::array({"pods"});
  nlohmann::json role = {{"apiVersion", "rbac.authorization.k8s.io/v1"},
                         {"kind", "ClusterRole"},
                         {"metadata", {{"name", "r"}}}};
  role["rules"] = nlohmann::json::array({rule});
  expect_invalid("/apis/rbac.authorization.k8s.io/v1/clusterroles", role,
                 {"rules[0].verbs: Required value"});
  nlohmann::json hook;
  hook["name"] = "validate";
  hook["clientConfig"]["url"] = "https://x";
  hook["admissionReviewVersions"] = nlohmann::json::array({"v1"});
  nlohmann::json vwc = {{"apiVersion", "admissionregistration.k8s.io/v1"},
                        {"kind", "ValidatingWebhookConfiguration"},
                        {"metadata", {{"name", "w"}}}};
  vwc["webhooks"] = nlohmann::json::array({hook});
  expect_invalid("/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations", vwc,
                 {"webhooks[0].name: Invalid value: \"validate\"", "webhooks[0].sideEffects"});
}

}  // namespace
}  // namespace kopiur::kube
