// Field ownership as kube-apiserver computes it (managed_fields.hpp): the FieldsV1 form of Apply
// and Update entries (maps, associative lists, sets), conflicts and force, fields a manager stops
// applying, shared ownership, Update writes taking fields over, and CRD list types.
#include "localkube/detail/managed_fields.hpp"

#include <gtest/gtest.h>

#include "kopiur/support/json.hpp"

#include "localkube/detail/field_schema.hpp"
#include "localkube/detail/field_set.hpp"
#include "localkube/detail/typed_fields.hpp"

namespace kopiur::localkube::detail {
namespace {

using nlohmann::json;

ResourceType type_of(const std::string& group, const std::string& kind, bool has_status) {
  ResourceType rt;
  rt.group = group;
  rt.version = "v1";
  rt.kind = kind;
  rt.has_status = has_status;
  return rt;
}

json config_map(json data, json labels = nullptr) {
  json object = {{"apiVersion", "v1"},
                 {"kind", "ConfigMap"},
                 {"metadata", {{"name", "cm"}, {"namespace", "default"}}},
                 {"data", std::move(data)}};
  if (!labels.is_null()) object["metadata"]["labels"] = std::move(labels);
  return object;
}

FieldManager manager(const std::string& name) { return {name, "v1", "", false, {}}; }

const json& entries(const json& object) { return object["metadata"]["managedFields"]; }

// The entry of `name`, or null.
json entry(const json& object, const std::string& name) {
  for (const auto& e : entries(object)) {
    if (e["manager"] == name) return e;
  }
  return nullptr;
}

class ManagedFields : public ::testing::Test {
 protected:
  FieldTypeRef cm_ = schema_for(type_of("", "ConfigMap", false), nullptr);

  json apply(const json* live, const json& config, const std::string& who, bool force = false) {
    auto result = track_apply(*cm_, live, config, manager(who), force);
    EXPECT_TRUE(result.ok()) << result.error().to_string();
    return result.ok() ? *result : json();
  }
};

TEST_F(ManagedFields, AnApplyEntryOwnsWhatTheConfigurationNamesInFieldsV1) {
  const auto object = apply(nullptr, config_map({{"k", "v"}}, {{"app", "x"}}), "a");
  ASSERT_EQ(entries(object).size(), 1u);
  const auto& e = entries(object)[0];
  EXPECT_EQ(e["manager"], "a");
  EXPECT_EQ(e["operation"], "Apply");
  EXPECT_EQ(e["apiVersion"], "v1");
  EXPECT_EQ(e["fieldsType"], "FieldsV1");
  EXPECT_FALSE(e.value("time", "").empty());
  EXPECT_FALSE(e.contains("subresource"));
  EXPECT_EQ(e["fieldsV1"],
            json::parse(R"({"f:data":{"f:k":{}},"f:metadata":{"f:labels":{"f:app":{}}}})"));
}

TEST_F(ManagedFields, AnUpdateEntryAlsoOwnsTheMapsItAdded) {
  const auto object =
      track_update(*cm_, nullptr, config_map({{"k", "v"}}), manager("kubectl-create"));
  ASSERT_EQ(entries(object).size(), 1u);
  EXPECT_EQ(entries(object)[0]["operation"], "Update");
  EXPECT_EQ(entries(object)[0]["fieldsV1"], json::parse(R"({"f:data":{".":{},"f:k":{}}})"));
}

TEST_F(ManagedFields, ChangingAnotherManagersFieldIsAConflictUnlessForced) {
  const auto first = apply(nullptr, config_map({{"k", "1"}, {"j", "1"}}), "a");
  auto clash = track_apply(*cm_, &first, config_map({{"k", "2"}}), manager("b"), false);
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.error().http_status, 409);
  EXPECT_EQ(clash.error().reason, "Conflict");
  EXPECT_EQ(clash.error().message, "Apply failed with 1 conflict: conflict with \"a\": .data.k");
  ASSERT_TRUE(clash.error().details.has_value());
  ASSERT_EQ(clash.error().details->causes.size(), 1u);
  EXPECT_EQ(clash.error().details->causes[0].reason, "FieldManagerConflict");
  EXPECT_EQ(clash.error().details->causes[0].message, "conflict with \"a\"");
  EXPECT_EQ(clash.error().details->causes[0].field, ".data.k");

