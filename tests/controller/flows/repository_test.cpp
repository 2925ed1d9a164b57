// The Repository / ClusterRepository flow against the local API server with real mover Jobs:
// connect -> Ready with its conditions and metrics, the maintenance gauge following Maintenance
// objects, catalog scans (after a backup and on the interval) discovering untracked snapshots,
// failures that must not loop (wrong password, missing Secret, unsupported backend, bad spec),
// suspend, and a ClusterRepository's Jobs in the system namespace.
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "kopiur/controller/flow_support.hpp"
#include "kopiur/controller/mover_runs.hpp"
#include "kopiur/controller/repository_access.hpp"

#include "flow_fixture.hpp"
#include "support/wait.hpp"

namespace kopiur::controller::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using Labels = std::map<std::string, std::string>;

// The member at `path` of `o`, null when any step is missing.
json at(const json& o, std::initializer_list<const char*> path) {
  const json* cur = &o;
  for (const char* key : path) {
    if (!cur->is_object() || !cur->contains(key)) return nullptr;
    cur = &(*cur)[key];
  }
  return *cur;
}

json condition(const json& o, const std::string& type) {
  for (const auto& c : at(o, {"status", "conditions"})) {
    if (c.value("type", "") == type) return c;
  }
  return nullptr;
}

Predicate scanned(std::int64_t snapshots) {
  return [snapshots](const json& o) {
    const auto count = at(o, {"status", "catalog", "snapshotCount"});
    return phase_is("Ready")(o) && count.is_number_integer() && count == snapshots;
  };
}

class RepositoryFlowTest : public FlowTest {
 protected:
  static Labels repo_labels(const std::string& ns, const std::string& name) {
    return {{"namespace", ns}, {"name", name}};
  }
  static Labels maintenance_labels(const std::string& kind, const std::string& ns,
                                   const std::string& name) {
    return {{"kind", kind}, {"namespace", ns}, {"name", name}};
  }

  void write(const std::string& path, std::size_t bytes) {
    std::ofstream(path, std::ios::binary) << std::string(bytes, 'x');
  }

  // A snapshot of `source` in the filesystem repository at `repo`, taken by a mover backup Job
  // that no kopiur object owns (so nothing tracks it): the snapshot's JSON.
  json snapshot(const std::string& job, const std::string& repo, const std::string& source) {
    MoverJobRequest r;
    r.operation = "backup";
    r.job_name = job;
    r.owner = {{"apiVersion", "v1"},
               {"kind", "ConfigMap"},
               {"metadata", {{"name", "snapshots"}, {"namespace", "team-a"}, {"uid", "u-snap"}}}};
    r.work_spec = {
        {"operation", "backup"},
        {"repository",
         {{"filesystem", {{"path", repo}}}, {"create", false}, {"passwordKey", kPasswordFile}}},
        {"identity", {{"hostname", "team-a"}, {"username", "data"}}},
        {"backup", {{"sourcePath", source}}}};
    r.secret_files = {{kPasswordFile, "s3cret-pass"}};
    EXPECT_TRUE(start_mover(*env_, r).ok());
    MoverObservation seen;
    EXPECT_TRUE(test::wait_until(
        [&] {
          auto got = observe_mover(*env_, "team-a", job);
          if (got.ok()) seen = *got;
          return got.ok() &&
                 (seen.state == MoverState::kSucceeded || seen.state == MoverState::kFailed);
        },
        60s, 20ms));
    EXPECT_EQ(seen.state, MoverState::kSucceeded) << seen.failure;
    return seen.result.value("snapshot", json::object());
  }

  std::size_t jobs(const std::string& ns, const std::string& selector) {
    return list("Job", ns, selector).size();
  }

  // Reconciles of the kind so far (the hot-loop detector).
  double reconciles(const std::string& kind) {
    return metric("kopiur_controller_reconciliations_total", {{"kind", kind}}).value_or(0);
  }

