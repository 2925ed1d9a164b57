// A Repository with spec.mode: ReadOnly against the local API server with real mover Jobs: it
// connects read-only (kopia's --readonly, never creating) and its catalog scan discovers the
// snapshots already there; a restore reads them; a BackupConfig, a Backup and a Maintenance
// naming it are refused with the RepositoryReadOnly condition before any Job; deleting a
// Backup of it keeps the snapshot (orphaned) instead of a delete Job kopia would refuse.
#include <filesystem>
#include <fstream>

#include "kopiur/controller/flow_support.hpp"
#include "kopiur/kube/client.hpp"
#include "kopiur/kube/secret.hpp"

#include "flow_fixture.hpp"
#include "standin.hpp"
#include "support/wait.hpp"

namespace kopiur::controller::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

Predicate reason_is(const std::string& type, const std::string& reason) {
  return [type, reason](const json& o) { return condition(o, type, "reason") == reason; };
}

class ReadOnlyRepositoryTest : public FlowTest {
 protected:
  // A kopia repository holding one snapshot of {note.txt: "kept"}, made by the stand-in; its id.
  std::string prepare_snapshot() {
    create_password_secret(kNs, "repo-pass");
    repo_dir_ = dir("repo");
    kopia({"repository", "create", "filesystem", "--path=" + repo_dir_});
    const auto source = dir("source");
    std::ofstream(source + "/note.txt") << "kept";
    return json::parse(kopia({"snapshot", "create", source, "--json"})).value("id", "");
  }

  std::string kopia(const std::vector<std::string>& args) {
    return standin(tmp_.file("kopia.config"), tmp_.file("kopia.stderr"), args);
  }

  // The work spec the controller gave a mover Job (its Secret, owned by the Restore), null when
  // it is gone.
  json work_spec_of(const std::string& job) {
    auto secret = client_->get(kube::resources::kSecrets, kNs, job);
    if (!secret.ok()) return nullptr;
    const auto text = kube::secret_value(*secret, "work-spec.json");
    return text ? json::parse(*text, nullptr, false) : json();
  }

  std::string repo_dir_;
};