  const auto forced = apply(&first, config_map({{"k", "2"}}), "b", /*force=*/true);
  EXPECT_EQ(forced["data"], json({{"k", "2"}, {"j", "1"}}));
  EXPECT_EQ(entry(forced, "a")["fieldsV1"], json::parse(R"({"f:data":{"f:j":{}}})"));
  EXPECT_EQ(entry(forced, "b")["fieldsV1"], json::parse(R"({"f:data":{"f:k":{}}})"));
}

TEST_F(ManagedFields, AnAppliedConfigurationMayNotSetManagedFields) {
  const auto first = apply(nullptr, config_map({{"k", "1"}}), "a");
  const auto refused = track_apply(*cm_, &first, first, manager("a"), false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().http_status, 400);
  EXPECT_EQ(refused.error().message, "metadata.managedFields must be nil");
}

TEST_F(ManagedFields, SeveralConflictsAreListedPerManager) {
  auto object = apply(nullptr, config_map({{"k", "1"}}), "a");
  object = apply(&object, config_map({{"j", "1"}}), "b");
  auto clash =
      track_apply(*cm_, &object, config_map({{"k", "2"}, {"j", "2"}}), manager("c"), false);
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.error().message,
            "Apply failed with 2 conflicts: conflicts with \"a\":\n- .data.k\nconflicts with "
            "\"b\":\n- .data.j");
  EXPECT_EQ(clash.error().details->causes.size(), 2u);
}

TEST_F(ManagedFields, AFieldDroppedFromAnApplyIsRemovedUnlessSomeoneElseOwnsIt) {
  auto object = apply(nullptr, config_map({{"k", "1"}, {"j", "1"}, {"s", "1"}}), "a");
  object = apply(&object, config_map({{"s", "1"}}), "b");  // same value: shared, no conflict
  object = apply(&object, config_map({{"k", "1"}}), "a");
  EXPECT_EQ(object["data"], json({{"k", "1"}, {"s", "1"}}));
  EXPECT_EQ(entry(object, "a")["fieldsV1"], json::parse(R"({"f:data":{"f:k":{}}})"));
  // Now b alone owns s: dropping it removes it, and b's entry goes with its last field.
  auto without_data = config_map(nullptr);
  without_data.erase("data");
  object = apply(&object, without_data, "b");
  EXPECT_EQ(object["data"], json({{"k", "1"}}));
  EXPECT_TRUE(entry(object, "b").is_null()) << "an entry with nothing left goes";
}

TEST_F(ManagedFields, AnUpdateTakesTheFieldsItChangesFromAppliers) {
  const auto applied = apply(nullptr, config_map({{"k", "1"}, {"j", "1"}}), "a");
  auto edited = config_map({{"k", "2"}, {"j", "1"}});
  edited["metadata"]["managedFields"] = entries(applied);
  edited = track_update(*cm_, &applied, edited, manager("kubectl-edit"));
  EXPECT_EQ(entry(edited, "a")["fieldsV1"], json::parse(R"({"f:data":{"f:j":{}}})"));
  EXPECT_EQ(entry(edited, "kubectl-edit")["fieldsV1"], json::parse(R"({"f:data":{"f:k":{}}})"));
  auto clash =
      track_apply(*cm_, &edited, config_map({{"k", "3"}, {"j", "1"}}), manager("a"), false);
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.error().message,
            "Apply failed with 1 conflict: conflict with \"kubectl-edit\" using v1: .data.k");
}

TEST_F(ManagedFields, AWriteThatChangesNothingKeepsTheEntries) {
  const auto applied = apply(nullptr, config_map({{"k", "1"}}), "a");
  EXPECT_EQ(apply(&applied, config_map({{"k", "1"}}), "a"), applied);
  EXPECT_EQ(track_update(*cm_, &applied, applied, manager("other")), applied);
}

TEST_F(ManagedFields, ObjectsWithoutMetadataAreTrackedWithoutThrowing) {
  const json bare = {{"data", {{"k", "1"}}}};
  const auto created = track_update(*cm_, nullptr, bare, manager("w"));
  EXPECT_EQ(entries(created).size(), 1u);
  const json untracked = config_map({{"k", "1"}});
  EXPECT_EQ(track_update(*cm_, &untracked, bare, manager("w")), bare);
  auto emptied = bare;
  emptied.erase("data");
  EXPECT_FALSE(track_update(*cm_, &created, emptied, manager("w")).contains("metadata"))
      << "the last entry gone with the last field";
}

TEST_F(ManagedFields, MoreThanTenUpdateManagersMergeIntoAncientChanges) {
  auto object = apply(nullptr, config_map({{"applied", "1"}}), "a");
  for (int i = 0; i < 12; ++i) {
    auto next = object;
    next["data"]["k" + std::to_string(i)] = "v";
    object = track_update(*cm_, &object, next, manager("writer-" + std::to_string(i)));
  }
  std::size_t updates = 0;
  for (const auto& e : entries(object)) updates += e["operation"] == "Update" ? 1 : 0;
  EXPECT_EQ(updates, 10u);
  EXPECT_FALSE(entry(object, "a").is_null()) << "Apply entries are never merged";
  const auto ancient = entry(object, "ancient-changes");
  ASSERT_FALSE(ancient.is_null()) << object.dump();
  EXPECT_EQ(ancient["operation"], "Update");
  EXPECT_EQ(from_fields_v1(ancient["fieldsV1"]).size(), 3u) << ancient.dump();
  EXPECT_TRUE(entry(object, "writer-11").is_object());
}

