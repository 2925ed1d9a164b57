// Server-side apply with field ownership (issue 20, item 7), with the real kubectl: two managers
// and a conflict naming the first one and the field, --force-conflicts taking it over, a field a
// manager stops applying removed unless another manager owns it too, client-side apply and
// kubectl edit followed by a server-side apply, a custom resource's status subresource tracked on
// its own, managedFields shown only with --show-managed-fields, the 409 body on the wire, and
// managed fields surviving a restart of a server with a data directory.
#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "kopiur/support/json.hpp"

#include "kube/kubectl_fixture.hpp"
#include "telemetry/http/raw_client.hpp"

namespace kopiur::localkube {
namespace {

using nlohmann::json;
namespace raw = telemetry::http::testing;

std::string config_map(const std::string& data) {
  return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  labels:\n    app: x\ndata:\n" +
         data;
}

class ServerSideApply : public kube::testing::KubectlTest {
 protected:
  kube::testing::KubectlOutput apply(const std::string& manager, const std::string& yaml,
                                     const std::string& flags = "") const {
    return kubectl("apply --server-side --field-manager=" + manager + " " + flags + " -f " +
                   write("applied.yaml", yaml));
  }
  // The object with its managed fields, as kubectl reads it.
  json managed(const std::string& what) const {
    return json::parse(kubectl("get " + what + " -o json --show-managed-fields").text, nullptr,
                       false);
  }
  // The FieldsV1 of one manager's entry (null when it has none).
  static json fields_of(const json& object, const std::string& manager) {
    for (const auto& e : object["metadata"].value("managedFields", json::array())) {
      if (e.value("manager", "") == manager) return e["fieldsV1"];
    }
    return nullptr;
  }
};

TEST_F(ServerSideApply, ASecondManagerChangingAFieldConflictsUntilItForces) {
  ASSERT_EQ(apply("mgr-a", config_map("  x: \"1\"\n  w: \"1\"\n")).code, 0);
  const auto clash = apply("mgr-b", config_map("  x: \"2\"\n"));
  EXPECT_NE(clash.code, 0);
  EXPECT_NE(
      clash.text.find("error: Apply failed with 1 conflict: conflict with \"mgr-a\": .data.x"),
      std::string::npos)
      << clash.text;
  EXPECT_EQ(kubectl("get configmap cm -o jsonpath={.data.x}").text, "1");

  const auto forced = apply("mgr-b", config_map("  x: \"2\"\n"), "--force-conflicts");
  ASSERT_EQ(forced.code, 0) << forced.text;
  const auto object = managed("configmap cm");
  EXPECT_EQ(object["data"], json({{"x", "2"}, {"w", "1"}}));
  EXPECT_EQ(fields_of(object, "mgr-b")["f:data"], json({{"f:x", json::object()}}));
  EXPECT_EQ(fields_of(object, "mgr-a")["f:data"], json({{"f:w", json::object()}}))
      << "mgr-a lost .data.x to the forced apply";
}

TEST_F(ServerSideApply, AFieldDroppedFromAnApplyGoesUnlessAnotherManagerOwnsIt) {
  ASSERT_EQ(apply("mgr-a", config_map("  x: \"1\"\n  w: \"1\"\n  shared: \"s\"\n")).code, 0);
  // The same value: co-owned, no conflict.
  ASSERT_EQ(apply("mgr-b", config_map("  shared: \"s\"\n")).code, 0);
  ASSERT_EQ(apply("mgr-a", config_map("  x: \"1\"\n")).code, 0);
  EXPECT_EQ(managed("configmap cm")["data"], json({{"x", "1"}, {"shared", "s"}}))
      << "w was mgr-a's alone; shared is mgr-b's too";
  ASSERT_EQ(apply("mgr-b", config_map("  other: \"o\"\n")).code, 0);
  EXPECT_EQ(managed("configmap cm")["data"], json({{"x", "1"}, {"other", "o"}}));
}

TEST_F(ServerSideApply, AClientSideApplyOwnsItsFieldsAsAnUpdate) {
  const auto file = write("csa.yaml", config_map("  x: \"1\"\n"));
  ASSERT_EQ(kubectl("apply -f " + file).code, 0);
  auto object = managed("configmap cm");
  EXPECT_EQ(fields_of(object, "kubectl-client-side-apply")["f:data"],
            json::parse(R"({".":{},"f:x":{}})"));
  const auto clash = apply("mgr-a", config_map("  x: \"2\"\n"));
  EXPECT_NE(clash.code, 0);
  EXPECT_NE(clash.text.find("Apply failed with 1 conflict: conflict with "
                            "\"kubectl-client-side-apply\" using v1: .data.x"),
            std::string::npos)
      << clash.text;
  // kubectl's own manager takes over what it last applied client-side (its upgrade path).
  const auto upgrade =
      kubectl("apply --server-side -f " + write("up.yaml", config_map("  x: \"2\"\n")));
  ASSERT_EQ(upgrade.code, 0) << upgrade.text;
  object = managed("configmap cm");
  EXPECT_EQ(object["data"]["x"], "2");
  EXPECT_EQ(fields_of(object, "kubectl")["f:data"], json({{"f:x", json::object()}}));
}

TEST_F(ServerSideApply, AnEditTakesTheFieldAndTheApplierThenConflicts) {
  ASSERT_EQ(apply("mgr-a", config_map("  x: \"1\"\n")).code, 0);
  const auto editor = write("editor.sh", "#!/bin/sh\nsed -i 's/^  x: \"1\"/  x: \"7\"/' \"$1\"\n");
  std::filesystem::permissions(editor, std::filesystem::perms::owner_all);
  ::setenv("KUBE_EDITOR", editor.c_str(), 1);
  // --validate=false: kubectl's client-side check wants the built-in kinds' OpenAPI schemas.
  const auto edited = kubectl("edit --validate=false configmap cm");
  ::unsetenv("KUBE_EDITOR");
  ASSERT_EQ(edited.code, 0) << edited.text;
  const auto object = managed("configmap cm");
  EXPECT_EQ(object["data"]["x"], "7");
  EXPECT_EQ(fields_of(object, "kubectl-edit")["f:data"], json({{"f:x", json::object()}}));
  const auto clash = apply("mgr-a", config_map("  x: \"1\"\n"));
  EXPECT_NE(clash.code, 0);
  EXPECT_NE(clash.text.find("conflict with \"kubectl-edit\" using v1: .data.x"), std::string::npos)
      << clash.text;
}

TEST_F(ServerSideApply, ManagedFieldsAreShownOnlyWhenAskedFor) {
  ASSERT_EQ(apply("mgr-a", config_map("  x: \"1\"\n")).code, 0);
  const auto plain = kubectl("get configmap cm -o yaml");
  EXPECT_EQ(plain.text.find("managedFields"), std::string::npos) << plain.text;
  const auto shown = kubectl("get configmap cm -o yaml --show-managed-fields");
  for (const char* part :
       {"managedFields:", "manager: mgr-a", "operation: Apply", "apiVersion: v1",
        "fieldsType: FieldsV1", "f:data:", "f:x: {}", "f:labels:", "f:app: {}", "time: "}) {
    EXPECT_NE(shown.text.find(part), std::string::npos) << part << " in\n" << shown.text;
  }
}

TEST_F(ServerSideApply, TheConflictIsA409StatusNamingManagerAndField) {
  ASSERT_EQ(apply("mgr-a", config_map("  x: \"1\"\n")).code, 0);
  const auto answer =
      raw::send(static_cast<std::uint16_t>(server_->port()), "PATCH",
                "/api/v1/namespaces/default/configmaps/cm?fieldManager=mgr-b",
                "Content-Type: application/apply-patch+yaml\r\n", config_map("  x: \"2\"\n"));
  EXPECT_EQ(answer.status, 409) << answer.body;
  const auto status = json::parse(answer.body, nullptr, false);
  EXPECT_EQ(status["reason"], "Conflict");
  EXPECT_EQ(status["message"], "Apply failed with 1 conflict: conflict with \"mgr-a\": .data.x");
  ASSERT_EQ(status["details"]["causes"].size(), 1u) << answer.body;
  EXPECT_EQ(status["details"]["causes"][0]["reason"], "FieldManagerConflict");
  EXPECT_EQ(status["details"]["causes"][0]["message"], "conflict with \"mgr-a\"");
  EXPECT_EQ(status["details"]["causes"][0]["field"], ".data.x");
  const auto no_manager =
      raw::send(static_cast<std::uint16_t>(server_->port()), "PATCH",
                "/api/v1/namespaces/default/configmaps/cm",
                "Content-Type: application/apply-patch+yaml\r\n", config_map("  x: \"2\"\n"));
  EXPECT_EQ(no_manager.status, 422) << no_manager.body;
}

// A client may send managedFields back (a read-modify-write): kept when well formed, `[]` resets
// them, and anything malformed is ignored in favour of the stored ones, never a 500.
TEST_F(ServerSideApply, ManagedFieldsSentByAClientAreKeptResetOrIgnored) {
  ASSERT_EQ(apply("mgr-a", config_map("  x: \"1\"\n")).code, 0);
  const auto port = static_cast<std::uint16_t>(server_->port());
  const std::string path = "/api/v1/namespaces/default/configmaps/cm";
  const auto stored = json::parse(raw::send(port, "GET", path).body);
  const auto put = [&](const json& managed_fields, const std::string& value) {
    auto object = stored;
    object["metadata"].erase("resourceVersion");
    object["metadata"]["managedFields"] = managed_fields;
    object["data"]["x"] = value;
    return raw::send(port, "PUT", path + "?fieldManager=writer",
                     "Content-Type: application/json\r\n", object.dump());
  };
  for (const auto& bad : {json("x"), json::parse(R"([{"manager":5,"operation":"Sideways"}])")}) {
    const auto answer = put(bad, "2");
    ASSERT_EQ(answer.status, 200) << answer.body;
    const auto entries = json::parse(answer.body)["metadata"]["managedFields"];
    ASSERT_EQ(entries.size(), 2u) << answer.body;
    EXPECT_EQ(entries[0]["manager"], "mgr-a");
    EXPECT_EQ(entries[1]["manager"], "writer");
  }
  const auto reset = put(json::array(), "3");
  ASSERT_EQ(reset.status, 200) << reset.body;
  EXPECT_FALSE(json::parse(reset.body)["metadata"].contains("managedFields")) << reset.body;
}

TEST_F(ServerSideApply, ACustomResourcesStatusIsTrackedAsItsSubresource) {
  ASSERT_EQ(kubectl("apply -f " + path("deploy/crds/")).code, 0);
  const std::string backup =
      "apiVersion: kopiur.home-operations.com/v1alpha1\nkind: Backup\nmetadata:\n  name: b\n"
      "spec:\n  configRef:\n    name: ";
  ASSERT_EQ(apply("mgr-a", backup + "c\n").code, 0);
  const auto patched = kubectl(
      R"(patch backup b --subresource=status --type=merge -p '{"status":{"phase":"Running"}}')");
  ASSERT_EQ(patched.code, 0) << patched.text;
  const auto object = managed("backup b");
  const auto& entries = object["metadata"]["managedFields"];
  ASSERT_EQ(entries.size(), 2u) << object.dump();
  EXPECT_EQ(entries[0]["fieldsV1"], json::parse(R"({"f:spec":{"f:configRef":{"f:name":{}}}})"));
  EXPECT_EQ(entries[1]["manager"], "kubectl-patch");
  EXPECT_EQ(entries[1]["operation"], "Update");
  EXPECT_EQ(entries[1]["subresource"], "status");
  EXPECT_EQ(entries[1]["fieldsV1"], json::parse(R"({"f:status":{".":{},"f:phase":{}}})"));
  const auto clash = apply("mgr-z", backup + "d\n");
  EXPECT_NE(clash.code, 0);
  EXPECT_NE(clash.text.find("conflict with \"mgr-a\": .spec.configRef.name"), std::string::npos)
      << clash.text;
}

TEST(ServerSideApplyStore, ManagedFieldsSurviveARestart) {
  kube::testing::TempDir dir;
  LocalApiServer::Options options;
  options.data_dir = (dir.path() / "data").string();
  const std::string path = "/api/v1/namespaces/default/configmaps/cm";
  const std::string body = config_map("  x: \"1\"\n");
  json before;
  {
    auto server = kube::testing::start_server(options);
    ASSERT_NE(server, nullptr);
    const auto applied =
        raw::send(static_cast<std::uint16_t>(server->port()), "PATCH", path + "?fieldManager=a",
                  "Content-Type: application/apply-patch+yaml\r\n", body);
    ASSERT_EQ(applied.status, 201) << applied.body;
    before = json::parse(applied.body)["metadata"]["managedFields"];
    ASSERT_EQ(before.size(), 1u);
  }
  auto server = kube::testing::start_server(options);
  ASSERT_NE(server, nullptr);
  const auto port = static_cast<std::uint16_t>(server->port());
  EXPECT_EQ(json::parse(raw::send(port, "GET", path).body)["metadata"]["managedFields"], before);
  const auto clash =
      raw::send(port, "PATCH", path + "?fieldManager=b",
                "Content-Type: application/apply-patch+yaml\r\n", config_map("  x: \"2\"\n"));
  EXPECT_EQ(clash.status, 409) << clash.body;
}

}  // namespace
}  // namespace kopiur::localkube