  static json maintenance(const std::string& ns, const std::string& name, const json& repo_ref) {
    return {
        {"apiVersion", "kopiur.home-operations.com/v1alpha1"},
        {"kind", "Maintenance"},
        {"metadata", {{"name", name}, {"namespace", ns}}},
        {"spec",
         {{"repository", repo_ref},
          {"ownership", {{"owner", "kopiur"}}},
          {"schedule", {{"quick", {{"cron", "0 * * * *"}}}, {"full", {{"cron", "0 3 * * 0"}}}}}}}};
  }
};

TEST_F(RepositoryFlowTest, ConnectsToReadyAndFollowsMaintenanceObjects) {
  start();
  create_password_secret("team-a", "repo-pass");
  create(repository("team-a", "repo", dir("repo")));
  const auto repo = wait_for("Repository", "team-a", "repo", scanned(0));
  ASSERT_FALSE(repo.is_null());
  EXPECT_FALSE(at(repo, {"status", "uniqueId"}).get<std::string>().empty());
  EXPECT_EQ(at(repo, {"status", "backend"}), "filesystem");
  EXPECT_EQ(at(repo, {"status", "observedGeneration"}), 1);
  EXPECT_EQ(condition(repo, "Connected").value("status", ""), "True");
  EXPECT_EQ(condition(repo, "Ready").value("status", ""), "True");
  EXPECT_EQ(condition(repo, "CatalogScanned").value("status", ""), "True");
  const auto maint = condition(repo, "MaintenanceConfigured");
  EXPECT_EQ(maint.value("status", ""), "False");
  EXPECT_EQ(maint.value("reason", ""), "MaintenanceNotConfigured");
  EXPECT_EQ(at(repo, {"status", "catalog", "discoveredBackupCount"}), 0);
  EXPECT_EQ(at(repo, {"status", "catalog", "logicalSizeBytes"}), 0);
  EXPECT_EQ(at(repo, {"status", "storageStats", "snapshotCount"}), 0);
  EXPECT_FALSE(at(repo, {"status", "catalog", "lastRefreshAt"}).is_null());

  EXPECT_EQ(metric("kopiur_repo_snapshot_count", repo_labels("team-a", "repo")), 0);
  EXPECT_EQ(metric("kopiur_repo_size_bytes", repo_labels("team-a", "repo")), 0);
  EXPECT_EQ(metric("kopiur_repo_discovered_backups", repo_labels("team-a", "repo")), 0);
  EXPECT_EQ(metric("kopiur_repository_maintenance_configured",
                   maintenance_labels("Repository", "team-a", "repo")),
            0);
  // (The runtime records the phase once the reconcile returned.)
  EXPECT_TRUE(test::wait_until(
      [&] {
        return metric("kopiur_resource_phase", {{"kind", "Repository"},
                                                {"namespace", "team-a"},
                                                {"name", "repo"},
                                                {"phase", "Ready"}}) == 1;
      },
      30s));
  EXPECT_TRUE(has_event("team-a", "repo", "MaintenanceNotConfigured"));
  // The connect and catalog Jobs are read and gone.
  EXPECT_EQ(jobs("team-a", "kopiur.io/kind=Repository,kopiur.io/name=repo"), 0u)
      << list("Job", "team-a").dump(1);

  // A Maintenance naming it (its namespace defaulting to the Maintenance's) flips both, in a
  // few reconciles (a Ready repository is quiet: no loop through its own status writes).
  const double quiet =
      metric("kopiur_controller_reconciliations_total", {{"kind", "Repository"}}).value_or(0);
  create(maintenance("team-a", "weekly", {{"kind", "Repository"}, {"name", "repo"}}));
  ASSERT_FALSE(
      wait_for("Repository", "team-a", "repo", condition_is("MaintenanceConfigured", "True"))
          .is_null());
  EXPECT_EQ(metric("kopiur_repository_maintenance_configured",
                   maintenance_labels("Repository", "team-a", "repo")),
            1);
  EXPECT_LE(metric("kopiur_controller_reconciliations_total", {{"kind", "Repository"}}).value_or(0),
            quiet + 4);
  // And back when it goes.
  remove("Maintenance", "team-a", "weekly");
  ASSERT_FALSE(
      wait_for("Repository", "team-a", "repo", condition_is("MaintenanceConfigured", "False"))
          .is_null());
  EXPECT_EQ(metric("kopiur_repository_maintenance_configured",
                   maintenance_labels("Repository", "team-a", "repo")),
            0);

  // Deleted: its series leave the exposition.
  remove("Repository", "team-a", "repo");
  ASSERT_TRUE(wait_gone("Repository", "team-a", "repo"));
  EXPECT_EQ(metric("kopiur_repo_snapshot_count", repo_labels("team-a", "repo")), std::nullopt);
  EXPECT_EQ(metric("kopiur_repo_size_bytes", repo_labels("team-a", "repo")), std::nullopt);
  EXPECT_EQ(metric("kopiur_repo_discovered_backups", repo_labels("team-a", "repo")), std::nullopt);
  EXPECT_EQ(metric("kopiur_repository_maintenance_configured",
                   maintenance_labels("Repository", "team-a", "repo")),
            std::nullopt);
}

