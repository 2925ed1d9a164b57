// The local API server answering as a real one (issue 20): name, label and annotation validation
// (422 with details), one Event store under core/v1 and events.k8s.io/v1, paged lists with an
// expiring continue token, and the small things (generation on delete, no new finalizers while
// deleting, no-op writes, 415, the `all` category, Namespace phase). The real kubectl where it
// is the natural client, raw HTTP where the wire form is the point.
#include <string>

#include <gtest/gtest.h>

#include "kopiur/support/json.hpp"

#include "kube/kubectl_fixture.hpp"
#include "telemetry/http/raw_client.hpp"

namespace kopiur::localkube {
namespace {

using nlohmann::json;
namespace raw = telemetry::http::testing;

class ApiFidelity : public kube::testing::KubectlTest {
 protected:
  raw::RawResponse call(const std::string& method, const std::string& path, const json& body = {},
                        const std::string& type = "application/json") const {
    return raw::send(static_cast<std::uint16_t>(server_->port()), method, path,
                     "Content-Type: " + type + "\r\n", body.is_null() ? "" : body.dump());
  }
  static json body_of(const raw::RawResponse& r) { return json::parse(r.body, nullptr, false); }
  static json config_map(const std::string& name, json meta_extra = json::object()) {
    json meta = {{"name", name}};
    meta.update(meta_extra);
    return {
        {"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", meta}, {"data", {{"k", "v"}}}};
  }
  static constexpr const char* kConfigMaps = "/api/v1/namespaces/default/configmaps";
};

// ---- names, labels, annotations (item 2) ----

TEST_F(ApiFidelity, KubectlCreateOfABadNameFailsWithTheApiServersMessage) {
  const auto file = write("bad.yaml",
                          "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: BadName\n"
                          "data:\n  k: v\n");
  const auto out = kubectl("create -f " + file);
  EXPECT_NE(out.code, 0);
  EXPECT_NE(out.text.find("The ConfigMap \"BadName\" is invalid: metadata.name: Invalid value: "
                          "\"BadName\": a lowercase RFC 1123 subdomain must consist of lower case "
                          "alphanumeric characters, '-' or '.', and must start and end with an "
                          "alphanumeric character (e.g. 'example.com', regex used for validation "
                          "is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"),
            std::string::npos)
      << out.text;
  EXPECT_EQ(kubectl("get configmaps -o name").text.find("BadName"), std::string::npos);
}

TEST_F(ApiFidelity, NamesLabelKeysAndAnnotationsAreValidatedWithCauses) {
  const auto slash = call("POST", kConfigMaps, config_map("a/b"));
  EXPECT_EQ(slash.status, 422) << slash.body;
  auto status = body_of(slash);
  EXPECT_EQ(status["details"]["kind"], "ConfigMap");
  EXPECT_EQ(status["details"]["name"], "a/b");
  EXPECT_EQ(status["details"]["causes"][0]["field"], "metadata.name");
  EXPECT_EQ(status["details"]["causes"][0]["reason"], "FieldValueInvalid");

  const auto long_name = call("POST", kConfigMaps, config_map(std::string(254, 'a')));
  EXPECT_EQ(long_name.status, 422);
  EXPECT_NE(long_name.body.find("must be no more than 253 characters"), std::string::npos);

  const auto label = call("POST", kConfigMaps, config_map("l", {{"labels", {{"bad key!", "v"}}}}));
  EXPECT_EQ(label.status, 422);
  EXPECT_EQ(body_of(label)["details"]["causes"][0]["field"], "metadata.labels");
  EXPECT_NE(label.body.find("name part must consist of alphanumeric characters"), std::string::npos)
      << label.body;
  const auto value = call("POST", kConfigMaps, config_map("v", {{"labels", {{"k", "bad value"}}}}));
  EXPECT_EQ(value.status, 422);
  EXPECT_NE(value.body.find("a valid label must be an empty string"), std::string::npos);

  const auto big = call("POST", kConfigMaps,
                        config_map("big", {{"annotations", {{"a", std::string(262145, 'x')}}}}));
  EXPECT_EQ(big.status, 422);
  EXPECT_NE(big.body.find("metadata.annotations: Too long: must have at most 262144 bytes"),
            std::string::npos)
      << big.body.substr(0, 300);

  const auto ns =
      call("POST", "/api/v1/namespaces",
           {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "a.b"}}}});
  EXPECT_EQ(ns.status, 422);
  EXPECT_NE(ns.body.find("must not contain dots"), std::string::npos) << ns.body;

  // RBAC names are path segments: colons are fine.
  const auto role = call("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles",
                         {{"apiVersion", "rbac.authorization.k8s.io/v1"},
                          {"kind", "ClusterRole"},
                          {"metadata", {{"name", "kopiur:controller"}}},
                          {"rules", json::array()}});
  EXPECT_EQ(role.status, 201) << role.body;
  // What is valid still is: prefixed keys, empty values.
  const auto good =
      call("POST", kConfigMaps, config_map("good", {{"labels", {{"example.com/My_Name", ""}}}}));
  EXPECT_EQ(good.status, 201) << good.body;
}

