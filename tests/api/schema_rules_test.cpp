// What a real API server enforces from the generated schema, and the decoder's agreement with it:
// nullable enums accept null, exactly-one groups, required lists, the fields of the original
// operator, and allowedNamespaceCount only where it means something.
#include <functional>

#include <gtest/gtest.h>

#include "kopiur/api/backup.hpp"
#include "kopiur/api/crd.hpp"
#include "kopiur/api/kinds.hpp"
#include "kopiur/api/maintenance.hpp"
#include "kopiur/api/repository.hpp"
#include "kopiur/api/resource.hpp"
#include "kopiur/api/restore.hpp"
#include "kopiur/api/schema_check.hpp"

namespace kopiur::api {
namespace {

using nlohmann::json;

const json& object_schema_of(const std::string& kind) {
  static std::map<std::string, json> cache;
  auto& slot = cache[kind];
  if (slot.is_null())
    slot = crd(*find_kind(kind))["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
  return slot;
}

// Calls visit(path, schema) for every property schema under `schema`.
void walk(const json& schema, const std::string& path,
          const std::function<void(const std::string&, const json&)>& visit) {
  if (schema.contains("properties")) {
    for (const auto& [key, child] : schema["properties"].items()) {
      const auto child_path = path.empty() ? key : path + "." + key;
      visit(child_path, child);
      walk(child, child_path, visit);
    }
  }
  if (schema.contains("items")) walk(schema["items"], path + "[]", visit);
}

TEST(SchemaRules, EveryNullableEnumListsNullAndNoOtherDoes) {
  std::size_t nullable_enums = 0;
  for (const auto& info : kinds()) {
    walk(object_schema_of(info.kind), "", [&](const std::string& path, const json& s) {
      if (!s.contains("enum")) return;
      const bool lists_null =
          std::find(s["enum"].begin(), s["enum"].end(), json(nullptr)) != s["enum"].end();
      EXPECT_EQ(lists_null, s.value("nullable", false)) << info.kind << " " << path;
      if (lists_null) ++nullable_enums;
    });
  }
  // The 13 of the issue plus groupBy, pathStrategy, cacheDefaults.mode and the repository's
  // maintenance.takeoverPolicy (the last two in both repository kinds).
  EXPECT_EQ(nullable_enums, 13u + 2u + 2u * 2u);
}

TEST(SchemaRules, ExplicitNullIsAcceptedWhereTheSchemaSaysNullable) {
  json repo = {{"apiVersion", kApiVersion},
               {"kind", "Repository"},
               {"metadata", {{"name", "r"}}},
               {"spec",
                {{"backend", {{"filesystem", {{"path", "/r"}}}}},
                 {"encryption", {{"passwordSecretRef", {{"name", "s"}, {"key", "k"}}}}},
                 {"mode", nullptr},
                 {"create", nullptr}}},
               {"status", {{"phase", nullptr}, {"backend", nullptr}}}};
  Repository r;
  auto errors = from_json(repo, r);
  EXPECT_TRUE(errors.empty()) << format_errors(errors);
  EXPECT_FALSE(r.spec.mode.has_value());
  EXPECT_FALSE(r.status->phase.has_value());

  json backup = {{"apiVersion", kApiVersion},
                 {"kind", "Backup"},
                 {"metadata", {{"name", "b"}}},
                 {"spec", {{"deletionPolicy", nullptr}}},
                 {"status", {{"phase", nullptr}, {"origin", nullptr}}}};
  Backup b;
  errors = from_json(backup, b);
  EXPECT_TRUE(errors.empty()) << format_errors(errors);
}

TEST(SchemaRules, ExactlyOneGroupsAreCelRulesOverNonNullableMembers) {
  struct Group {
    std::string kind;
    std::vector<std::string> path;  // property names from the root
    std::vector<std::string> members;
  };
  const std::vector<Group> groups = {
      {"Repository",
       {"spec", "backend"},
       {"s3", "gcs", "azure", "b2", "filesystem", "sftp", "webDav", "rclone"}},
      {"ClusterRepository",
       {"spec", "backend"},
       {"s3", "gcs", "azure", "b2", "filesystem", "sftp", "webDav", "rclone"}},
      {"BackupConfig", {"spec", "sources", "[]"}, {"pvc", "pvcSelector", "nfs"}},
      {"Restore", {"spec", "source"}, {"fromConfig", "backupRef", "snapshot"}},
      {"Restore", {"spec", "target"}, {"pvc", "pvcRef"}},
  };
  std::size_t rules = 0;
  for (const auto& info : kinds()) {
    walk(object_schema_of(info.kind), "", [&](const std::string&, const json& s) {
      if (s.contains("items")) rules += s["items"].count("x-kubernetes-validations");
      rules += s.count("x-kubernetes-validations");
    });
  }
  EXPECT_EQ(rules, groups.size()) << "a rule the local API server does not know";
  for (const auto& group : groups) {
    const json* s = &object_schema_of(group.kind);
    for (const auto& step : group.path)
      s = step == "[]" ? &(*s)["items"] : &(*s)["properties"][step];
    ASSERT_TRUE(s->contains("x-kubernetes-validations")) << group.kind;
    const auto& rule = (*s)["x-kubernetes-validations"][0];
    std::string expected_rule = "[";
    std::string names;
    for (const auto& m : group.members) {
      expected_rule += (expected_rule.size() == 1 ? "has(self." : ", has(self.") + m + ")";
      names += (names.empty() ? "" : ", ") + m;
      EXPECT_FALSE((*s)["properties"][m].contains("nullable")) << group.kind << " " << m;
    }
    EXPECT_EQ(rule["rule"], expected_rule + "].exists_one(x, x)");
    EXPECT_EQ(rule["message"], "exactly one of " + names + " must be set");
  }
}

TEST(SchemaRules, BackupSourceNeedsExactlyOneOfPvcSelectorAndNfs) {
  BackupSource source;
  auto errors = decode(json{{"pvc", "data"}, {"nfs", {{"server", "nas"}, {"path", "/x"}}}}, source,
                       "spec.sources[0]");
  ASSERT_EQ(errors.size(), 1u) << format_errors(errors);
  EXPECT_EQ(errors[0].to_string(),
            "spec.sources[0]: Invalid value: \"object\": exactly one of pvc, pvcSelector, nfs "
            "must be set");
  errors = decode(json{{"path", "/p"}}, source, "spec.sources[0]");
  EXPECT_EQ(errors.size(), 1u) << format_errors(errors);
  errors = decode(json{{"nfs", {{"server", "nas"}, {"path", "/x"}}}}, source, "s");
  EXPECT_TRUE(errors.empty()) << format_errors(errors);
  EXPECT_EQ(source.nfs->server, "nas");
}

TEST(SchemaRules, RequiredListsAreRequiredInSchemaAndDecoder) {
  const auto& cluster = object_schema_of("ClusterRepository")["properties"]["spec"];
  EXPECT_NE(
      std::find(cluster["required"].begin(), cluster["required"].end(), json("allowedNamespaces")),
      cluster["required"].end());
  EXPECT_EQ(cluster["properties"]["allowedNamespaces"]["minItems"], 1);
  const auto& config = object_schema_of("BackupConfig")["properties"]["spec"];
  EXPECT_EQ(config["properties"]["sources"]["minItems"], 1);
  EXPECT_EQ(config["properties"]["copyMethod"]["default"], "Direct");

  ClusterRepositorySpec spec;
  json in = {{"backend", {{"filesystem", {{"path", "/r"}}}}},
             {"encryption", {{"passwordSecretRef", {{"name", "s"}, {"key", "k"}}}}}};
  auto errors = decode(in, spec, "spec");
  ASSERT_EQ(errors.size(), 1u) << format_errors(errors);
  EXPECT_EQ(errors[0].to_string(), "spec.allowedNamespaces: required field is missing");
  in["allowedNamespaces"] = json::array();
  errors = decode(in, spec, "spec");
  ASSERT_EQ(errors.size(), 1u) << format_errors(errors);
  EXPECT_EQ(errors[0].to_string(), "spec.allowedNamespaces: must have at least 1 item(s), got 0");
}

TEST(SchemaRules, AllowedNamespaceCountIsOnlyOnClusterRepository) {
  EXPECT_FALSE(object_schema_of("Repository")["properties"]["status"]["properties"].contains(
      "allowedNamespaceCount"));
  EXPECT_EQ(object_schema_of("ClusterRepository")["properties"]["status"]["properties"]
                                                 ["allowedNamespaceCount"]["type"],
            "integer");
  RepositoryStatus status;
  const auto errors = decode(json{{"allowedNamespaceCount", 2}}, status, "status");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, "status.allowedNamespaceCount");
}

// Every field added for the original's users, in one object per kind, survives a round trip.
json with_kind(const std::string& kind, json spec, json status = nullptr) {
  json out = {{"apiVersion", kApiVersion},
              {"kind", kind},
              {"metadata", {{"name", "x"}, {"namespace", "apps"}}},
              {"spec", std::move(spec)}};
  if (!status.is_null()) out["status"] = std::move(status);
  return out;
}

template <class K>
void expect_round_trip(const json& in) {
  K object;
  const auto errors = from_json(in, object);
  ASSERT_TRUE(errors.empty()) << K::kKind << ": " << format_errors(errors);
  EXPECT_EQ(to_json(object), in) << K::kKind;
}

TEST(SchemaRules, FieldsOfTheOriginalRoundTrip) {
  const json backend = {{"s3", {{"bucket", "b"}}}};
  const json encryption = {{"passwordSecretRef", {{"name", "s"}, {"key", "k"}}}};
  const json maintenance = {
      {"enabled", true},
      {"schedule", {{"quick", {{"cron", "@hourly"}}}, {"full", {{"cron", "0 3 * * 0"}}}}},
      {"failurePolicy", {{"backoffLimit", 2}}},
      {"takeoverPolicy", "PromptCondition"},
      {"namespace", "kopiur-system"},
      {"mover", {{"resources", {{"limits", {{"memory", "1Gi"}}}}}}}};
  const json cache = {{"capacity", "5Gi"},
                      {"storageClassName", "fast"},
                      {"metadataCacheSizeMb", 256},
                      {"contentCacheSizeMb", 1024},
                      {"mode", "Persistent"}};
  const json create = {{"enabled", true},
                       {"ecc", {{"algorithm", "REED-SOLOMON-CRC32"}, {"overheadPercent", 2}}}};
  expect_round_trip<Repository>(with_kind("Repository", {{"backend", backend},
                                                         {"encryption", encryption},
                                                         {"create", create},
                                                         {"cacheDefaults", cache},
                                                         {"maintenance", maintenance}}));
  auto cluster = with_kind(
      "ClusterRepository",
      {{"backend", backend},
       {"encryption", encryption},
       {"allowedNamespaces", {"apps"}},
       {"identityDefaults",
        {{"hostnameTemplate", "{{ .Namespace }}"}, {"usernameTemplate", "{{ .ConfigName }}"}}},
       {"cacheDefaults", cache},
       {"maintenance", maintenance}},
      {{"allowedNamespaceCount", 1}, {"phase", "Ready"}});
  cluster["metadata"].erase("namespace");
  expect_round_trip<ClusterRepository>(cluster);

  const json resolved_sources = {{{"pvc", "data"}, {"sourcePath", "/pvc/data"}}};
  expect_round_trip<BackupConfig>(
      with_kind("BackupConfig",
                {{"repository", {{"kind", "Repository"}, {"name", "r"}}},
                 {"identity", {{"username", "db"}, {"hostname", "prod"}}},
                 {"sources",
                  {{{"pvc", "data"}, {"pathStrategy", "PvcNamespacedName"}},
                   {{"nfs", {{"server", "nas"}, {"path", "/export"}}}, {"path", "/nas/export"}}}},
                 {"copyMethod", "Direct"},
                 {"groupBy", "None"},
                 {"credentialProjection", {{"enabled", true}}}},
                {{"resolved",
                  {{"identity", {{"username", "db"}, {"hostname", "prod"}}},
                   {"sources", resolved_sources}}}}));
  expect_round_trip<Backup>(with_kind("Backup", {{"configRef", {{"name", "cfg"}}}},
                                      {{"resolved",
                                        {{"repository", {{"kind", "Repository"}, {"name", "r"}}},
                                         {"sources", resolved_sources}}}}));
  expect_round_trip<Restore>(with_kind("Restore", {{"source", {{"backupRef", {{"name", "b"}}}}},
                                                   {"target", {{"pvcRef", {{"name", "data"}}}}},
                                                   {"options",
                                                    {{"enableFileDeletion", true},
                                                     {"ignorePermissionErrors", false},
                                                     {"writeFilesAtomically", true}}},
                                                   {"credentialProjection", {{"enabled", true}}}}));
  expect_round_trip<Maintenance>(
      with_kind("Maintenance",
                {{"repository", {{"kind", "Repository"}, {"name", "r"}}},
                 {"ownership", {{"owner", "me"}}},
                 {"schedule", {{"quick", {{"cron", "@hourly"}}}, {"full", {{"cron", "@weekly"}}}}},
                 {"failurePolicy", {{"activeDeadlineSeconds", 3600}, {"backoffLimit", 1}}},
                 {"credentialProjection", {{"enabled", true}}}}));
}

// The schema check is what lets the local API server disagree with the generator the way a real
// one would: a nullable enum without null in its list refuses an explicit null.
TEST(SchemaCheck, ReportsWhatARealApiServerReports) {
  const json schema = json::parse(R"({
    "type": "object", "required": ["name", "count"],
    "properties": {
      "name": {"type": "string"},
      "count": {"type": "integer", "minimum": 0},
      "mode": {"type": "string", "enum": ["A", "B"], "nullable": true},
      "fixed": {"type": "string", "enum": ["A", "B", null], "nullable": true},
      "list": {"type": "array", "minItems": 1, "items": {"type": "boolean"}},
      "map": {"type": "object", "additionalProperties": {"type": "string"}}
    }})");
  auto errors = check_schema(json{{"name", nullptr},
                                  {"count", -1},
                                  {"mode", nullptr},
                                  {"fixed", nullptr},
                                  {"list", {true, 3}},
                                  {"map", {{"k", 1}}}},
                             schema, "spec");
  std::vector<std::string> text;
  for (const auto& e : errors) text.push_back(e.to_string());
  EXPECT_EQ(text, (std::vector<std::string>{
                      "spec.name: Required value",
                      "spec.count: Invalid value: -1: spec.count in body should be greater than "
                      "or equal to 0",
                      "spec.list[1]: Invalid value: \"integer\": spec.list[1] in body must be of "
                      "type boolean: \"integer\"",
                      "spec.map.k: Invalid value: \"integer\": spec.map.k in body must be of "
                      "type string: \"integer\"",
                      "spec.mode: Unsupported value: null: supported values: \"A\", \"B\"",
                  }));
  errors = check_schema(json{{"name", "n"}, {"count", 0}, {"list", {true, nullptr}}}, schema, "");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].to_string(),
            "list[1]: Invalid value: \"null\": list[1] in body must be of type boolean: \"null\"");
  const json when = {{"type", "string"}, {"format", "date-time"}};
  EXPECT_TRUE(check_schema("2026-01-01T00:01:00Z", when).empty());
  EXPECT_TRUE(check_schema("2026-01-01T00:01:00.5+02:00", when).empty());
  errors = check_schema("yesterday", when, "t");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].to_string(),
            "t: Invalid value: \"yesterday\": t in body must be of type date-time: \"yesterday\"");
  errors = check_schema(json{{"name", "n"}, {"count", 0}, {"list", json::array()}}, schema, "");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].to_string(),
            "list: Invalid value: 0: list in body should have at least 1 items");
}