TEST_F(ManagedFields, AClientMayResetTheEntriesAndUntrackedObjectsStayUntracked) {
  const auto applied = apply(nullptr, config_map({{"k", "1"}}), "a");
  auto reset = applied;
  reset["metadata"]["managedFields"] = json::array();
  reset = track_update(*cm_, &applied, reset, manager("x"));
  EXPECT_FALSE(reset["metadata"].contains("managedFields"));
  auto changed = config_map({{"k", "2"}});
  EXPECT_FALSE(
      track_update(*cm_, &reset, changed, manager("x"))["metadata"].contains("managedFields"));
  // Applying to it: what was there belongs to before-first-apply.
  auto clash = track_apply(*cm_, &reset, config_map({{"k", "3"}}), manager("a"), false);
  ASSERT_FALSE(clash.ok());
  EXPECT_NE(clash.error().message.find("conflict with \"before-first-apply\" using v1: .data.k"),
            std::string::npos)
      << clash.error().message;
}

TEST_F(ManagedFields, KubectlTakesOverWhatItLastAppliedClientSide) {
  auto live = config_map({{"k", "1"}});
  live["metadata"]["annotations"] = {
      {"kubectl.kubernetes.io/last-applied-configuration", config_map({{"k", "1"}}).dump()}};
  live = track_update(*cm_, nullptr, live, manager("kubectl-client-side-apply"));
  const auto upgraded =
      track_apply(*cm_, &live, config_map({{"k", "2"}}), manager("kubectl"), false);
  ASSERT_TRUE(upgraded.ok()) << upgraded.error().to_string();
  EXPECT_EQ((*upgraded)["data"]["k"], "2");
  const auto note = json::parse(
      (*upgraded)["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
          .get<std::string>());
  EXPECT_EQ(note["data"]["k"], "2") << "the annotation follows what kubectl applied";
  // Another manager gets the conflict.
  const auto other = track_apply(*cm_, &live, config_map({{"k", "2"}}), manager("m"), false);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().message,
            "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using v1: "
            ".data.k");
}

TEST(ManagedFieldsShapes, ContainersAreKeyedByNameAndFinalizersAreASet) {
  const auto pod = schema_for(type_of("", "Pod", true), nullptr);
  const json config = {{"metadata", {{"name", "p"}, {"finalizers", {"x"}}}},
                       {"spec",
                        {{"containers",
                          {{{"name", "c"},
                            {"image", "i"},
                            {"args", {"a", "b"}},
                            {"ports", {{{"containerPort", 80}}}}}}}}},
                       {"status", {{"phase", "Running"}}}};
  auto object = track_apply(*pod, nullptr, config, {"a", "v1", "", true, {}}, false);
  ASSERT_TRUE(object.ok());
  EXPECT_EQ((*object)["metadata"]["managedFields"][0]["fieldsV1"],
            json::parse(R"({"f:metadata":{"f:finalizers":{"v:\"x\"":{}}},
                "f:spec":{"f:containers":{"k:{\"name\":\"c\"}":{".":{},"f:args":{},"f:image":{},
                "f:name":{},"f:ports":{"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{
                ".":{},"f:containerPort":{}}}}}}})"))
      << "status is not owned through the main resource";
  // A second manager adds a container: both stay, each owning its own.
  const json more = {{"metadata", {{"name", "p"}}},
                     {"spec", {{"containers", {{{"name", "d"}, {"image", "j"}}}}}}};
  auto both = track_apply(*pod, &*object, more, {"b", "v1", "", true, {}}, false);
  ASSERT_TRUE(both.ok()) << both.error().to_string();
  EXPECT_EQ((*both)["spec"]["containers"].size(), 2u);
  // b stops applying its container: the item goes, a's stays.
  auto dropped =
      track_apply(*pod, &*both, {{"metadata", {{"name", "p"}}}}, {"b", "v1", "", true, {}}, false);
  ASSERT_TRUE(dropped.ok()) << dropped.error().to_string();
  ASSERT_EQ((*dropped)["spec"]["containers"].size(), 1u);
  EXPECT_EQ((*dropped)["spec"]["containers"][0]["name"], "c");
  // A status write owns only status, as subresource "status".
  auto status = *both;
  status["status"]["phase"] = "Succeeded";
  status = track_update(*pod, &*both, status, {"kubelet", "v1", "status", true, {}});
  const auto& last = status["metadata"]["managedFields"].back();
  EXPECT_EQ(last["subresource"], "status");
  EXPECT_EQ(last["fieldsV1"], json::parse(R"({"f:status":{"f:phase":{}}})"));
}