// ---- one Event store (item 5) ----

TEST_F(ApiFidelity, AnEventsV1EventShowsInGetEventsAndDescribe) {
  ASSERT_EQ(call("POST", kConfigMaps, config_map("subject")).status, 201);
  auto uid = body_of(call("GET", std::string(kConfigMaps) + "/subject"))["metadata"]["uid"];
  const json event = {{"apiVersion", "events.k8s.io/v1"},
                      {"kind", "Event"},
                      {"metadata", {{"name", "subject.1"}, {"namespace", "default"}}},
                      {"regarding",
                       {{"apiVersion", "v1"},
                        {"kind", "ConfigMap"},
                        {"name", "subject"},
                        {"namespace", "default"},
                        {"uid", uid}}},
                      {"reason", "Tested"},
                      {"note", "written through events.k8s.io"},
                      {"type", "Normal"},
                      {"action", "Test"},
                      {"reportingController", "kopiur.test/recorder"},
                      {"reportingInstance", "one"},
                      {"eventTime", "2026-12-01T10:00:00.000000Z"}};
  const auto created = call("POST", "/apis/events.k8s.io/v1/namespaces/default/events", event);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(body_of(created)["note"], "written through events.k8s.io");

  auto core = body_of(call("GET", "/api/v1/namespaces/default/events/subject.1"));
  EXPECT_EQ(core["message"], "written through events.k8s.io");
  EXPECT_EQ(core["involvedObject"]["name"], "subject");
  EXPECT_EQ(core["reportingComponent"], "kopiur.test/recorder");

  EXPECT_NE(kubectl("get events").text.find("written through events.k8s.io"), std::string::npos);
  EXPECT_NE(kubectl("events").text.find("written through events.k8s.io"), std::string::npos);
  const auto described = kubectl("describe configmap subject");
  EXPECT_NE(described.text.find("written through events.k8s.io"), std::string::npos)
      << described.text;

  // And the other way round: a core/v1 Event is an events.k8s.io/v1 one.
  const json core_event = {{"apiVersion", "v1"},
                           {"kind", "Event"},
                           {"metadata", {{"name", "subject.2"}}},
                           {"involvedObject", {{"kind", "ConfigMap"}, {"name", "subject"}}},
                           {"reason", "Core"},
                           {"message", "written through core"},
                           {"count", 3}};
  ASSERT_EQ(call("POST", "/api/v1/namespaces/default/events", core_event).status, 201);
  const auto v1 = kubectl("get events.v1.events.k8s.io subject.2 -o json");
  auto parsed = json::parse(v1.text, nullptr, false);
  ASSERT_TRUE(parsed.is_object()) << v1.text;
  EXPECT_EQ(parsed["note"], "written through core");
  EXPECT_EQ(parsed["deprecatedCount"], 3);
  EXPECT_EQ(parsed["regarding"]["name"], "subject");
}

// ---- pagination (item 8) ----