TEST_F(RepositoryFlowTest, ARepositoryOnAClaimIsCreatedInsideTheClaim) {
  start();
  create_password_secret("team-a", "repo-pass");
  const std::string claim_dir = create_claim("team-a", "backups");
  auto repo = repository("team-a", "on-claim", "kopia");
  repo["spec"]["backend"]["filesystem"]["claimName"] = "backups";
  create(repo);
  ASSERT_FALSE(wait_for("Repository", "team-a", "on-claim", scanned(0)).is_null());
  EXPECT_TRUE(std::filesystem::exists(claim_dir + "/kopia/kopiur-standin.repository"));
  EXPECT_TRUE(has_event("team-a", "on-claim", "Connected"));
}

TEST_F(RepositoryFlowTest, CatalogScansDiscoverUntrackedSnapshotsAfterBackupsAndOnTheInterval) {
  start();
  create_password_secret("team-a", "repo-pass");
  const std::string path = dir("repo");
  create(repository("team-a", "repo", path));
  ASSERT_FALSE(wait_for("Repository", "team-a", "repo", scanned(0)).is_null());

  const std::string source = dir("source");
  write(source + "/a", 1000);
  write(source + "/b", 500);
  const auto first = snapshot("snap-1", path, source);
  write(source + "/c", 250);
  const auto second = snapshot("snap-2", path, source);
  const std::string id1 = first.value("id", ""), id2 = second.value("id", "");
  ASSERT_FALSE(id1.empty());
  ASSERT_FALSE(id2.empty());

  // A Backup that tracks the first snapshot succeeds: the repository rescans at once.
  // (Running first, as the Backup flow writes it, then Succeeded.) Its status is written here by
  // hand, so it carries the discovered label that keeps the Backup flow's hands off it.
  create({{"apiVersion", "kopiur.home-operations.com/v1alpha1"},
          {"kind", "Backup"},
          {"metadata",
           {{"name", "tracked"},
            {"namespace", "team-a"},
            {"labels", {{"kopiur.io/origin", "discovered"}}}}},
          {"spec", json::object()}});
  const json to_repo = {
      {"repository", {{"kind", "Repository"}, {"name", "repo"}, {"namespace", "team-a"}}}};
  auto patched = client_->patch_status(
      kube::resource_for("Backup"), "team-a", "tracked",
      {{"status", {{"phase", "Running"}, {"origin", "manual"}, {"resolved", to_repo}}}},
      kube::PatchType::kMerge);
  ASSERT_TRUE(patched.ok()) << patched.error().to_string();
  ASSERT_TRUE(test::wait_until(
      [&] {
        auto cached = runtime_->cache("Backup")->get("team-a", "tracked");
        return cached != nullptr && phase_of_status(*cached) == "Running";
      },
      30s));
  patched = client_->patch_status(
      kube::resource_for("Backup"), "team-a", "tracked",
      {{"status",
        {{"phase", "Succeeded"},
         {"origin", "manual"},
         {"snapshot", {{"kopiaSnapshotID", id1}}},
         {"timing", {{"completionTime", rfc3339(std::chrono::system_clock::now())}}},
         {"resolved",
          {{"repository", {{"kind", "Repository"}, {"name", "repo"}, {"namespace", "team-a"}}}}}}}},
      kube::PatchType::kMerge);
  ASSERT_TRUE(patched.ok()) << patched.error().to_string();

  auto repo = wait_for("Repository", "team-a", "repo", scanned(2));
  ASSERT_FALSE(repo.is_null());
  EXPECT_EQ(at(repo, {"status", "catalog", "discoveredBackupCount"}), 1);
  // One source: its newest snapshot (a, b and c) is the logical size.
  EXPECT_EQ(at(repo, {"status", "catalog", "logicalSizeBytes"}), 1750);
  EXPECT_EQ(at(repo, {"status", "storageStats", "snapshotCount"}), 2);
  EXPECT_EQ(metric("kopiur_repo_snapshot_count", repo_labels("team-a", "repo")), 2);
  EXPECT_EQ(metric("kopiur_repo_size_bytes", repo_labels("team-a", "repo")), 1750);
  EXPECT_EQ(metric("kopiur_repo_discovered_backups", repo_labels("team-a", "repo")), 1);

  const auto found = get("Backup", "team-a", "repo-" + id2.substr(0, 12));
  ASSERT_FALSE(found.is_null()) << "no Discovered Backup for " << id2;
  EXPECT_EQ(at(found, {"status", "phase"}), "Discovered");
  EXPECT_EQ(at(found, {"status", "origin"}), "discovered");
  EXPECT_EQ(at(found, {"status", "snapshot", "kopiaSnapshotID"}), id2);
  EXPECT_EQ(at(found, {"status", "snapshot", "identity", "hostname"}), "team-a");
  EXPECT_EQ(at(found, {"status", "snapshot", "identity", "username"}), "data");
  EXPECT_EQ(at(found, {"status", "stats", "sizeBytes"}), 1750);
  EXPECT_EQ(at(found, {"status", "resolved", "repository", "name"}), "repo");
  EXPECT_FALSE(at(found, {"status", "timing", "startTime"}).is_null());
  EXPECT_EQ(at(found, {"metadata", "labels", "kopiur.io/origin"}), "discovered");
  EXPECT_EQ(at(found, {"metadata", "labels", "kopiur.io/repository"}), "repo");
  EXPECT_TRUE(get("Backup", "team-a", "repo-" + id1.substr(0, 12)).is_null())
      << "the tracked snapshot was discovered too";
  EXPECT_TRUE(has_event("team-a", "repo", "SnapshotsDiscovered"));

  // A snapshot nothing announces shows up on the interval scan (default 1 h).
  write(source + "/d", 100);
  const auto third = snapshot("snap-3", path, source);
  wall_.advance(2h);
  clock_.advance(2h);
  repo = wait_for("Repository", "team-a", "repo", scanned(3));
  ASSERT_FALSE(repo.is_null());
  EXPECT_EQ(at(repo, {"status", "catalog", "discoveredBackupCount"}), 2);
  EXPECT_EQ(metric("kopiur_repo_size_bytes", repo_labels("team-a", "repo")), 1850);
  EXPECT_EQ(metric("kopiur_repo_discovered_backups", repo_labels("team-a", "repo")), 2);
  EXPECT_EQ(metric("kopiur_repo_snapshot_count", repo_labels("team-a", "repo")), 3);
  EXPECT_FALSE(get("Backup", "team-a", "repo-" + third.value("id", "").substr(0, 12)).is_null());
  // The two Discovered Backups, and "tracked", labelled by hand above.
  EXPECT_EQ(list("Backup", "team-a", "kopiur.io/origin=discovered").size(), 3u);
}