TEST(SchemaCheck, EveryKindRunsItBeforeTheDecoder) {
  const json repo = {{"apiVersion", kApiVersion},
                     {"kind", "Repository"},
                     {"metadata", {{"name", "r"}}},
                     {"spec",
                      {{"backend", {{"filesystem", {{"path", "/r"}}}}},
                       {"encryption", {{"passwordSecretRef", {{"name", "s"}, {"key", "k"}}}}},
                       {"mode", "Sometimes"},
                       {"bogus", 1}}}};
  const auto errors = find_kind("Repository")->validate(repo);
  ASSERT_EQ(errors.size(), 1u) << format_errors(errors);
  EXPECT_EQ(errors[0].to_string(),
            "spec.mode: Unsupported value: \"Sometimes\": supported values: \"ReadWrite\", "
            "\"ReadOnly\", null");
  auto fixed = repo;
  fixed["spec"]["mode"] = nullptr;
  EXPECT_EQ(format_errors(find_kind("Repository")->validate(fixed)),
            "spec.bogus: unknown field (known fields: backend, encryption, create, "
            "cacheDefaults, catalog, maintenance, mode, suspend)");
  fixed["spec"].erase("bogus");
  EXPECT_TRUE(find_kind("Repository")->validate(fixed).empty());
}

}  // namespace
}  // namespace kopiur::api
