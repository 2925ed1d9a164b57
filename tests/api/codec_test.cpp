// Round-trips and validation errors of the API types.
#include <gtest/gtest.h>

#include "kopiur/api/backup.hpp"
#include "kopiur/api/kinds.hpp"
#include "kopiur/api/maintenance.hpp"
#include "kopiur/api/repository.hpp"
#include "kopiur/api/resource.hpp"
#include "kopiur/api/restore.hpp"

namespace kopiur::api {
namespace {

using nlohmann::json;

json backup_json() {
  return json::parse(R"({
    "apiVersion": "kopiur.home-operations.com/v1alpha1", "kind": "Backup",
    "metadata": {"name": "b1", "namespace": "apps", "labels": {"a": "b"},
                 "finalizers": ["kopiur.home-operations.com/snapshot"],
                 "managedFields": [{"manager": "kubectl"}]},
    "spec": {"configRef": {"name": "cfg"}, "deletionPolicy": "Retain", "tags": {"t": "v"}},
    "status": {"phase": "Succeeded", "origin": "scheduled",
               "stats": {"sizeBytes": 1234, "filesNew": 3, "filesUnchanged": 4},
               "timing": {"startTime": "2026-01-01T00:00:00Z",
                          "completionTime": "2026-01-01T00:01:00Z", "durationSeconds": 60},
               "conditions": [{"type": "Ready", "status": "True", "reason": "Done",
                               "message": "ok", "lastTransitionTime": "2026-01-01T00:01:00Z"}]}
  })");
}

TEST(ApiCodec, BackupRoundTripKeepsEveryModelledField) {
  Backup backup;
  const auto errors = from_json(backup_json(), backup);
  ASSERT_TRUE(errors.empty()) << format_errors(errors);
  EXPECT_EQ(backup.metadata.name, "b1");
  EXPECT_EQ(backup.metadata.namespace_, "apps");
  ASSERT_TRUE(backup.status.has_value());
  EXPECT_EQ(backup.status->phase, BackupPhase::kSucceeded);
  EXPECT_EQ(backup.status->stats->size_bytes, 1234);
  EXPECT_EQ(backup.status->stats->total_files(), 7);
  EXPECT_EQ(backup.status->timing->duration_seconds, 60);
  EXPECT_EQ(backup.status->conditions.at(0).status, ConditionStatus::kTrue);

  auto expected = backup_json();
  expected["metadata"].erase("managedFields");  // metadata beyond ObjectMeta is not kept
  EXPECT_EQ(to_json(backup), expected);

  Backup again;
  ASSERT_TRUE(from_json(to_json(backup), again).empty());
  EXPECT_EQ(to_json(again), to_json(backup));
}

TEST(ApiCodec, UnknownFileCountsStayAbsent) {
  BackupStats stats;
  stats.size_bytes = 5;
  EXPECT_FALSE(stats.total_files().has_value());
  EXPECT_EQ(encode(stats), json({{"sizeBytes", 5}}));
}

TEST(ApiCodec, ErrorsNameThePathAndTheProblem) {
  auto in = backup_json();
  in["spec"]["deletionPolicy"] = "Shred";
  in["spec"]["tgas"] = json::object();
  in["status"]["stats"]["sizeBytes"] = "big";
  in["status"]["timing"]["durationSeconds"] = -1;
  in["status"]["conditions"][0].erase("reason");
  Backup backup;
  const auto errors = from_json(in, backup);
  const auto text = format_errors(errors);
  EXPECT_EQ(errors.size(), 5u) << text;
  EXPECT_NE(text.find("spec.deletionPolicy: unsupported value \"Shred\": expected one of "
                      "[Delete, Retain, Orphan]"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("spec.tgas: unknown field"), std::string::npos) << text;
  EXPECT_NE(text.find("status.stats.sizeBytes: expected an integer, got string \"big\""),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("status.timing.durationSeconds: must be at least 0, got -1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("status.conditions[0].reason: required field is missing"), std::string::npos)
      << text;
}

TEST(ApiCodec, WrongKindAndApiVersionAreReported) {
  auto in = backup_json();
  in["kind"] = "Restore";
  in["apiVersion"] = "v1";
  Backup backup;
  const auto text = format_errors(from_json(in, backup));
  EXPECT_NE(text.find("kind: expected \"Backup\", got \"Restore\""), std::string::npos) << text;
  EXPECT_NE(text.find("apiVersion: expected"), std::string::npos) << text;
  EXPECT_FALSE(from_json(json::array(), backup).empty());
}

TEST(ApiCodec, RepositoryNeedsExactlyOneBackend) {
  json in = {{"apiVersion", "kopiur.home-operations.com/v1alpha1"},
             {"kind", "Repository"},
             {"metadata", {{"name", "r"}}},
             {"spec",
              {{"backend", {{"s3", {{"bucket", "b"}}}, {"filesystem", {{"path", "/x"}}}}},
               {"encryption", {{"passwordSecretRef", {{"name", "s"}, {"key", "k"}}}}}}}};
  Repository repo;
  auto text = format_errors(from_json(in, repo));
  const std::string rule =
      "spec.backend: Invalid value: \"object\": exactly one of s3, gcs, azure, b2, filesystem, "
      "sftp, webDav, rclone must be set";
  EXPECT_EQ(text, rule);
  in["spec"]["backend"].erase("filesystem");
  Repository ok;
  const auto errors = from_json(in, ok);
  EXPECT_TRUE(errors.empty()) << format_errors(errors);
  EXPECT_EQ(ok.spec.backend.name(), "s3");
  in["spec"]["backend"] = json::object();
  EXPECT_EQ(format_errors(from_json(in, repo)), rule);
  // An explicit null is unset, as on a real API server, which prunes nulls of these
  // non-nullable members before its rule runs.
  in["spec"]["backend"] = {{"s3", {{"bucket", "b"}}}, {"filesystem", nullptr}};
  EXPECT_TRUE(from_json(in, repo).empty());
}

TEST(ApiCodec, CronAndOneOfRulesAreChecked) {
  MaintenanceSchedule schedule;
  auto errors = decode(json{{"quick", {{"cron", "0 * * *"}}}, {"full", {{"cron", "@daily"}}}},
                       schedule, "spec.schedule");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].to_string(),
            "spec.schedule.quick.cron: expected 5 fields (minute hour day-of-month month "
            "day-of-week) or a macro such as @daily, got 4 in \"0 * * *\"");

  RestoreTarget target;
  errors = decode(json::object(), target, "spec.target");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].to_string(),
            "spec.target: Invalid value: \"object\": exactly one of pvc, pvcRef must be set");
}

