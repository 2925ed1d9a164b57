// A repository's own spec.maintenance against the local API server: the Repository flow creates
// its Maintenance (annotated, owned by the repository) from it, which then counts for
// MaintenanceConfigured and kopiur_repository_maintenance_configured; a changed spec.maintenance
// updates it, `enabled: false` deletes it; a Maintenance of that name the repository did not
// make is left alone with a Warning Event.
#include "kopiur/controller/flow_support.hpp"

#include "flow_fixture.hpp"
#include "support/wait.hpp"

namespace kopiur::controller::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class ManagedMaintenanceTest : public FlowTest {
 protected:
  std::optional<double> configured(const std::string& name) {
    return metric("kopiur_repository_maintenance_configured",
                  {{"kind", "Repository"}, {"namespace", kNs}, {"name", name}});
  }
  bool configured_is(const std::string& name, double value) {
    return test::wait_until([&] { return configured(name) == value; }, 30s);
  }
};

TEST_F(ManagedMaintenanceTest, SpecMaintenanceCreatesUpdatesAndDeletesItsMaintenance) {
  start();
  create_password_secret(kNs, "repo-pass");
  json repo = repository(kNs, "repo", dir("repo"));
  const json schedule = {{"quick", {{"cron", "0 * * * *"}}},
                         {"full", {{"cron", "30 2 * * *"}}},
                         {"timezone", "Europe/Berlin"}};
  repo["spec"]["maintenance"] = {{"schedule", schedule}, {"failurePolicy", {{"backoffLimit", 1}}}};
  create(repo);

  const auto made =
      wait_for("Maintenance", kNs, "repo-maintenance", [](const json& o) { return o.is_object(); });
  ASSERT_FALSE(made.is_null());
  EXPECT_EQ(made["metadata"]["annotations"].value("kopiur.io/managed-by", ""),
            "Repository/team-a/repo");
  EXPECT_EQ(made["metadata"]["ownerReferences"][0].value("kind", ""), "Repository");
  EXPECT_EQ(made["metadata"]["ownerReferences"][0].value("name", ""), "repo");
  EXPECT_EQ(made["spec"]["repository"],
            (json{{"kind", "Repository"}, {"name", "repo"}, {"namespace", kNs}}));
  EXPECT_EQ(made["spec"]["schedule"], schedule);
  EXPECT_EQ(made["spec"]["ownership"],
            (json{{"owner", "kopiur@team-a"}, {"takeoverPolicy", "Never"}}));
  EXPECT_EQ(made["spec"]["failurePolicy"], (json{{"backoffLimit", 1}}));
  EXPECT_TRUE(
      test::wait_until([&] { return has_event(kNs, "repo", "ManagedMaintenanceCreated"); }, 10s));

  // It counts as the repository's Maintenance, and the Maintenance flow takes it up.
  const auto covered = wait_for("Repository", kNs, "repo", [](const json& o) {
    return condition(o, "MaintenanceConfigured", "reason") == "MaintenanceFound";
  });
  ASSERT_FALSE(covered.is_null());
  EXPECT_NE(condition(covered, "MaintenanceConfigured", "message").find("team-a/repo-maintenance"),
            std::string::npos);
  EXPECT_TRUE(configured_is("repo", 1));
  ASSERT_FALSE(
      wait_for("Maintenance", kNs, "repo-maintenance", condition_is("Ready", "True")).is_null());

  // A changed schedule reaches the Maintenance.
  patch("Repository", kNs, "repo",
        {{"spec", {{"maintenance", {{"schedule", {{"quick", {{"cron", "15 * * * *"}}}}}}}}}});
  const auto updated = wait_for("Maintenance", kNs, "repo-maintenance", [](const json& o) {
    return o.is_object() && o["spec"]["schedule"]["quick"].value("cron", "") == "15 * * * *";
  });
  ASSERT_FALSE(updated.is_null());
  EXPECT_EQ(updated["spec"]["schedule"]["full"].value("cron", ""), "30 2 * * *");

  // enabled: false deletes it; the repository is then not covered.
  patch("Repository", kNs, "repo", {{"spec", {{"maintenance", {{"enabled", false}}}}}});
  EXPECT_TRUE(wait_gone("Maintenance", kNs, "repo-maintenance"));
  EXPECT_TRUE(configured_is("repo", 0));
  EXPECT_TRUE(
      test::wait_until([&] { return has_event(kNs, "repo", "ManagedMaintenanceDeleted"); }, 10s));
}

TEST_F(ManagedMaintenanceTest, AMaintenanceOfThatNameItDidNotMakeIsLeftAlone) {
  start();
  create_password_secret(kNs, "repo-pass");
  create(repository(kNs, "mine", dir("mine")));
  // Hand-written, for another repository, but with the name "other" would use.
  create({{"apiVersion", "kopiur.home-operations.com/v1alpha1"},
          {"kind", "Maintenance"},
          {"metadata", {{"name", "other-maintenance"}, {"namespace", kNs}}},
          {"spec",
           {{"repository", {{"kind", "Repository"}, {"name", "mine"}}},
            {"ownership", {{"owner", "me@team-a"}}},
            {"schedule", {{"quick", {{"cron", "@hourly"}}}, {"full", {{"cron", "@daily"}}}}}}}});
  json other = repository(kNs, "other", dir("other"));
  other["spec"]["maintenance"] = json::object();  // managed, default schedule
  create(other);
  EXPECT_TRUE(test::wait_until(
      [&] { return has_event(kNs, "other", "ManagedMaintenanceNameTaken"); }, 30s));
  const auto kept = get("Maintenance", kNs, "other-maintenance");
  EXPECT_EQ(kept["spec"]["repository"].value("name", ""), "mine");
  EXPECT_FALSE(kept["metadata"].contains("annotations") &&
               kept["metadata"]["annotations"].contains("kopiur.io/managed-by"));
  EXPECT_TRUE(configured_is("other", 0));
  EXPECT_TRUE(configured_is("mine", 1));
}

}  // namespace
}  // namespace kopiur::controller::testing
