// The client against the in-process local API server: verbs, conflicts, status, finalizers,
// validation and Events.
#include "kopiur/kube/client.hpp"

#include <gtest/gtest.h>

#include "kopiur/api/backup.hpp"
#include "kopiur/api/crd.hpp"
#include "kopiur/api/kinds.hpp"
#include "kopiur/api/resource.hpp"
#include "kopiur/kube/events.hpp"

#include "kube/test_util.hpp"

namespace kopiur::kube {
namespace {

using nlohmann::json;

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = testing::start_server();
    ASSERT_NE(server_, nullptr);
    client_ = std::make_unique<Client>(testing::config_for(*server_));
    for (const auto& info : api::kinds()) {
      auto created = client_->create(resources::kCustomResourceDefinitions, "", api::crd(info));
      ASSERT_TRUE(created.ok()) << created.error().to_string();
    }
  }

  static json secret(const std::string& name, json labels = json::object()) {
    return {{"apiVersion", "v1"},
            {"kind", "Secret"},
            {"metadata", {{"name", name}, {"labels", labels}}},
            {"stringData", {{"k", "v"}}}};
  }

  static json backup(const std::string& name) {
    api::Backup b;
    b.metadata.name = name;
    b.spec.config_ref = api::LocalObjectRef{"cfg"};
    return api::to_json(b);
  }

  // raw_request(): sends the body text as is (the Client only sends valid JSON).
  Result<json> raw_request(const std::string& method, const std::string& path,
                           const std::string& body, const std::string& content_type) {
    return client_->request_text(method, path, body, content_type);
  }

  std::unique_ptr<LocalApiServer> server_;
  std::unique_ptr<Client> client_;
  const ResourceId backups_ = resource_for("Backup");
};

TEST_F(ClientTest, CreateGetListReplaceRemove) {
  auto created = client_->create(resources::kSecrets, "default", secret("a", {{"app", "x"}}));
  ASSERT_TRUE(created.ok()) << created.error().to_string();
  EXPECT_FALSE((*created)["metadata"].value("uid", "").empty());
  EXPECT_EQ((*created)["metadata"]["namespace"], "default");
  ASSERT_TRUE(client_->create(resources::kSecrets, "default", secret("b", {{"app", "y"}})).ok());

  auto again = client_->create(resources::kSecrets, "default", secret("a"));
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(again.error().is_already_exists()) << again.error().to_string();

  auto listed = client_->list(resources::kSecrets, "default", {"app=x", ""});
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ((*listed)["items"].size(), 1u);
  EXPECT_EQ((*listed)["items"][0]["metadata"]["name"], "a");
  EXPECT_FALSE((*listed)["metadata"].value("resourceVersion", "").empty());
  listed = client_->list(resources::kSecrets, "", {"app in (x,y)", "metadata.name!=a"});
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ((*listed)["items"].size(), 1u);
  EXPECT_EQ((*listed)["items"][0]["metadata"]["name"], "b");

  json changed = *created;
  changed["stringData"]["k"] = "w";
  auto replaced = client_->replace(resources::kSecrets, "default", changed);
  ASSERT_TRUE(replaced.ok()) << replaced.error().to_string();
  EXPECT_NE((*replaced)["metadata"]["resourceVersion"], (*created)["metadata"]["resourceVersion"]);

  // Writing with the old resourceVersion is a conflict.
  auto stale = client_->replace(resources::kSecrets, "default", changed);
  ASSERT_FALSE(stale.ok());
  EXPECT_TRUE(stale.error().is_conflict()) << stale.error().to_string();
  EXPECT_EQ(stale.error().reason, "Conflict");
  auto stale_patch = client_->patch(
      resources::kSecrets, "default", "a",
      {{"metadata", {{"resourceVersion", (*created)["metadata"]["resourceVersion"]}}}},
      PatchType::kMerge);
  EXPECT_TRUE(!stale_patch.ok() && stale_patch.error().is_conflict());

  ASSERT_TRUE(client_->remove(resources::kSecrets, "default", "a").ok());
  auto gone = client_->get(resources::kSecrets, "default", "a");
  ASSERT_FALSE(gone.ok());
  EXPECT_TRUE(gone.error().is_not_found());
  EXPECT_EQ(gone.error().step, "GET /api/v1/namespaces/default/secrets/a");
  EXPECT_NE(gone.error().message.find("secrets \"a\" not found"), std::string::npos);
}