// The API validates cron and time zones with the scheduler's own parser (kopiur_schedule), so
// the webhook, the local API server and the controller accept and reject the same schedules.
TEST(ApiCodec, CronAndTimeZonesUseTheSchedulersParser) {
  ScheduleSpec spec;
  auto errors =
      decode(json{{"cron", "0 25 * * *"}, {"timezone", "Mars/Base"}}, spec, "spec.schedule");
  EXPECT_EQ(format_errors(errors),
            "spec.schedule.cron: hour field \"25\": value 25 is out of range 0-23\n"
            "spec.schedule.timezone: unknown time zone \"Mars/Base\": use an IANA name such as "
            "Europe/Berlin");
  errors = decode(json{{"cron", "0 0 30 2 *"}}, spec, "spec.schedule");
  EXPECT_EQ(format_errors(errors),
            "spec.schedule.cron: \"0 0 30 2 *\" never runs: day-of-month 30 does not occur in FEB");
  for (const auto* ok : {"30 2 * * MON-FRI", "@daily", "*/15 * * * *", "0 0 1,15 JAN-JUN/2 ?"}) {
    errors = decode(json{{"cron", ok}, {"timezone", "Europe/Berlin"}}, spec, "spec.schedule");
    EXPECT_TRUE(errors.empty()) << ok << ": " << format_errors(errors);
  }
  errors = decode(json{{"cron", "@daily"}, {"timezone", ""}}, spec, "spec.schedule");
  EXPECT_TRUE(errors.empty()) << "an empty time zone is UTC: " << format_errors(errors);

  MaintenanceSchedule maintenance;
  errors = decode(json{{"quick", {{"cron", "@hourly"}}},
                       {"full", {{"cron", "0 3 * * SUNDAY"}}},
                       {"timezone", "europe/berlin"}},
                  maintenance, "spec.schedule");
  EXPECT_EQ(
      format_errors(errors),
      "spec.schedule.full.cron: day-of-week field \"SUNDAY\": \"SUNDAY\" is not a number or a "
      "day name (SUN-SAT)\n"
      "spec.schedule.timezone: unknown time zone \"europe/berlin\": did you mean "
      "\"Europe/Berlin\"? (names are case-sensitive)");
  errors = decode(json{{"quick", {{"cron", "@hourly"}}},
                       {"full", {{"cron", "0 3 * * 0"}}},
                       {"timezone", "America/New_York"}},
                  maintenance, "spec.schedule");
  EXPECT_TRUE(errors.empty()) << format_errors(errors);
}

TEST(ApiCodec, SetConditionKeepsTransitionTimeWhenStatusIsUnchanged) {
  std::vector<Condition> conditions;
  Condition c{"MaintenanceConfigured", ConditionStatus::kFalse, "NoMaintenance", "none", "t1", {}};
  EXPECT_TRUE(set_condition(conditions, c));
  c.last_transition_time = "t2";
  c.message = "still none";
  EXPECT_TRUE(set_condition(conditions, c));
  EXPECT_EQ(find_condition(conditions, kConditionMaintenanceConfigured)->last_transition_time,
            "t1");
  EXPECT_FALSE(set_condition(conditions, c));
  c.status = ConditionStatus::kTrue;
  c.last_transition_time = "t3";
  EXPECT_TRUE(set_condition(conditions, c));
  EXPECT_EQ(conditions.size(), 1u);
  EXPECT_EQ(conditions[0].last_transition_time, "t3");
}

TEST(ApiKinds, TableHasTheSevenKindsAndOriginalPhaseNames) {
  ASSERT_EQ(kinds().size(), 7u);
  EXPECT_EQ(find_kind("ClusterRepository")->scope, Scope::kCluster);
  EXPECT_EQ(find_kind_by_plural("backups")->kind, "Backup");
  EXPECT_EQ(find_kind("Restore")->phases,
            (std::vector<std::string>{"Pending", "Resolving", "Restoring", "Completed", "Failed"}));
  EXPECT_EQ(find_kind("Backup")->phases,
            (std::vector<std::string>{"Pending", "Running", "Succeeded", "Failed", "Deleting",
                                      "Discovered"}));
  EXPECT_EQ(find_kind("Repository")->phases,
            (std::vector<std::string>{"Pending", "Initializing", "Ready", "Degraded", "Failed"}));
  EXPECT_TRUE(find_kind("Maintenance")->phases.empty());
  EXPECT_EQ(find_kind("Nope"), nullptr);
}

}  // namespace
}  // namespace kopiur::api