TEST(ManagedFieldsShapes, ACreateOwnsNewItemsButNotTheStructsEveryObjectHas) {
  const auto deployment = schema_for(type_of("apps", "Deployment", true), nullptr);
  const json object = {
      {"metadata", {{"name", "d"}}},
      {"spec",
       {{"selector", {{"matchLabels", {{"app", "d"}}}}},
        {"template",
         {{"spec", {{"containers", {{{"name", "c"}, {"env", {{{"name", "A"}}}}}}}}}}}}}};
  const auto created =
      track_update(*deployment, nullptr, object, {"kubectl-create", "v1", "", true, {}});
  EXPECT_EQ(created["metadata"]["managedFields"][0]["fieldsV1"],
            json::parse(R"({"f:spec":{"f:selector":{},"f:template":{"f:spec":{"f:containers":{
                "k:{\"name\":\"c\"}":{".":{},"f:env":{".":{},"k:{\"name\":\"A\"}":{".":{},
                "f:name":{}}},"f:name":{}}}}}}})"))
      << "a selector is atomic; containers is always there, env and the items are added";
}

TEST(ManagedFieldsShapes, TheServersOwnControllersAreRecordedByName) {
  const auto pods = type_of("", "Pod", true);
  auto pod = tracked_create(pods, "kube-controller-manager",
                            {{"metadata", {{"name", "p"}, {"labels", {{"job-name", "j"}}}}},
                             {"spec", {{"containers", {{{"name", "c"}}}}}}});
  tracked_change(pods, "kubelet", /*status_only=*/true,
                 [](json& object) { object["status"]["phase"] = "Running"; })(pod);
  const auto& entries = pod["metadata"]["managedFields"];
  ASSERT_EQ(entries.size(), 2u) << pod.dump();
  EXPECT_EQ(entries[0]["manager"], "kube-controller-manager");
  EXPECT_EQ(entries[0]["fieldsV1"]["f:metadata"],
            json::parse(R"({"f:labels":{".":{},"f:job-name":{}}})"));
  EXPECT_EQ(entries[1]["manager"], "kubelet");
  EXPECT_EQ(entries[1]["subresource"], "status");
  EXPECT_EQ(entries[1]["fieldsV1"], json::parse(R"({"f:status":{"f:phase":{}}})"));
}

TEST(ManagedFieldsShapes, CrdListTypesAndMapsFollowTheSchema) {
  const auto schema = json::parse(R"({"type":"object","properties":{"spec":{"type":"object",
      "properties":{"ports":{"type":"array","x-kubernetes-list-type":"map",
        "x-kubernetes-list-map-keys":["port","protocol"],
        "items":{"type":"object","properties":{"port":{"type":"integer"},
          "protocol":{"type":"string"}}}},
      "tags":{"type":"array","x-kubernetes-list-type":"set","items":{"type":"string"}},
      "args":{"type":"array","items":{"type":"string"}},
      "env":{"type":"object","additionalProperties":{"type":"string"}}}}}})");
  auto rt = type_of("example.com", "Thing", false);
  rt.custom = true;
  const auto type = schema_for(rt, schema);
  const json config = {{"spec",
                        {{"ports", {{{"port", 80}, {"protocol", "TCP"}}}},
                         {"tags", {"a"}},
                         {"args", {"x"}},
                         {"env", {{"A", "1"}}}}}};
  const auto set = fields_of(*type, config);
  EXPECT_EQ(to_fields_v1(set), json::parse(R"({"f:spec":{"f:args":{},"f:env":{"f:A":{}},
      "f:ports":{"k:{\"port\":80,\"protocol\":\"TCP\"}":{".":{},"f:port":{},"f:protocol":{}}},
      "f:tags":{"v:\"a\"":{}}}})"));
  EXPECT_EQ(from_fields_v1(to_fields_v1(set)), set);
  EXPECT_EQ(path_text({"f:spec", "f:ports", R"(k:{"port":80,"protocol":"TCP"})", "f:port"}),
            R"(.spec.ports[port=80,protocol="TCP"].port)");
  EXPECT_EQ(path_text({"f:spec", "f:tags", R"(v:"a")"}), R"(.spec.tags[="a"])");
  // An Update that creates a custom resource owns `spec` itself too (it was added).
  const auto created = compare_fields(*type, json::object(), config);
  EXPECT_EQ(created.added.count({"f:spec"}), 1u);
}

}  // namespace
}  // namespace kopiur::localkube::detail