TEST_F(ClientTest, NamespacedObjectsNeedAnExistingNamespace) {
  auto r = client_->create(resources::kSecrets, "nope", secret("a"));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().is_not_found());
  EXPECT_NE(r.error().message.find("namespaces \"nope\" not found"), std::string::npos);
}

TEST_F(ClientTest, StatusSubresourceIsSeparateFromSpec) {
  json b = backup("b1");
  b["status"] = {{"phase", "Succeeded"}};
  auto created = client_->create(backups_, "default", b);
  ASSERT_TRUE(created.ok()) << created.error().to_string();
  EXPECT_FALSE(created->contains("status")) << "status is ignored on create";
  EXPECT_EQ((*created)["metadata"]["generation"], 1);

  auto status = client_->patch_status(
      backups_, "default", "b1",
      {{"status", {{"phase", "Running"}, {"timing", {{"startTime", "2026-01-01T00:00:00Z"}}}}}},
      PatchType::kMerge);
  ASSERT_TRUE(status.ok()) << status.error().to_string();
  EXPECT_EQ((*status)["status"]["phase"], "Running");
  EXPECT_EQ((*status)["metadata"]["generation"], 1) << "status writes keep the generation";

  // A spec write cannot change status, but bumps the generation.
  json next = *status;
  next["spec"]["deletionPolicy"] = "Retain";
  next["status"]["phase"] = "Failed";
  auto replaced = client_->replace(backups_, "default", next);
  ASSERT_TRUE(replaced.ok()) << replaced.error().to_string();
  EXPECT_EQ((*replaced)["status"]["phase"], "Running");
  EXPECT_EQ((*replaced)["metadata"]["generation"], 2);

  auto typed_status = client_->get_status(backups_, "default", "b1");
  ASSERT_TRUE(typed_status.ok());
  api::Backup decoded;
  const auto errors = api::from_json(*typed_status, decoded);
  ASSERT_TRUE(errors.empty()) << api::format_errors(errors);
  EXPECT_EQ(decoded.status->phase, api::BackupPhase::kRunning);
}

// A status holding text from outside cut inside a UTF-8 sequence (a pod's log tail) is written
// with U+FFFD in its place: json::dump() would throw, and a reconcile that throws on every try
// leaves its object stuck (docs/reliability.md, "A mover killed mid-backup").
TEST_F(ClientTest, InvalidUtf8IsSentReplacedNotThrown) {
  ASSERT_TRUE(client_->create(backups_, "default", backup("u1")).ok());
  const std::string cut = std::string("log \xC3", 5);  // the first byte of "é" only
  auto written = client_->patch_status(backups_, "default", "u1",
                                       {{"status", {{"phase", "Failed"}, {"logTail", cut}}}},
                                       PatchType::kMerge);
  ASSERT_TRUE(written.ok()) << written.error().to_string();
  EXPECT_EQ((*written)["status"]["logTail"], "log \xEF\xBF\xBD");
}

TEST_F(ClientTest, InvalidKopiurObjectsAreRejectedWithFieldPaths) {
  json b = backup("bad");
  b["spec"]["deletionPolicy"] = "Shred";
  b["spec"]["failurePolicy"] = {{"backoffLimit", "three"}};
  auto r = client_->create(backups_, "default", b);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().http_status, 422);
  EXPECT_EQ(r.error().reason, "Invalid");
  // A real API server's wording: the schema check runs before anything else.
  EXPECT_NE(r.error().message.find("spec.deletionPolicy: Unsupported value: \"Shred\": supported "
                                   "values: \"Delete\", \"Retain\", \"Orphan\", null"),
            std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("spec.failurePolicy.backoffLimit: Invalid value: \"string\": "
                                   "spec.failurePolicy.backoffLimit in body must be of type "
                                   "integer: \"string\""),
            std::string::npos)
      << r.error().message;
  ASSERT_TRUE(client_->create(backups_, "default", backup("good")).ok());
  auto status = client_->patch_status(backups_, "default", "good",
                                      {{"status", {{"phase", "Exploded"}}}}, PatchType::kMerge);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("status.phase"), std::string::npos);
}