TEST_F(ApiFidelity, ListsArePagedWithLimitAndContinue) {
  for (int i = 0; i < 7; ++i) {
    ASSERT_EQ(call("POST", kConfigMaps, config_map("cm-" + std::to_string(i))).status, 201);
  }
  std::vector<std::string> seen;
  std::string next;
  int pages = 0;
  do {
    auto page = body_of(call(
        "GET", std::string(kConfigMaps) + "?limit=3" + (next.empty() ? "" : "&continue=" + next)));
    ASSERT_TRUE(page.is_object());
    EXPECT_LE(page["items"].size(), 3u);
    for (const auto& item : page["items"]) seen.push_back(item["metadata"]["name"]);
    next = page["metadata"].value("continue", "");
    if (++pages == 1) {
      EXPECT_EQ(page["metadata"]["remainingItemCount"], 4);
    }
  } while (!next.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen.size(), 7u);
  EXPECT_EQ(seen.front(), "cm-0");
  EXPECT_EQ(seen.back(), "cm-6");

  const auto chunked = kubectl("get configmaps --chunk-size=2 -o name");
  EXPECT_EQ(chunked.code, 0) << chunked.text;
  for (int i = 0; i < 7; ++i) {
    EXPECT_NE(chunked.text.find("configmap/cm-" + std::to_string(i)), std::string::npos)
        << chunked.text;
  }
  const auto bad = call("GET", std::string(kConfigMaps) + "?limit=2&continue=garbage");
  EXPECT_EQ(bad.status, 400);
}

TEST(ApiFidelityPages, AContinueTokenOlderThanTheHistoryIs410WithAFreshToken) {
  LocalApiServer::Options options;
  options.watch_history = 5;
  auto server = kube::testing::start_server(options);
  ASSERT_NE(server, nullptr);
  const auto port = static_cast<std::uint16_t>(server->port());
  const std::string path = "/api/v1/namespaces/default/configmaps";
  const auto post = [&](const std::string& name) {
    return raw::send(port, "POST", path, "Content-Type: application/json\r\n",
                     json{{"metadata", {{"name", name}}}}.dump())
        .status;
  };
  for (int i = 0; i < 4; ++i) ASSERT_EQ(post("p-" + std::to_string(i)), 201);
  auto first = json::parse(raw::send(port, "GET", path + "?limit=2").body);
  const std::string token = first["metadata"]["continue"];
  for (int i = 0; i < 10; ++i) ASSERT_EQ(post("later-" + std::to_string(i)), 201);
  const auto expired = raw::send(port, "GET", path + "?limit=2&continue=" + token);
  EXPECT_EQ(expired.status, 410) << expired.body;
  auto status = json::parse(expired.body);
  EXPECT_EQ(status["reason"], "Expired");
  EXPECT_NE(status.value("message", "").find("too old to display a consistent list result"),
            std::string::npos);
  const std::string fresh = status["metadata"]["continue"];
  auto rest = json::parse(raw::send(port, "GET", path + "?continue=" + fresh).body);
  ASSERT_TRUE(rest.contains("items")) << rest.dump();
  // The rest after p-1 in key order, as the objects are now: p-2, p-3 ("later-*" sort before).
  ASSERT_EQ(rest["items"].size(), 2u);
  EXPECT_EQ(rest["items"][0]["metadata"]["name"], "p-2");
}

// ---- the small things (item 9) ----

TEST_F(ApiFidelity, InvalidBuiltInsCarryDetailsSoKubectlNamesTheField) {
  const auto file = write("job.yaml",
                          "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\nspec:\n"
                          "  template:\n    spec:\n      restartPolicy: Always\n"
                          "      containers:\n      - name: c\n        image: x\n");
  const auto out = kubectl("apply -f " + file);
  EXPECT_NE(out.code, 0);
  EXPECT_NE(out.text.find("The Job \"j\" is invalid: spec.template.spec.restartPolicy: Required "
                          "value: valid values: \"OnFailure\", \"Never\""),
            std::string::npos)
      << out.text;
}

TEST_F(ApiFidelity, DeletionBumpsGenerationAndForbidsNewFinalizers) {
  ASSERT_EQ(call("POST", kConfigMaps, config_map("held", {{"finalizers", {"a.example/x"}}})).status,
            201);
  auto deleted = body_of(call("DELETE", std::string(kConfigMaps) + "/held"));
  EXPECT_EQ(deleted["metadata"]["generation"], 2);
  EXPECT_TRUE(deleted["metadata"].contains("deletionTimestamp"));
  const auto added = call("PATCH", std::string(kConfigMaps) + "/held",
                          {{"metadata", {{"finalizers", {"a.example/x", "b.example/y"}}}}},
                          "application/merge-patch+json");
  EXPECT_EQ(added.status, 422) << added.body;
  EXPECT_NE(
      added.body.find("metadata.finalizers: Forbidden: no new finalizers can be added if "
                      "the object is being deleted, found new finalizers [\\\"b.example/y\\\"]"),
      std::string::npos)
      << added.body;
  // Removing the last one still works and deletes it.
  EXPECT_EQ(call("PATCH", std::string(kConfigMaps) + "/held",
                 {{"metadata", {{"finalizers", nullptr}}}}, "application/merge-patch+json")
                .status,
            200);
  EXPECT_EQ(call("GET", std::string(kConfigMaps) + "/held").status, 404);
}