TEST_F(RepositoryFlowTest, AWrongPasswordFailsOnceAndAFixedSecretRetries) {
  start();
  const std::string path = dir("repo");
  create_password_secret("team-a", "repo-pass");
  create(repository("team-a", "first", path));
  ASSERT_FALSE(wait_for("Repository", "team-a", "first", scanned(0)).is_null());

  create_password_secret("team-a", "other-pass", "not-the-password");
  create(repository("team-a", "second", path, false, "other-pass"));
  const auto failed =
      wait_for("Repository", "team-a", "second", condition_is("Connected", "False"));
  ASSERT_FALSE(failed.is_null());
  ASSERT_FALSE(wait_for("Repository", "team-a", "second", phase_is("Failed")).is_null());
  const auto connected = condition(get("Repository", "team-a", "second"), "Connected");
  EXPECT_EQ(connected.value("reason", ""), "AuthFailure");
  EXPECT_NE(connected.value("message", "").find("invalid repository password"), std::string::npos)
      << connected.dump();
  EXPECT_EQ(condition(get("Repository", "team-a", "second"), "Ready").value("reason", ""),
            "ConnectFailed");
  EXPECT_TRUE(test::wait_until([&] { return has_event("team-a", "second", "AuthFailure"); }, 30s));
  const std::string selector = "kopiur.io/name=second,kopiur.io/operation=connect";
  EXPECT_EQ(jobs("team-a", selector), 1u);  // kept for its logs

  // The structural retry (5 min) reconciles again but starts no second Job.
  const double before = reconciles("Repository");
  clock_.advance(6min);
  ASSERT_TRUE(test::wait_until([&] { return reconciles("Repository") > before; }, 30s));
  EXPECT_EQ(jobs("team-a", selector), 1u);
  EXPECT_EQ(phase_of_status(get("Repository", "team-a", "second")), "Failed");

  // Fixing the Secret is picked up by the next retry: a new connect Job, then Ready.
  // (The clock moves on while waiting: the retry timer is set just after the reconcile counts.)
  patch("Secret", "team-a", "other-pass", {{"stringData", {{"password", "s3cret-pass"}}}});
  json ready;
  ASSERT_TRUE(test::wait_until(
      [&] {
        clock_.advance(1min);
        ready = get("Repository", "team-a", "second");
        return scanned(0)(ready);
      },
      60s, 50ms))
      << ready.dump();
  EXPECT_EQ(at(ready, {"status", "uniqueId"}),
            at(get("Repository", "team-a", "first"), {"status", "uniqueId"}));
  EXPECT_EQ(jobs("team-a", selector), 0u);
}