TEST_F(ClientTest, DeleteWaitsForFinalizers) {
  json b = backup("held");
  b["metadata"]["finalizers"] = {"kopiur.home-operations.com/snapshot"};
  ASSERT_TRUE(client_->create(backups_, "default", b).ok());
  auto deleting = client_->remove(backups_, "default", "held");
  ASSERT_TRUE(deleting.ok()) << deleting.error().to_string();
  EXPECT_FALSE((*deleting)["metadata"].value("deletionTimestamp", "").empty());
  auto still = client_->get(backups_, "default", "held");
  ASSERT_TRUE(still.ok()) << "the object stays while a finalizer is pending";
  EXPECT_EQ((*still)["metadata"]["deletionTimestamp"],
            (*deleting)["metadata"]["deletionTimestamp"]);

  auto released = client_->patch(backups_, "default", "held",
                                 json::parse(R"([{"op":"remove","path":"/metadata/finalizers"}])"),
                                 PatchType::kJson);
  ASSERT_TRUE(released.ok()) << released.error().to_string();
  auto gone = client_->get(backups_, "default", "held");
  ASSERT_FALSE(gone.ok());
  EXPECT_TRUE(gone.error().is_not_found());
}

TEST_F(ClientTest, PatchFlavoursAndServerSideApply) {
  auto applied = client_->apply(backups_, "default", backup("ssa"), {"kopiur-test", true});
  ASSERT_TRUE(applied.ok()) << applied.error().to_string();
  json again = backup("ssa");
  again["spec"]["tags"] = {{"a", "b"}};
  applied = client_->apply(backups_, "default", again, {"kopiur-test", true});
  ASSERT_TRUE(applied.ok()) << applied.error().to_string();
  EXPECT_EQ((*applied)["spec"]["tags"]["a"], "b");

  auto merged = client_->patch(backups_, "default", "ssa", {{"spec", {{"tags", nullptr}}}},
                               PatchType::kMerge);
  ASSERT_TRUE(merged.ok());
  EXPECT_FALSE((*merged)["spec"].contains("tags"));

  auto strategic =
      client_->patch(backups_, "default", "ssa", json::object(), PatchType::kStrategic);
  ASSERT_FALSE(strategic.ok());
  EXPECT_EQ(strategic.error().http_status, 415);

  auto bad_json_patch =
      client_->patch(backups_, "default", "ssa",
                     json::parse(R"([{"op":"remove","path":"/spec/nothing"}])"), PatchType::kJson);
  ASSERT_FALSE(bad_json_patch.ok());
  EXPECT_EQ(bad_json_patch.error().http_status, 422);
}