TEST_F(ReadOnlyRepositoryTest, ReadsWorkAndWritesAreRefusedWithACondition) {
  const std::string id = prepare_snapshot();
  ASSERT_EQ(id.size(), 32u);
  // create.enabled stays in the spec: a read-only connection must not act on it.
  json repo = repository(kNs, "ro", repo_dir_, /*create_repo=*/true);
  repo["spec"]["mode"] = "ReadOnly";
  repo["spec"]["maintenance"] = json::object();  // not acted on: maintenance writes
  create(repo);
  start();

  // Connected read-only, and the catalog scan discovers the snapshot already there.
  ASSERT_FALSE(wait_for("Repository", kNs, "ro", condition_is("Connected", "True")).is_null());
  const std::string discovered = "ro-" + id.substr(0, 12);
  const auto found = wait_for("Backup", kNs, discovered, phase_is("Discovered"));
  ASSERT_FALSE(found.is_null());
  EXPECT_EQ(found["status"]["snapshot"].value("kopiaSnapshotID", ""), id);
  EXPECT_TRUE(test::wait_until(
      [&] {
        return metric("kopiur_repo_snapshot_count", {{"namespace", kNs}, {"name", "ro"}}) == 1;
      },
      10s));

  // Not maintained (0, as for any repository no Maintenance names), and the fix the condition
  // gives is the writer's, since kopiur never maintains a ReadOnly repository.
  const auto unmaintained = wait_for(
      "Repository", kNs, "ro", reason_is("MaintenanceConfigured", "MaintenanceNotConfigured"));
  ASSERT_FALSE(unmaintained.is_null());
  EXPECT_NE(condition(unmaintained, "MaintenanceConfigured", "message")
                .find("it is ReadOnly (spec.mode), so its maintenance belongs to the Repository"),
            std::string::npos)
      << unmaintained["status"].dump();

  // A BackupConfig naming it is not Ready: its backups would be refused.
  const auto data = create_claim(kNs, "data");
  std::ofstream(data + "/a.txt") << "new";
  create({{"apiVersion", kApi},
          {"kind", "BackupConfig"},
          {"metadata", {{"name", "cfg"}, {"namespace", kNs}}},
          {"spec",
           {{"repository", {{"kind", "Repository"}, {"name", "ro"}}},
            {"sources", {{{"pvc", "data"}}}}}}});
  const auto config =
      wait_for("BackupConfig", kNs, "cfg", reason_is("Ready", "RepositoryReadOnly"));
  ASSERT_FALSE(config.is_null());
  EXPECT_EQ(condition(config, "Ready", "status"), "False");
  EXPECT_EQ(condition(config, "RepositoryReachable", "status"), "True");

  // A Backup of it stays Pending with the condition and a Warning Event, and no Job runs.
  create({{"apiVersion", kApi},
          {"kind", "Backup"},
          {"metadata", {{"name", "b1"}, {"namespace", kNs}}},
          {"spec", {{"configRef", {{"name", "cfg"}}}}}});
  const auto refused = wait_for("Backup", kNs, "b1", [](const json& o) {
    return o.value("status", json::object()).dump().find("RepositoryReadOnly") != std::string::npos;
  });
  ASSERT_FALSE(refused.is_null());
  EXPECT_EQ(refused["status"].value("phase", ""), "Pending");
  EXPECT_NE(refused["status"].dump().find("Repository team-a/ro is ReadOnly (spec.mode), so the "
                                          "backup cannot write to it"),
            std::string::npos)
      << refused["status"].dump();
  EXPECT_TRUE(test::wait_until([&] { return has_event(kNs, "b1", "RepositoryReadOnly"); }, 10s));
  EXPECT_EQ(list("Job", kNs, "kopiur.io/job=b1-backup").size(), 0u);

  // A Maintenance of it is not Ready and runs nothing.
  create({{"apiVersion", kApi},
          {"kind", "Maintenance"},
          {"metadata", {{"name", "m"}, {"namespace", kNs}}},
          {"spec",
           {{"repository", {{"kind", "Repository"}, {"name", "ro"}}},
            {"ownership", {{"owner", "kopiur@team-a"}}},
            {"schedule", {{"quick", {{"cron", "@hourly"}}}, {"full", {{"cron", "@daily"}}}}}}}});
  const auto maintenance =
      wait_for("Maintenance", kNs, "m", reason_is("Ready", "RepositoryReadOnly"));
  ASSERT_FALSE(maintenance.is_null());
  EXPECT_EQ(condition(maintenance, "Ready", "status"), "False");
  EXPECT_EQ(list("Job", kNs, "kopiur.io/kind=Maintenance").size(), 0u);
  EXPECT_TRUE(get("Maintenance", kNs, "ro-maintenance").is_null())
      << "a ReadOnly repository makes no Maintenance of its own";

  // A restore reads it; its Job connected with repository.readOnly and without create.
  const auto target = create_claim(kNs, "restored");
  create(
      {{"apiVersion", kApi},
       {"kind", "Restore"},
       {"metadata", {{"name", "r"}, {"namespace", kNs}}},
       {"spec",
        {{"source",
          {{"snapshot", {{"id", id}, {"repository", {{"kind", "Repository"}, {"name", "ro"}}}}}}},
         {"target", {{"pvcRef", {{"name", "restored"}}}}}}}});
  ASSERT_FALSE(wait_for("Restore", kNs, "r", phase_is("Completed")).is_null());
  EXPECT_EQ(test::read_file(target + "/note.txt"), "kept");
  const json work = work_spec_of("r-restore");
  ASSERT_TRUE(work.is_object()) << "the restore Job's Secret holds its work spec";
  EXPECT_EQ(work["repository"].value("readOnly", false), true) << work.dump();
  EXPECT_EQ(work["repository"].value("create", true), false) << work.dump();

  // Deleting a Backup of it (policy Delete) keeps the snapshot: no delete Job, orphaned + 1.
  patch("Backup", kNs, discovered, {{"spec", {{"deletionPolicy", "Delete"}}}});
  ASSERT_TRUE(remove("Backup", kNs, discovered));
  ASSERT_TRUE(wait_gone("Backup", kNs, discovered));
  EXPECT_TRUE(test::wait_until([&] { return has_event(kNs, discovered, "SnapshotKept"); }, 10s));
  EXPECT_EQ(metric("kopiur_orphaned_snapshots_total", {{"namespace", kNs}}), 1);
  EXPECT_TRUE(fs::exists(fs::path(repo_dir_) / "manifests" / id));
  EXPECT_EQ(list("Job", kNs, "kopiur.io/job=" + discovered + "-delete").size(), 0u);
}

}  // namespace
}  // namespace kopiur::controller::testing