TEST_F(ApiFidelity, AWriteThatChangesNothingKeepsTheResourceVersion) {
  const auto file = write("secret.yaml",
                          "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n"
                          "stringData:\n  password: hunter2\n");
  const auto secret_rv = [&] {
    return body_of(
        call("GET", "/api/v1/namespaces/default/secrets/s"))["metadata"]["resourceVersion"];
  };
  ASSERT_EQ(kubectl("apply -f " + file).code, 0);
  const auto before = secret_rv();
  const auto again = kubectl("apply -f " + file);
  EXPECT_EQ(again.code, 0) << again.text;
  EXPECT_EQ(secret_rv(), before);
  // The first server-side apply records kubectl's Apply entry in managedFields (a change, as on a
  // real server); repeating it changes nothing.
  ASSERT_EQ(kubectl("apply --server-side -f " + file).code, 0);
  const auto applied = secret_rv();
  const auto server_side = kubectl("apply --server-side -f " + file);
  ASSERT_EQ(server_side.code, 0) << server_side.text;
  EXPECT_EQ(secret_rv(), applied);
  // A PUT of the same object without a resourceVersion changes nothing either.
  auto same = body_of(call("GET", "/api/v1/namespaces/default/secrets/s"));
  same["metadata"].erase("resourceVersion");
  EXPECT_EQ(call("PUT", "/api/v1/namespaces/default/secrets/s", same).status, 200);
  EXPECT_EQ(body_of(call("GET", kConfigMaps))["metadata"]["resourceVersion"], applied)
      << "no resourceVersion was used, so no watch event was sent";
}

TEST_F(ApiFidelity, UnsupportedContentTypesAre415) {
  const auto text = call("POST", kConfigMaps, config_map("t"), "text/plain");
  EXPECT_EQ(text.status, 415) << text.body;
  EXPECT_NE(text.body.find("accepted media types include: application/json, application/yaml"),
            std::string::npos);
  EXPECT_EQ(call("POST", kConfigMaps, config_map("j"), "application/json; charset=utf-8").status,
            201);
  EXPECT_EQ(call("PATCH", std::string(kConfigMaps) + "/j", {{"data", {{"k", "w"}}}}).status, 415);
}

// yaml-cpp takes any bytes; a real server's YAML decoder refuses what is not UTF-8, and a stored
// string that is not UTF-8 could not be written out again (it was a 500, found by fuzzing).
TEST_F(ApiFidelity, AYamlBodyThatIsNotUtf8Is400AndNothingIsStored) {
  const std::string yaml =
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad-bytes\ndata:\n  k: \"a\x87"
      "b\"\n";
  const auto answer = raw::send(static_cast<std::uint16_t>(server_->port()), "POST", kConfigMaps,
                                "Content-Type: application/yaml\r\n", yaml);
  EXPECT_EQ(answer.status, 400) << answer.body;
  EXPECT_NE(answer.body.find("not valid UTF-8"), std::string::npos) << answer.body;
  EXPECT_EQ(call("GET", std::string(kConfigMaps) + "/bad-bytes").status, 404);
}

TEST_F(ApiFidelity, GetAllListsPodsAndJobsAndNamespacesHaveAPhase) {
  const auto file = write(
      "all.yaml",
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n"
      "    image: x\n---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\nspec:\n"
      "  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: c\n"
      "        image: x\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: fresh\n");
  const auto applied = kubectl("apply -f " + file);
  ASSERT_EQ(applied.code, 0) << applied.text;
  const auto all = kubectl("get all");
  EXPECT_EQ(all.code, 0) << all.text;
  EXPECT_NE(all.text.find("pod/p"), std::string::npos) << all.text;
  EXPECT_NE(all.text.find("job.batch/j"), std::string::npos) << all.text;
  EXPECT_EQ(kubectl("get namespace fresh -o jsonpath={.status.phase}").text, "Active");
}

// ---- fieldValidation (item 4) ----

