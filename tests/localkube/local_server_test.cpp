// Local API server pieces: selectors, persistence, discovery.
#include <fstream>

#include <gtest/gtest.h>

#include "kopiur/kube/client.hpp"

#include "kube/test_util.hpp"
#include "localkube/detail/event_views.hpp"
#include "localkube/detail/list_pages.hpp"
#include "localkube/detail/selector.hpp"
#include "localkube/detail/validation.hpp"

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

// The name rules' edge cases, in apimachinery's words.
TEST(Validation, QualifiedNamesSubdomainsAndLabelValues) {
  using localkube::detail::dns1123_subdomain_errors;
  using localkube::detail::label_value_errors;
  using localkube::detail::qualified_name_errors;
  EXPECT_TRUE(qualified_name_errors("example.com/My_Name.1").empty());
  EXPECT_TRUE(qualified_name_errors("app").empty());
  const auto two = qualified_name_errors("a/b/c");
  ASSERT_EQ(two.size(), 1u);
  EXPECT_NE(two[0].find("with an optional DNS subdomain prefix and '/'"), std::string::npos);
  const auto no_prefix = qualified_name_errors("/x");
  ASSERT_FALSE(no_prefix.empty());
  EXPECT_EQ(no_prefix[0], "prefix part must be non-empty");
  const auto bad_prefix = qualified_name_errors("Example.com/x");
  ASSERT_FALSE(bad_prefix.empty());
  EXPECT_EQ(bad_prefix[0].rfind("prefix part a lowercase RFC 1123 subdomain", 0), 0u);
  EXPECT_EQ(qualified_name_errors(std::string(64, 'a')).at(0),
            "name part must be no more than 63 characters");
  EXPECT_TRUE(label_value_errors("").empty());
  EXPECT_FALSE(label_value_errors("-x").empty());
  EXPECT_TRUE(dns1123_subdomain_errors("a.b-c.d").empty());
  EXPECT_FALSE(dns1123_subdomain_errors("a..b").empty());
  EXPECT_FALSE(dns1123_subdomain_errors("a.").empty());
}

TEST(Validation, InvalidErrorsCarryDetailsAndBracketSeveralCauses) {
  const auto e = localkube::detail::invalid_error(
      "Job.batch", "j", {"spec.a: Required value", "spec.b: Unsupported value: \"x\""});
  EXPECT_EQ(e.http_status, 422);
  EXPECT_EQ(e.message,
            "Job.batch \"j\" is invalid: [spec.a: Required value, spec.b: Unsupported value: "
            "\"x\"]");
  ASSERT_TRUE(e.details.has_value());
  EXPECT_EQ(e.details->group, "batch");
  EXPECT_EQ(e.details->kind, "Job");
  ASSERT_EQ(e.details->causes.size(), 2u);
  EXPECT_EQ(e.details->causes[0].reason, "FieldValueRequired");
  EXPECT_EQ(e.details->causes[1].reason, "FieldValueNotSupported");
  EXPECT_EQ(e.details->causes[1].field, "spec.b");
}

TEST(ListPages, ContinueTokensRoundTripAndRejectGarbage) {
  const auto token = localkube::detail::encode_continue(42, std::string("ns/name\0", 8));
  EXPECT_EQ(token.find_first_of("+/="), std::string::npos) << "base64url without padding";
  const auto decoded = localkube::detail::decode_continue(token);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->first, 42);
  EXPECT_EQ(decoded->second, std::string("ns/name\0", 8));
  EXPECT_FALSE(localkube::detail::decode_continue("not a token").has_value());
  EXPECT_FALSE(localkube::detail::decode_continue("e30").has_value());  // {}
}

TEST(EventViews, CoreAndEventsV1AreTheSameEvent) {
  const json v1 = {{"apiVersion", "events.k8s.io/v1"},
                   {"kind", "Event"},
                   {"metadata", {{"name", "e"}}},
                   {"regarding", {{"kind", "Pod"}, {"name", "p"}}},
                   {"note", "hello"},
                   {"reportingController", "c"},
                   {"deprecatedCount", 2},
                   {"reason", "R"}};
  auto core = localkube::detail::core_event_from_v1(v1);
  EXPECT_EQ(core["apiVersion"], "v1");
  EXPECT_EQ(core["involvedObject"]["name"], "p");
  EXPECT_EQ(core["message"], "hello");
  EXPECT_EQ(core["reportingComponent"], "c");
  EXPECT_EQ(core["count"], 2);
  EXPECT_EQ(core["reason"], "R");
  EXPECT_EQ(localkube::detail::v1_event_from_core(core), v1);
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
  // The group's own document (it once read a freed temporary list: found by the request fuzzer).
  auto group = client.request("GET", "/apis/example.com", nullptr, "");
  ASSERT_TRUE(group.ok()) << group.error().to_string();
  EXPECT_EQ((*group)["kind"], "APIGroup");
  EXPECT_EQ((*group)["preferredVersion"]["groupVersion"], "example.com/v1");
  auto no_group = client.request("GET", "/apis/no-such.example.com", nullptr, "");
  ASSERT_FALSE(no_group.ok());
  EXPECT_EQ(no_group.error().http_status, 404);
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