TEST_F(ClientTest, MalformedRequestsGetStatusErrors) {
  struct Case {
    std::string method, path, body, content_type;
    int code;
  };
  const std::vector<Case> cases = {
      {"POST", "/api/v1/namespaces/default/secrets", "{not json", "application/json", 400},
      {"POST", "/api/v1/namespaces/default/secrets", "[1,2]", "application/json", 400},
      {"POST", "/api/v1/namespaces/default/secrets", R"({"kind":"Pod","apiVersion":"v1"})",
       "application/json", 400},
      {"POST", "/api/v1/namespaces/default/secrets", R"({"metadata":"x"})", "application/json",
       400},
      {"POST", "/api/v1/namespaces/default/secrets", R"({"metadata":{}})", "application/json", 422},
      {"POST", "/api/v1/namespaces/default/secrets", R"({"metadata":{"name":5}})",
       "application/json", 400},
      {"POST", "/api/v1/namespaces/default/secrets", R"({"kind":7,"metadata":{"name":"k"}})",
       "application/json", 400},
      {"PATCH", "/api/v1/namespaces/default/secrets/existing", R"({"metadata":{"labels":{"a":1}}})",
       "application/merge-patch+json", 400},
      {"GET", "/api/v1/namespaces/default/secrets?labelSelector=a%20in%20b", "", "", 400},
      {"GET", "/api/v1/namespaces/default/secrets?watch=1&resourceVersion=abc", "", "", 400},
      {"GET", "/apis/nope.example/v1/things", "", "", 404},
      {"GET", "/api/v1/namespaces/default/secrets/a/b/c", "", "", 404},
      {"PATCH", "/api/v1/namespaces/default/secrets/a", "{}", "text/plain", 415},
      {"PATCH", "/api/v1/namespaces/default/secrets/a", "{", "application/merge-patch+json", 400},
      {"PUT", "/api/v1/namespaces/default/secrets", "{}", "application/json", 405},
      {"PATCH", "/apis/kopiur.home-operations.com/v1alpha1/namespaces/default/backups/x",
       R"({"spec":{}})", "application/apply-patch+yaml", 422},
  };
  ASSERT_TRUE(client_->create(resources::kSecrets, "default", secret("existing")).ok());
  for (const auto& c : cases) {
    auto r = raw_request(c.method, c.path, c.body, c.content_type);
    ASSERT_FALSE(r.ok()) << c.method << " " << c.path;
    EXPECT_EQ(r.error().http_status, c.code)
        << c.method << " " << c.path << ": " << r.error().to_string();
    EXPECT_FALSE(r.error().reason.empty()) << "a Kubernetes Status body names the reason";
  }
  // The server is still serving, and nothing malformed was stored.
  EXPECT_TRUE(client_->get(resources::kNamespaces, "", "default").ok());
  auto secrets = client_->list(resources::kSecrets, "default");
  ASSERT_TRUE(secrets.ok());
  EXPECT_EQ((*secrets)["items"].size(), 1u);
  EXPECT_FALSE((*secrets)["items"][0]["metadata"]["labels"].contains("a"));
}

TEST_F(ClientTest, RepeatedEventsAggregateIntoOneSeries) {
  auto created = client_->create(backups_, "default", backup("evt"));
  ASSERT_TRUE(created.ok());
  EventRecorder recorder(*client_, "kopiur-controller", "test-pod");
  const auto ref = ObjectReference::from(*created);
  for (int i = 0; i < 3; ++i) {
    auto s = recorder.publish(ref, EventType::kWarning, "MaintenanceNotConfigured", "Reconcile",
                              "no Maintenance refers to this repository");
    ASSERT_TRUE(s.ok()) << s.error().to_string();
  }
  ASSERT_TRUE(recorder.publish(ref, EventType::kNormal, "Started", "Backup", "started").ok());
  auto events = client_->list(resources::kCoreEvents, "default");
  ASSERT_TRUE(events.ok());
  ASSERT_EQ((*events)["items"].size(), 2u);
  int seen = 0;
  for (const auto& e : (*events)["items"]) {
    EXPECT_EQ(e["involvedObject"]["name"], "evt");
    EXPECT_EQ(e["involvedObject"]["uid"], (*created)["metadata"]["uid"]);
    EXPECT_EQ(e["source"]["component"], "kopiur-controller");
    EXPECT_TRUE(e["lastTimestamp"].is_string());
    if (e["reason"] == "MaintenanceNotConfigured") {
      EXPECT_EQ(e["type"], "Warning");
      EXPECT_EQ(e["count"], 3);
      EXPECT_EQ(e["message"], "no Maintenance refers to this repository");
      ++seen;
    } else {
      EXPECT_EQ(e["count"], 1);
      ++seen;
    }
  }
  EXPECT_EQ(seen, 2);
}

}  // namespace
}  // namespace kopiur::kube
