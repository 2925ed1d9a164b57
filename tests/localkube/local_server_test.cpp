// Local API server pieces: selectors, persistence, discovery.
#include <fstream>

#include <gtest/gtest.h>

#include "kopiur/kube/client.hpp"

#include "kube/test_util.hpp"
#include "localkube/detail/selector.hpp"

namespace kopiur::kube {
namespace {

using localkube::detail::FieldSelector;
using localkube::detail::LabelSelector;
using nlohmann::json;

TEST(Selector, LabelOperators) {
  std::string error;
  const std::map<std::string, std::string> labels = {{"app", "web"}, {"tier", "front"}};
  const auto check = [&](const std::string& text) {
    auto s = LabelSelector::parse(text, &error);
    EXPECT_TRUE(s.has_value()) << text << ": " << error;
    return s && s->matches(labels);
  };
  EXPECT_TRUE(check(""));
  EXPECT_TRUE(check("app=web"));
  EXPECT_TRUE(check("app==web,tier"));
  EXPECT_FALSE(check("app!=web"));
  EXPECT_TRUE(check("app in (api, web)"));
  EXPECT_FALSE(check("app notin (web)"));
  EXPECT_TRUE(check("!missing"));
  EXPECT_FALSE(check("missing"));
  EXPECT_FALSE(LabelSelector::parse("app in web", &error).has_value());
  EXPECT_NE(error.find("parenthesised"), std::string::npos);
  EXPECT_FALSE(LabelSelector::parse("a b=c", &error).has_value());
}

TEST(Selector, FieldSelectorSupportsNameAndNamespace) {
  std::string error;
  const json object = {{"metadata", {{"name", "x"}, {"namespace", "n"}}}};
  auto s = FieldSelector::parse("metadata.name=x,metadata.namespace!=m", &error);
  ASSERT_TRUE(s.has_value()) << error;
  EXPECT_TRUE(s->matches(object));
  EXPECT_FALSE(FieldSelector::parse("spec.x=1", &error).has_value());
  EXPECT_NE(error.find("not supported"), std::string::npos);
}

// kubectl describe lists an object's Events with these.
TEST(Selector, FieldSelectorSupportsTheEventFieldsKubectlDescribeUses) {
  std::string error;
  const json event = {{"metadata", {{"name", "e"}, {"namespace", "n"}}},
                      {"involvedObject", {{"kind", "Backup"}, {"name", "b"}, {"uid", "u"}}},
                      {"source", {{"component", "kopiur-controller"}}},
                      {"type", "Warning"}};
  auto s = FieldSelector::parse(
      "involvedObject.name=b,involvedObject.kind=Backup,involvedObject.uid=u,type=Warning,"
      "source=kopiur-controller",
      &error);
  ASSERT_TRUE(s.has_value()) << error;
  EXPECT_TRUE(s->matches(event));
  auto other = FieldSelector::parse("involvedObject.name=c", &error);
  ASSERT_TRUE(other.has_value());
  EXPECT_FALSE(other->matches(event));
  auto absent = FieldSelector::parse("involvedObject.fieldPath=", &error);
  ASSERT_TRUE(absent.has_value());
  EXPECT_TRUE(absent->matches(event));  // an absent field is ""
}

TEST(LocalServer, PersistsStateAcrossRestarts) {
  testing::TempDir dir;
  LocalApiServer::Options options;
  options.data_dir = dir.path().string();
  std::string rv;
  {
    auto server = testing::start_server(options);
    ASSERT_NE(server, nullptr);
    Client client(testing::config_for(*server));
    auto created = client.create(
        resources::kNamespaces, "",
        {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "apps"}}}});
    ASSERT_TRUE(created.ok());
    rv = (*created)["metadata"]["resourceVersion"];
  }
  auto server = testing::start_server(options);
  ASSERT_NE(server, nullptr);
  Client client(testing::config_for(*server));
  auto got = client.get(resources::kNamespaces, "", "apps");
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  EXPECT_EQ((*got)["metadata"]["resourceVersion"], rv);
  auto next = client.create(resources::kConfigMaps, "apps",
                            {{"metadata", {{"name", "c"}}}, {"data", {{"a", "b"}}}});
  ASSERT_TRUE(next.ok());
  EXPECT_GT(std::stoll((*next)["metadata"]["resourceVersion"].get<std::string>()), std::stoll(rv))
      << "resourceVersions keep increasing across restarts";
}

TEST(LocalServer, CorruptStateFileIsReportedNotIgnored) {
  testing::TempDir dir;
  std::ofstream(dir.path() / "state.json") << "{ broken";
  LocalApiServer::Options options;
  options.data_dir = dir.path().string();
  auto server = LocalApiServer::start(options);
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.error().to_string().find("state.json"), std::string::npos);
}

TEST(LocalServer, DiscoveryListsCrdKindsOnceRegistered) {
  auto server = testing::start_server();
  ASSERT_NE(server, nullptr);
  Client client(testing::config_for(*server));
  auto groups = client.request("GET", "/apis", nullptr, "");
  ASSERT_TRUE(groups.ok());
  EXPECT_EQ(groups->dump().find("example.com"), std::string::npos);
  const json crd = {{"apiVersion", "apiextensions.k8s.io/v1"},
                    {"kind", "CustomResourceDefinition"},
                    {"metadata", {{"name", "widgets.example.com"}}},
                    {"spec",
                     {{"group", "example.com"},
                      {"scope", "Namespaced"},
                      {"names", {{"kind", "Widget"}, {"plural", "widgets"}}},
                      {"versions", {{{"name", "v1"}, {"served", true}, {"storage", true}}}}}}};
  ASSERT_TRUE(client.create(resources::kCustomResourceDefinitions, "", crd).ok());
  auto resources_list = client.request("GET", "/apis/example.com/v1", nullptr, "");
  ASSERT_TRUE(resources_list.ok()) << resources_list.error().to_string();
  EXPECT_EQ((*resources_list)["resources"][0]["name"], "widgets");
  auto bad = crd;
  bad["metadata"]["name"] = "wrong.example.com";
  auto rejected = client.create(resources::kCustomResourceDefinitions, "", bad);
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.error().http_status, 422);
  // Deleting the CRD removes the kind.
  ASSERT_TRUE(client.remove(resources::kCustomResourceDefinitions, "", "widgets.example.com").ok());
  auto after =
      client.request("GET", "/apis/example.com/v1/namespaces/default/widgets", nullptr, "");
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().http_status, 404);
}

}  // namespace
}  // namespace kopiur::kube
