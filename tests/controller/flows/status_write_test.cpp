// write_status() with a cache that is behind the server: the server's status is the one written,
// whole, whatever the cache showed. No runtime runs here (no start()), so nothing else writes.
#include <memory>

#include <gtest/gtest.h>

#include "kopiur/controller/flow_support.hpp"

#include "backup_fixture.hpp"

namespace kopiur::controller::testing {
namespace {

using nlohmann::json;

class StatusWriteTest : public BackupFlowTest {
 protected:
  // Sets the server's status of "cfg" behind the cache's back (a status PATCH).
  void server_status(const json& status) {
    auto done = client_->patch_status(kube::resource_for("BackupConfig"), kNs, "cfg",
                                      {{"status", status}}, kube::PatchType::kMerge);
    ASSERT_TRUE(done.ok()) << done.error().to_string();
  }

  // Writes `status` the way a reconcile of `cached` would.
  void write(const json& cached, const json& status) {
    FlowEnv env{
        .client = *client_, .runtime = nullptr, .events = nullptr, .mover = MoverJobConfig{}};
    ReconcileContext context("BackupConfig", std::make_shared<const json>(cached), {});
    const auto error = write_status(env, context, kube::resource_for("BackupConfig"), status);
    ASSERT_FALSE(error.has_value()) << error->reason << ": " << error->note;
    ASSERT_TRUE(context.reported_status().has_value());
    EXPECT_EQ(*context.reported_status(), status);
  }
};

// The cache still shows consecutiveFailures 0 while the server already has 1 (a failure's write
// whose watch event has not arrived). The new status has 0 and a new lastSuccessfulBackup: both
// must be on the server, not the new lastSuccessfulBackup beside the server's stale 1.
TEST_F(StatusWriteTest, FieldsTheStaleCacheShowsUnchangedAreWrittenToo) {
  json cached = create(config("cfg"));
  ASSERT_FALSE(cached.is_null());
  cached["status"] = {{"consecutiveFailures", 0}, {"lastSuccessfulBackup", "w1"}};
  server_status({{"consecutiveFailures", 1}, {"lastSuccessfulBackup", "w1"}});
  const json next = {{"consecutiveFailures", 0}, {"lastSuccessfulBackup", "w3"}};
  write(cached, next);
  EXPECT_EQ(get("BackupConfig", kNs, "cfg")["status"], next);
}

// A field the new status drops is removed even when only the cache had it; nested objects are
// written whole too (a nested member the cache shows unchanged is sent).
TEST_F(StatusWriteTest, DroppedFieldsAreRemovedAndNestedOnesWrittenWhole) {
  json cached = create(config("cfg"));
  ASSERT_FALSE(cached.is_null());
  cached["status"] = {{"lastSuccessTime", "2026-12-01T10:00:00Z"},
                      {"resolved", {{"identity", {{"hostname", "a"}, {"username", "u"}}}}}};
  server_status({{"lastSuccessTime", "2026-12-01T10:00:00Z"},
                 {"resolved", {{"identity", {{"hostname", "b"}, {"username", "u"}}}}}});
  const json next = {{"resolved", {{"identity", {{"hostname", "a"}, {"username", "u"}}}}}};
  write(cached, next);
  EXPECT_EQ(get("BackupConfig", kNs, "cfg")["status"], next);
}

}  // namespace
}  // namespace kopiur::controller::testing
