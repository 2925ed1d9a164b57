// review(): allowed and denied objects of every kind, with the exact message a person reads,
// immutable fields on UPDATE, references through a lookup, and warnings.
#include "kopiur/webhook/validation.hpp"

#include <functional>

#include <gtest/gtest.h>

#include "webhook/objects.hpp"

namespace kopiur::webhook::test {
namespace {

AdmissionRequest request_of(const json& body) {
  auto decoded = decode_review(body.dump());
  EXPECT_TRUE(decoded.request) << decoded.error.message;
  return decoded.request.value_or(AdmissionRequest{});
}

struct Case {
  std::string name;
  std::string kind;
  std::function<void(json&)> edit;
  std::string message;  // "" = allowed
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class CreateTable : public ::testing::TestWithParam<Case> {};

TEST_P(CreateTable, DecidesWithTheExactMessage) {
  const Case& c = GetParam();
  json object = valid(c.kind);
  c.edit(object);
  const MapLookup lookup = cluster();
  const Verdict verdict = review(request_of(review(object)), &lookup);
  EXPECT_EQ(verdict.allowed, c.message.empty());
  EXPECT_EQ(verdict.message, c.message);
}

const auto kNoEdit = [](json&) {};

INSTANTIATE_TEST_SUITE_P(
    EveryKind, CreateTable,
    ::testing::Values(
        // Every kind's valid object is allowed.
        Case{"Repository", "Repository", kNoEdit, ""},
        Case{"ClusterRepository", "ClusterRepository", kNoEdit, ""},
        Case{"BackupConfig", "BackupConfig", kNoEdit, ""},
        Case{"BackupSchedule", "BackupSchedule", kNoEdit, ""},
        Case{"Backup", "Backup", kNoEdit, ""}, Case{"Restore", "Restore", kNoEdit, ""},
        Case{"Maintenance", "Maintenance", kNoEdit, ""},
        // Repository: two backends, a missing password, a bad maintenance schedule.
        Case{"RepositoryTwoBackends", "Repository",
             [](json& o) {
               o["spec"]["backend"]["filesystem"] = {{"path", "/repo"}};
             },
             "Repository \"store\" is invalid: spec.backend: Invalid value: \"object\": exactly "
             "one of s3, gcs, azure, b2, filesystem, sftp, webDav, rclone must be set"},
        Case{"RepositoryMaintenanceCron", "Repository",
             [](json& o) {
               o["spec"]["maintenance"] = {{"schedule",
                                            {{"quick", {{"cron", "0 25 * * *"}}},
                                             {"full", {{"cron", "0 0 30 2 *"}}},
                                             {"timezone", "Mars/Base"}}}};
             },
             "Repository \"store\" is invalid: spec.maintenance.schedule.quick.cron: hour field "
             "\"25\": value 25 is out of range 0-23; spec.maintenance.schedule.full.cron: \"0 0 30 "
             "2 *\" never "
             "runs: day-of-month 30 does not occur in FEB; spec.maintenance.schedule.timezone: "
             "unknown time zone \"Mars/Base\": use an IANA name such as Europe/Berlin"},
        Case{"ClusterRepositoryNoNamespaces", "ClusterRepository",
             [](json& o) { o["spec"]["allowedNamespaces"] = json::array(); },
             "ClusterRepository \"shared\" is invalid: spec.allowedNamespaces: Invalid value: 0: "
             "spec.allowedNamespaces in body should have at least 1 items"},
        // BackupConfig: missing repository, a ClusterRepository not open to the namespace,
        // retention that keeps nothing, no sources.
        Case{"BackupConfigMissingRepository", "BackupConfig",
             [](json& o) { o["spec"]["repository"]["name"] = "nowhere"; },
             "BackupConfig \"nightly\" is invalid: spec.repository.name: Repository "
             "\"apps/nowhere\" does not exist; create it first or fix the name"},
        Case{"BackupConfigClusterRepositoryNotAllowed", "BackupConfig",
             [](json& o) {
               o["metadata"]["namespace"] = "media";
               o["spec"]["repository"] = {{"kind", "ClusterRepository"}, {"name", "shared"}};
             },
             "BackupConfig \"nightly\" is invalid: spec.repository.name: namespace \"media\" may "
             "not use ClusterRepository \"shared\"; add \"media\" to its spec.allowedNamespaces"},
        Case{"BackupConfigClusterRepositoryAllowed", "BackupConfig",
             [](json& o) {
               o["spec"]["repository"] = {{"kind", "ClusterRepository"}, {"name", "shared"}};
             },
             ""},
        Case{"BackupConfigRetentionKeepsNothing", "BackupConfig",
             [](json& o) {
               o["spec"]["retention"] = {{"keepLatest", 0}, {"keepDaily", 0}};
             },
             "BackupConfig \"nightly\" is invalid: spec.retention: keeps no snapshot (every "
             "keep* it sets is 0); set at least one of keepLatest, keepHourly, keepDaily, "
             "keepWeekly, keepMonthly or keepAnnual above 0"},
        Case{"BackupConfigEverythingWrong", "BackupConfig",
             [](json& o) {
               o["spec"]["sources"] = json::array();
               o["spec"]["retention"] = {{"keepLatest", -1}};
               o["spec"]["repository"]["name"] = "nowhere";
             },
             "BackupConfig \"nightly\" is invalid: spec.retention.keepLatest: Invalid value: -1: "
             "spec.retention.keepLatest in body should be greater than or equal to 0; "
             "spec.sources: Invalid value: 0: spec.sources in body should have at least 1 items; "
             "spec.repository.name: Repository \"apps/nowhere\" does not exist; create it first "
             "or fix the name"},
        // BackupSchedule: cron and time zone as the scheduler reads them, a missing config.
        Case{"BackupScheduleHourOutOfRange", "BackupSchedule",
             [](json& o) { o["spec"]["schedule"]["cron"] = "0 25 * * *"; },
             "BackupSchedule \"nightly\" is invalid: spec.schedule.cron: hour field \"25\": value "
             "25 "
             "is out of range 0-23"},
        Case{
            "BackupScheduleNeverRuns", "BackupSchedule",
            [](json& o) { o["spec"]["schedule"]["cron"] = "0 0 30 2 *"; },
            "BackupSchedule \"nightly\" is invalid: spec.schedule.cron: \"0 0 30 2 *\" never runs: "
            "day-of-month 30 does not occur in FEB"},
        Case{
            "BackupScheduleFourFields", "BackupSchedule",
            [](json& o) { o["spec"]["schedule"]["cron"] = "0 2 * *"; },
            "BackupSchedule \"nightly\" is invalid: spec.schedule.cron: expected 5 fields (minute "
            "hour day-of-month month day-of-week) or a macro such as @daily, got 4 in \"0 2 * *\""},
        Case{"BackupScheduleUnknownZone", "BackupSchedule",
             [](json& o) { o["spec"]["schedule"]["timezone"] = "europe/berlin"; },
             "BackupSchedule \"nightly\" is invalid: spec.schedule.timezone: unknown time zone "
             "\"europe/berlin\": did you mean \"Europe/Berlin\"? (names are case-sensitive)"},
        Case{"BackupScheduleJitterInWords", "BackupSchedule",
             [](json& o) { o["spec"]["schedule"]["jitter"] = "5 minutes"; },
             "BackupSchedule \"nightly\" is invalid: spec.schedule.jitter: expected a duration "
             "such as 30s, 5m or 1h (a whole number and ms, s, m or h), got \"5 minutes\""},
        Case{"BackupScheduleJitter", "BackupSchedule",
             [](json& o) { o["spec"]["schedule"]["jitter"] = "5m"; }, ""},
        Case{"BackupScheduleZone", "BackupSchedule",
             [](json& o) { o["spec"]["schedule"]["timezone"] = "Europe/Berlin"; }, ""},
        Case{"BackupScheduleMissingConfig", "BackupSchedule",
             [](json& o) { o["spec"]["configRef"]["name"] = "weekly"; },
             "BackupSchedule \"nightly\" is invalid: spec.configRef.name: BackupConfig "
             "\"apps/weekly\" does not exist; create it first or fix the name"},
        // Backup: a missing config; a discovered Backup has none and is fine.
        Case{"BackupMissingConfig", "Backup",
             [](json& o) { o["spec"]["configRef"]["name"] = "weekly"; },
             "Backup \"nightly-1\" is invalid: spec.configRef.name: BackupConfig \"apps/weekly\" "
             "does not exist; create it first or fix the name"},
        Case{"BackupDiscovered", "Backup", [](json& o) { o["spec"] = json::object(); }, ""},
        Case{"BackupNegativeBackoff", "Backup",
             [](json& o) {
               o["spec"]["failurePolicy"] = {{"backoffLimit", -1}};
             },
             "Backup \"nightly-1\" is invalid: spec.failurePolicy.backoffLimit: Invalid value: -1: "
             "spec.failurePolicy.backoffLimit in body should be greater than or equal to 0"},
        // Restore: both sources, a missing repository and config.
        Case{"RestoreTwoSources", "Restore",
             [](json& o) {
               o["spec"]["source"]["backupRef"] = {{"name", "nightly-1"}};
             },
             "Restore \"back\" is invalid: spec.source: Invalid value: \"object\": exactly one of "
             "fromConfig, backupRef, snapshot must be set"},
        // Restore by a snapshot ID: the repository it names must exist (and allow the
        // namespace), the ID must be kopia's, spec.repository stays unset.
        Case{"RestoreSnapshotId", "Restore",
             [](json& o) {
               o["spec"]["source"] = {
                   {"snapshot",
                    {{"id", "0123456789abcdef0123456789abcdef"},
                     {"repository", {{"kind", "Repository"}, {"name", "store"}}}}}};
             },
             ""},
        Case{"RestoreSnapshotRootObjectId", "Restore",
             [](json& o) {
               o["spec"]["source"] = {
                   {"snapshot",
                    {{"id", "k0123456789abcdef0123456789abcdef"},
                     {"repository", {{"kind", "ClusterRepository"}, {"name", "shared"}}}}}};
             },
             ""},
        Case{"RestoreSnapshotBadIdMissingRepository", "Restore",
             [](json& o) {
               o["spec"]["source"] = {
                   {"snapshot",
                    {{"id", "latest"},
                     {"repository", {{"kind", "Repository"}, {"name", "gone"}}}}}};
             },
             "Restore \"back\" is invalid: spec.source.snapshot.id: \"latest\" is not a kopia "
             "snapshot ID: expected the manifest ID (32 hex digits, the \"id\" of kopia snapshot "
             "list --json) or the root object ID (k followed by hex digits, as kopia snapshot "
             "list prints it); spec.source.snapshot.repository.name: Repository \"apps/gone\" "
             "does not exist; create it first or fix the name"},
        Case{"RestoreSnapshotWithSpecRepository", "Restore",
             [](json& o) {
               o["spec"]["source"] = {
                   {"snapshot",
                    {{"id", "Ik0123456789abcdef0123456789abcdef"},
                     {"repository", {{"kind", "Repository"}, {"name", "store"}}}}}};
               o["spec"]["repository"] = {{"kind", "Repository"}, {"name", "store"}};
             },
             "Restore \"back\" is invalid: spec.repository: must be unset with source.snapshot: "
             "source.snapshot.repository names the repository that holds the snapshot"},
        Case{"RestoreSnapshotIdUppercaseHex", "Restore",
             [](json& o) {
               o["spec"]["source"] = {
                   {"snapshot",
                    {{"id", "0123456789ABCDEF0123456789ABCDEF"},
                     {"repository", {{"kind", "Repository"}, {"name", "store"}}}}}};
             },
             "Restore \"back\" is invalid: spec.source.snapshot.id: "
             "\"0123456789ABCDEF0123456789ABCDEF\" is not a kopia snapshot ID: expected the "
             "manifest ID (32 hex digits, the \"id\" of kopia snapshot list --json) or the root "
             "object ID (k followed by hex digits, as kopia snapshot list prints it)"},
        // Maintenance: bad schedules and a missing repository, all in one message.
        Case{"MaintenanceEverythingWrong", "Maintenance",
             [](json& o) {
               o["spec"]["schedule"]["quick"]["cron"] = "*/0 * * * *";
               o["spec"]["schedule"]["timezone"] = "Nowhere/Land";
               o["spec"]["repository"]["name"] = "gone";
             },
             "Maintenance \"store\" is invalid: spec.schedule.quick.cron: minute field \"*/0\": "
             "step "
             "0 in \"*/0\" is out of range 1-59; spec.schedule.timezone: unknown time zone "
             "\"Nowhere/Land\": use an IANA name such as Europe/Berlin; spec.repository.name: "
             "Repository \"apps/gone\" does not exist; create it first or fix the name"}),
    [](const ::testing::TestParamInfo<Case>& param_info) { return param_info.param.name; });

struct Update {
  std::string name;
  std::string kind;
  std::function<void(json&)> edit_old;  // e.g. a status
  std::function<void(json&)> edit_new;
  std::string message;  // "" = allowed
};

void PrintTo(const Update& u, std::ostream* os) { *os << u.name; }

class UpdateTable : public ::testing::TestWithParam<Update> {};

TEST_P(UpdateTable, ComparesWithOldObject) {
  const Update& u = GetParam();
  json old_object = valid(u.kind);
  u.edit_old(old_object);
  json object = old_object;
  u.edit_new(object);
  const MapLookup lookup = cluster();
  const Verdict verdict = review(request_of(review(object, "UPDATE", old_object)), &lookup);
  EXPECT_EQ(verdict.allowed, u.message.empty());
  EXPECT_EQ(verdict.message, u.message);
}

const auto kReady = [](json& o) { o["status"] = {{"phase", "Ready"}}; };

INSTANTIATE_TEST_SUITE_P(
    ImmutableFields, UpdateTable,
    ::testing::Values(
        Update{"BackupConfigRepository", "BackupConfig", kNoEdit,
               [](json& o) {
                 o["spec"]["repository"] = {{"kind", "ClusterRepository"}, {"name", "shared"}};
               },
               "BackupConfig \"nightly\" is invalid: spec.repository: field is immutable: the "
               "BackupConfig's snapshots are in that repository; create a new BackupConfig to "
               "back up elsewhere"},
        Update{"BackupConfigSourcesMayChange", "BackupConfig", kNoEdit,
               [](json& o) { o["spec"]["sources"][0]["pvc"] = "other"; }, ""},
        Update{"BackupConfigRef", "Backup", kNoEdit,
               [](json& o) { o["spec"]["configRef"]["name"] = "weekly"; },
               "Backup \"nightly-1\" is invalid: spec.configRef.name: BackupConfig \"apps/weekly\" "
               "does not exist; create it first or fix the name; spec.configRef: field is "
               "immutable: a Backup belongs to the BackupConfig that made it"},
        Update{"BackupDeletionPolicyMayChange", "Backup", kNoEdit,
               [](json& o) { o["spec"]["deletionPolicy"] = "Retain"; }, ""},
        Update{"RestoreSourceAndTarget", "Restore", kNoEdit,
               [](json& o) {
                 o["spec"]["source"] = {{"backupRef", {{"name", "nightly-1"}}}};
                 o["spec"]["target"] = {{"pvcRef", {{"name", "other"}}}};
               },
               "Restore \"back\" is invalid: spec.source: field is immutable: a Restore runs "
               "once; create a new Restore instead; spec.target: field is immutable: a Restore "
               "runs once; create a new Restore instead"},
        Update{"MaintenanceRepository", "Maintenance", kNoEdit,
               [](json& o) {
                 o["spec"]["repository"] = {{"kind", "ClusterRepository"}, {"name", "shared"}};
               },
               "Maintenance \"store\" is invalid: spec.repository: field is immutable: create a "
               "new Maintenance for another repository"},
        Update{"RepositoryBackendOnceReady", "Repository", kReady,
               [](json& o) { o["spec"]["backend"]["s3"]["bucket"] = "elsewhere"; },
               "Repository \"store\" is invalid: spec.backend: field is immutable once the "
               "repository has been Ready: the snapshots live in this store; create a new "
               "repository to use another one"},
        Update{"RepositoryBackendBeforeReady", "Repository",
               [](json& o) {
                 o["status"] = {{"phase", "Failed"}};
               },
               [](json& o) { o["spec"]["backend"]["s3"]["bucket"] = "fixed-typo"; }, ""},
        Update{"ClusterRepositoryCreateOnceReady", "ClusterRepository", kReady,
               [](json& o) {
                 o["spec"]["create"] = {{"hash", "BLAKE3-256"}};
               },
               "ClusterRepository \"shared\" is invalid: spec.create.hash: field is immutable "
               "once the repository has been Ready: it only applies when kopia creates the "
               "repository, which has happened"},
        Update{"ClusterRepositoryNamespacesMayChange", "ClusterRepository", kReady,
               [](json& o) { o["spec"]["allowedNamespaces"].push_back("media"); }, ""},
        // A reference whose referent is gone does not block an update that leaves it alone
        // (finalizer removal, a label).
        Update{"UnchangedDanglingReference", "BackupSchedule",
               [](json& o) { o["spec"]["configRef"]["name"] = "deleted"; },
               [](json& o) {
                 o["metadata"]["labels"] = {{"team", "a"}};
               },
               ""},
        // An object being deleted is let through: only its finalizers can still change.
        Update{"BeingDeleted", "Backup",
               [](json& o) {
                 o["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
                 o["metadata"]["finalizers"] = {"kopiur.home-operations.com/snapshot"};
               },
               [](json& o) { o["metadata"]["finalizers"] = json::array(); }, ""}),
    [](const ::testing::TestParamInfo<Update>& param_info) { return param_info.param.name; });

TEST(Review, WarnsWhenReferencesCannotBeChecked) {
  const auto request = request_of(review(backup_config()));
  const Verdict without = review(request, nullptr);
  EXPECT_TRUE(without.allowed);
  ASSERT_EQ(without.warnings.size(), 1u);
  EXPECT_EQ(without.warnings[0],
            "references not checked: kopiur-webhook runs without access to the cluster");
  // Kinds without references get no such warning.
  EXPECT_TRUE(review(request_of(review(repository())), nullptr).warnings.empty());
}

TEST(Review, WarnsAboutShortStartingDeadlinesAndRedundantWildcards) {
  json schedule = backup_schedule();
  schedule["spec"]["schedule"]["startingDeadlineSeconds"] = 5;
  const MapLookup lookup = cluster();
  const Verdict a = review(request_of(review(schedule)), &lookup);
  EXPECT_TRUE(a.allowed) << a.message;
  EXPECT_EQ(a.warnings, std::vector<std::string>{"spec.schedule.startingDeadlineSeconds: less "
                                                 "than 10 seconds may skip runs that start a "
                                                 "little late"});
  const Verdict b =
      review(request_of(review(cluster_repository("shared", {"apps", "*"}))), &lookup);
  EXPECT_TRUE(b.allowed) << b.message;
  EXPECT_EQ(b.warnings, std::vector<std::string>{"spec.allowedNamespaces: \"*\" admits every "
                                                 "namespace; the other entries are redundant"});
}

TEST(Review, WarnsAboutSettingsAReadOnlyRepositoryIgnores) {
  json repo = repository();
  repo["spec"]["mode"] = "ReadOnly";
  EXPECT_TRUE(review(request_of(review(repo)), nullptr).warnings.empty());
  repo["spec"]["create"] = {{"enabled", true}};
  repo["spec"]["maintenance"] = {
      {"schedule", {{"quick", {{"cron", "@hourly"}}}, {"full", {{"cron", "@daily"}}}}}};
  const Verdict verdict = review(request_of(review(repo)), nullptr);
  EXPECT_TRUE(verdict.allowed) << verdict.message;
  EXPECT_EQ(verdict.warnings,
            (std::vector<std::string>{
                "spec.create.enabled: ignored with spec.mode: ReadOnly (a read-only connection "
                "never creates the repository; it must exist already)",
                "spec.maintenance: ignored with spec.mode: ReadOnly (maintenance writes; run it "
                "from a ReadWrite repository on the same storage)"}));
  // ReadWrite, or spec.maintenance disabled, says nothing.
  repo["spec"]["maintenance"]["enabled"] = false;
  repo["spec"]["create"]["enabled"] = false;
  EXPECT_TRUE(review(request_of(review(repo)), nullptr).warnings.empty());
  repo["spec"]["mode"] = "ReadWrite";
  repo["spec"]["maintenance"].erase("enabled");
  repo["spec"]["create"]["enabled"] = true;
  EXPECT_TRUE(review(request_of(review(repo)), nullptr).warnings.empty());
}

TEST(Review, WarnsWhenANarrowedClusterRepositoryLeavesAConfigOut) {
  MapLookup lookup = cluster();
  json config = backup_config("media-backup", "media");
  config["spec"]["repository"] = {{"kind", "ClusterRepository"}, {"name", "shared"}};
  lookup.add(config);
  const json before = cluster_repository("shared", {"apps", "media"});
  const json after = cluster_repository("shared", {"apps"});
  const Verdict verdict = review(request_of(review(after, "UPDATE", before)), &lookup);
  EXPECT_TRUE(verdict.allowed) << verdict.message;
  EXPECT_EQ(verdict.warnings,
            std::vector<std::string>{
                "spec.allowedNamespaces: BackupConfig media/media-backup uses this "
                "ClusterRepository; its backups will fail until \"media\" is allowed again or it "
                "uses another repository"});
  // Widening, or narrowing what nobody uses, says nothing.
  EXPECT_TRUE(review(request_of(review(before, "UPDATE", after)), &lookup).warnings.empty());
}

TEST(Review, WildcardClusterRepositoryAdmitsAnyNamespace) {
  MapLookup lookup;
  lookup.add(cluster_repository("open", {"*"}));
  json config = backup_config("x", "anywhere");
  config["spec"]["repository"] = {{"kind", "ClusterRepository"}, {"name", "open"}};
  EXPECT_TRUE(review(request_of(review(config)), &lookup).allowed);
}

TEST(Review, TakesTheNamespaceFromTheRequestWhenTheObjectHasNone) {
  json config = backup_config();
  config["metadata"].erase("namespace");
  config["spec"]["repository"] = {{"kind", "ClusterRepository"}, {"name", "shared"}};
  json body = review(config);
  body["request"]["namespace"] = "media";
  const MapLookup lookup = cluster();
  EXPECT_EQ(review(request_of(body), &lookup).message,
            "BackupConfig \"nightly\" is invalid: spec.repository.name: namespace \"media\" may "
            "not use ClusterRepository \"shared\"; add \"media\" to its spec.allowedNamespaces");
}

TEST(Review, NamesAGenerateNameObjectByItsPrefix) {
  json backup_object = backup();
  backup_object["metadata"] = {{"generateName", "manual-"}, {"namespace", "apps"}};
  backup_object["spec"]["configRef"]["name"] = "weekly";
  const MapLookup lookup = cluster();
  EXPECT_EQ(review(request_of(review(backup_object)), &lookup).message,
            "Backup \"manual-*\" is invalid: spec.configRef.name: BackupConfig \"apps/weekly\" "
            "does not exist; create it first or fix the name");
}

}  // namespace
}  // namespace kopiur::webhook::test