TEST_F(RepositoryFlowTest, MissingSecretsAndBadSpecsFailWithAConditionAndAnEventWithoutJobs) {
  start();
  // A Secret without the key.
  create({{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", {{"name", "no-key"}, {"namespace", "team-a"}}},
          {"stringData", {{"pass", "x"}}}});
  create(repository("team-a", "nokey", dir("nokey"), true, "no-key"));
  auto nokey = wait_for("Repository", "team-a", "nokey", phase_is("Failed"));
  ASSERT_FALSE(nokey.is_null());
  auto c = condition(nokey, "Connected");
  EXPECT_EQ(c.value("reason", ""), "MissingCredentialsSecret");
  EXPECT_NE(c.value("message", "").find("has no key \"password\""), std::string::npos) << c.dump();
  EXPECT_TRUE(test::wait_until(
      [&] { return has_event("team-a", "nokey", "MissingCredentialsSecret"); }, 30s));

  // No Secret at all.
  create(repository("team-a", "nosecret", dir("nosecret"), true, "absent"));
  auto nosecret = wait_for("Repository", "team-a", "nosecret", phase_is("Failed"));
  ASSERT_FALSE(nosecret.is_null());
  c = condition(nosecret, "Connected");
  EXPECT_EQ(c.value("reason", ""), "MissingCredentialsSecret");
  EXPECT_NE(c.value("message", "").find("team-a/absent"), std::string::npos) << c.dump();
  EXPECT_TRUE(test::wait_until(
      [&] { return has_event("team-a", "nosecret", "MissingCredentialsSecret"); }, 30s));

  // An object-store backend whose credentials Secret is missing: no Job is started.
  create_password_secret("team-a", "repo-pass");
  auto s3 = repository("team-a", "s3", "/unused");
  s3["spec"]["backend"] = {
      {"s3", {{"bucket", "backups"}, {"credentialsSecretRef", {{"name", "s3-creds"}}}}}};
  create(s3);
  auto failed = wait_for("Repository", "team-a", "s3", phase_is("Failed"));
  ASSERT_FALSE(failed.is_null());
  c = condition(failed, "Connected");
  EXPECT_EQ(c.value("reason", ""), "MissingCredentialsSecret");
  EXPECT_NE(c.value("message", "").find("the s3 credentials"), std::string::npos) << c.dump();
  EXPECT_TRUE(
      test::wait_until([&] { return has_event("team-a", "s3", "MissingCredentialsSecret"); }, 30s));

  // A spec the webhook would deny.
  auto bad = repository("team-a", "bad-interval", dir("bad"));
  bad["spec"]["catalog"] = {{"refreshInterval", "soon"}};
  create(bad);
  failed = wait_for("Repository", "team-a", "bad-interval", phase_is("Failed"));
  ASSERT_FALSE(failed.is_null());
  c = condition(failed, "Ready");
  EXPECT_EQ(c.value("reason", ""), "InvalidSpec");
  EXPECT_NE(c.value("message", "").find("spec.catalog.refreshInterval"), std::string::npos);

  EXPECT_EQ(jobs("team-a", "kopiur.io/kind=Repository"), 0u);
  // Structural errors wait (5 min), they do not loop.
  const double settled = reconciles("Repository");
  EXPECT_TRUE(
      test::wait_until([&] { return has_event("team-a", "bad-interval", "InvalidSpec"); }, 30s));
  EXPECT_LE(reconciles("Repository"), settled + 4);
}

TEST_F(RepositoryFlowTest, SuspendedRepositoriesRunNoJobsUntilResumed) {
  start();
  create_password_secret("team-a", "repo-pass");
  auto repo = repository("team-a", "paused", dir("paused"));
  repo["spec"]["suspend"] = true;
  create(repo);
  auto seen = wait_for("Repository", "team-a", "paused", condition_is("Suspended", "True"));
  ASSERT_FALSE(seen.is_null());
  EXPECT_EQ(phase_of_status(seen), "Pending");
  EXPECT_EQ(jobs("team-a", "kopiur.io/name=paused"), 0u);

  patch("Repository", "team-a", "paused", {{"spec", {{"suspend", false}}}});
  seen = wait_for("Repository", "team-a", "paused", scanned(0));
  ASSERT_FALSE(seen.is_null());
  EXPECT_EQ(condition(seen, "Suspended").value("status", ""), "False");
  EXPECT_EQ(at(seen, {"status", "observedGeneration"}), 2);
}

TEST_F(RepositoryFlowTest, AClusterRepositoryRunsInTheSystemNamespaceAndCountsItsNamespaces) {
  create_namespace("kopiur-system");
  create_namespace("team-b");
  start();
  create_password_secret("kopiur-system", "cluster-pass");
  json cluster = repository("", "shared", dir("shared"), true, "cluster-pass");
  cluster["kind"] = "ClusterRepository";
  cluster["metadata"].erase("namespace");
  cluster["spec"]["allowedNamespaces"] = {"team-a", "team-b"};
  create(cluster);
  auto seen = wait_for("ClusterRepository", "", "shared", scanned(0));
  ASSERT_FALSE(seen.is_null());
  EXPECT_EQ(at(seen, {"status", "allowedNamespaceCount"}), 2);
  EXPECT_FALSE(at(seen, {"status", "uniqueId"}).get<std::string>().empty());
  EXPECT_EQ(metric("kopiur_repo_snapshot_count", repo_labels("", "shared")), 0);
  EXPECT_EQ(metric("kopiur_repository_maintenance_configured",
                   maintenance_labels("ClusterRepository", "", "shared")),
            0);
  EXPECT_TRUE(test::wait_until(
      [&] { return has_event("default", "shared", "MaintenanceNotConfigured"); }, 30s));

  // A Maintenance in any namespace may name it (the reference's namespace is unused).
  create(
      maintenance("team-b", "shared-maint", {{"kind", "ClusterRepository"}, {"name", "shared"}}));
  ASSERT_FALSE(
      wait_for("ClusterRepository", "", "shared", condition_is("MaintenanceConfigured", "True"))
          .is_null());
  EXPECT_EQ(metric("kopiur_repository_maintenance_configured",
                   maintenance_labels("ClusterRepository", "", "shared")),
            1);

  // "*" admits every namespace of the cluster.
  patch("ClusterRepository", "", "shared", {{"spec", {{"allowedNamespaces", {"*"}}}}});
  const auto namespaces = static_cast<std::int64_t>(list("Namespace", "").size());
  seen = wait_for("ClusterRepository", "", "shared", [&](const json& o) {
    return at(o, {"status", "allowedNamespaceCount"}) == namespaces && scanned(0)(o);
  });
  ASSERT_FALSE(seen.is_null());
  EXPECT_EQ(at(seen, {"status", "observedGeneration"}), 2);

  // Its Discovered Backups live in the system namespace and name it without a namespace.
  const std::string source = dir("shared-source");
  write(source + "/a", 300);
  const auto snap =
      snapshot("shared-snap", at(cluster, {"spec", "backend", "filesystem", "path"}), source);
  wall_.advance(2h);
  clock_.advance(2h);
  seen = wait_for("ClusterRepository", "", "shared", scanned(1));
  ASSERT_FALSE(seen.is_null());
  EXPECT_EQ(at(seen, {"status", "catalog", "discoveredBackupCount"}), 1);
  EXPECT_EQ(metric("kopiur_repo_size_bytes", repo_labels("", "shared")), 300);
  const auto found = get("Backup", "kopiur-system", "shared-" + snap.value("id", "").substr(0, 12));
  ASSERT_FALSE(found.is_null());
  EXPECT_EQ(at(found, {"status", "resolved", "repository"}),
            json({{"kind", "ClusterRepository"}, {"name", "shared"}}));
}

// Jobs of this fixture's server see kopia fail to reach the storage in `command` (a retryable
// error class), or another action of the stand-in's failure injection.
class InjectedFailureTest : public RepositoryFlowTest {
 protected:
  void inject(const char* command, const char* action = "fail") {
    // The first SetUp of the process fixes the Jobs' environment; the server started next
    // captures the injection.
    FlowTest::SetUp();
    FlowTest::TearDown();
    setenv("KOPIA_STANDIN_INJECT", action, 1);
    setenv("KOPIA_STANDIN_INJECT_ON", command, 1);
    FlowTest::SetUp();
  }
  void TearDown() override {
    FlowTest::TearDown();
    setenv("KOPIA_STANDIN_INJECT", "", 1);
    unsetenv("KOPIA_STANDIN_INJECT_ON");
  }
  double transient_errors() {
    return metric("kopiur_controller_reconcile_errors_total",
                  {{"kind", "Repository"}, {"class", "transient"}})
        .value_or(0);
  }
  // Moves the requeue clock past each backoff until `times` transient errors were counted.
  bool retried_transiently(int times) {
    return test::wait_until(
        [&] {
          clock_.advance(10s);
          return transient_errors() >= times;
        },
        60s, 100ms);
  }
};

class UnreachableRepositoryTest : public InjectedFailureTest {
 protected:
  void SetUp() override { inject("repository connect filesystem"); }
};

class SlowConnectTest : public InjectedFailureTest {
 protected:
  void SetUp() override { inject("repository connect filesystem", "slow=3"); }
};

class UnlistableRepositoryTest : public InjectedFailureTest {
 protected:
  void SetUp() override { inject("snapshot list"); }
};

TEST_F(UnreachableRepositoryTest, ARetryableConnectFailureIsRetriedWithBackoff) {
  start();
  create_password_secret("team-a", "repo-pass");
  create(repository("team-a", "flaky", dir("flaky")));
  const auto failed = wait_for("Repository", "team-a", "flaky", phase_is("Failed"));
  ASSERT_FALSE(failed.is_null());
  const auto connected = condition(failed, "Connected");
  EXPECT_EQ(connected.value("reason", ""), "RepositoryUnavailable") << connected.dump();
  EXPECT_NE(connected.value("message", "").find("error connecting to storage"), std::string::npos);
  EXPECT_EQ(condition(failed, "Ready").value("reason", ""), "ConnectRetrying");
  EXPECT_TRUE(
      test::wait_until([&] { return has_event("team-a", "flaky", "RepositoryUnavailable"); }, 30s));
  // Each failed run is a transient error; the failed Job goes and, after the backoff, a new
  // connect Job runs (and fails again).
  ASSERT_TRUE(retried_transiently(3)) << "errors: " << transient_errors();
  EXPECT_LE(list("Job", "team-a", "kopiur.io/name=flaky,kopiur.io/operation=connect").size(), 1u);
}

TEST_F(UnlistableRepositoryTest, AFailedCatalogScanDegradesTheRepositoryAndRetries) {
  start();
  create_password_secret("team-a", "repo-pass");
  create(repository("team-a", "blind", dir("blind")));
  const auto degraded = wait_for("Repository", "team-a", "blind", phase_is("Degraded"));
  ASSERT_FALSE(degraded.is_null());
  EXPECT_EQ(condition(degraded, "Connected").value("status", ""), "True");
  const auto scanned_condition = condition(degraded, "CatalogScanned");
  EXPECT_EQ(scanned_condition.value("status", ""), "False");
  EXPECT_EQ(scanned_condition.value("reason", ""), "RepositoryUnavailable");
  EXPECT_EQ(condition(degraded, "Ready").value("reason", ""), "CatalogFailed");
  EXPECT_TRUE(at(degraded, {"status", "catalog"}).is_null());
  EXPECT_EQ(metric("kopiur_repo_snapshot_count", {{"namespace", "team-a"}, {"name", "blind"}}),
            std::nullopt);
  EXPECT_TRUE(
      test::wait_until([&] { return has_event("team-a", "blind", "RepositoryUnavailable"); }, 30s));
  // Retried with backoff: each failed scan is one more transient error.
  ASSERT_TRUE(retried_transiently(3)) << "errors: " << transient_errors();
  EXPECT_EQ(phase_of_status(get("Repository", "team-a", "blind")), "Degraded");
}

TEST_F(SlowConnectTest, ARestartDuringConnectKeepsTheRunningJobAndItsResult) {
  start();
  create_password_secret("team-a", "repo-pass");
  create(repository("team-a", "slow", dir("slow")));
  ASSERT_FALSE(wait_for("Repository", "team-a", "slow", phase_is("Initializing")).is_null());
  const std::string selector = "kopiur.io/name=slow,kopiur.io/operation=connect";
  const auto before = list("Job", "team-a", selector);
  ASSERT_EQ(before.size(), 1u);
  restart();
  // The new runtime reconciles the repository while the Job still runs: the same Job, no other.
  ASSERT_TRUE(test::wait_until([&] { return reconciles("Repository") >= 1; }, 30s));
  const auto after = list("Job", "team-a", selector);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0]["metadata"]["uid"], before[0]["metadata"]["uid"]);
  const auto ready = wait_for("Repository", "team-a", "slow", scanned(0));
  ASSERT_FALSE(ready.is_null());
  EXPECT_FALSE(at(ready, {"status", "uniqueId"}).get<std::string>().empty());
}
}  // namespace
}  // namespace kopiur::controller::testing