TEST_F(ApiFidelity, UnknownFieldsFollowFieldValidation) {
  const auto file = write("extra.yaml",
                          "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n"
                          "  extra: x\nbogus: 1\ndata:\n  k: v\n");
  // kubectl's default --validate=strict asks for fieldValidation=Strict.
  const auto strict = kubectl("create -f " + file);
  EXPECT_NE(strict.code, 0);
  EXPECT_NE(strict.text.find("ConfigMap in version \"v1\" cannot be handled as a ConfigMap: "
                             "strict decoding error: unknown field \"bogus\", unknown field "
                             "\"metadata.extra\""),
            std::string::npos)
      << strict.text;
  const auto warn = kubectl("create --validate=warn -f " + file);
  EXPECT_EQ(warn.code, 0) << warn.text;
  EXPECT_NE(warn.text.find("Warning: unknown field \"bogus\""), std::string::npos) << warn.text;
  auto stored = body_of(call("GET", std::string(kConfigMaps) + "/extra"));
  EXPECT_FALSE(stored.contains("bogus"));
  EXPECT_FALSE(stored["metadata"].contains("extra")) << "unknown metadata fields are dropped";

  auto object = config_map("ignored");
  object["bogus"] = 1;
  const auto ignored = call("POST", std::string(kConfigMaps) + "?fieldValidation=Ignore", object);
  EXPECT_EQ(ignored.status, 201);
  EXPECT_EQ(ignored.count("warning"), 0u);
  object["metadata"]["name"] = "warned";
  const auto warned = call("POST", kConfigMaps, object);  // Warn is the default
  EXPECT_EQ(warned.status, 201);
  EXPECT_EQ(warned.header("warning"), "299 - \"unknown field \\\"bogus\\\"\"");
  EXPECT_EQ(call("POST", std::string(kConfigMaps) + "?fieldValidation=Loose", object).status, 400);
}

// A member written twice: the last one wins; Strict refuses it, listed in the order written.
TEST_F(ApiFidelity, DuplicateFieldsAreReportedInTheOrderWritten) {
  const std::string text =
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d1","name":"dup"},)"
      R"("dta":{},"data":{"k":"a","k":"b"}})";
  const auto send = [&](const std::string& query) {
    return raw::send(static_cast<std::uint16_t>(server_->port()), "POST",
                     std::string(kConfigMaps) + query, "Content-Type: application/json\r\n", text);
  };
  const auto strict = send("?fieldValidation=Strict");
  EXPECT_EQ(strict.status, 400);
  EXPECT_NE(strict.body.find("strict decoding error: duplicate field \\\"metadata.name\\\", "
                             "unknown field \\\"dta\\\", duplicate field \\\"data.k\\\""),
            std::string::npos)
      << strict.body;
  const auto warned = send("");
  EXPECT_EQ(warned.status, 201) << warned.body;
  EXPECT_EQ(warned.count("warning"), 3u);
  auto stored = body_of(call("GET", std::string(kConfigMaps) + "/dup"));
  EXPECT_EQ(stored["data"]["k"], "b");
}

TEST_F(ApiFidelity, CustomResourcesArePrunedByTheirCrdSchema) {
  ASSERT_EQ(kubectl("apply -f " + path("deploy/crds/")).code, 0);
  const std::string backup =
      "apiVersion: kopiur.home-operations.com/v1alpha1\nkind: Backup\nmetadata:\n  name: b\n"
      "spec:\n  configRef:\n    name: c\n  bogus: 1\n";
  const auto strict = kubectl("apply -f " + write("backup.yaml", backup));
  EXPECT_NE(strict.code, 0);
  EXPECT_NE(strict.text.find("Backup in version \"v1alpha1\" cannot be handled as a Backup: "
                             "strict decoding error: unknown field \"spec.bogus\""),
            std::string::npos)
      << strict.text;
  const auto warn = kubectl("apply --validate=warn -f " + write("backup.yaml", backup));
  EXPECT_EQ(warn.code, 0) << warn.text;
  EXPECT_NE(warn.text.find("unknown field \"spec.bogus\""), std::string::npos) << warn.text;
  const auto spec = kubectl("get backup b -o jsonpath={.spec}");
  EXPECT_EQ(spec.text.find("bogus"), std::string::npos) << spec.text;
  EXPECT_NE(spec.text.find("configRef"), std::string::npos) << spec.text;
}

}  // namespace
}  // namespace kopiur::localkube
