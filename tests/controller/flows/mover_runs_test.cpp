// start_mover/observe_mover against real mover Jobs: the result a succeeded run leaves, the
// failure a bad password leaves, and that starting twice makes one Job.
#include "kopiur/controller/mover_runs.hpp"

#include "kopiur/controller/repository_access.hpp"

#include "flow_fixture.hpp"
#include "support/wait.hpp"

namespace kopiur::controller::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class MoverRunsTest : public FlowTest {
 protected:
  MoverJobRequest connect_request(const std::string& job, const std::string& password) {
    MoverJobRequest r;
    r.operation = "connect";
    r.job_name = job;
    r.owner = {{"apiVersion", "v1"},
               {"kind", "ConfigMap"},
               {"metadata", {{"name", "owner"}, {"namespace", "team-a"}, {"uid", "u-1"}}}};
    r.work_spec = {
        {"operation", "connect"},
        {"repository",
         {{"filesystem", {{"path", repo_}}}, {"create", true}, {"passwordKey", kPasswordFile}}}};
    r.secret_files = {{kPasswordFile, password}};
    return r;
  }
  MoverObservation wait_done(const std::string& job) {
    MoverObservation seen;
    EXPECT_TRUE(test::wait_until(
        [&] {
          auto got = observe_mover(*env_, "team-a", job);
          if (!got.ok()) return false;
          seen = *got;
          return seen.state == MoverState::kSucceeded || seen.state == MoverState::kFailed;
        },
        60s, 50ms))
        << "the Job " << job << " did not finish";
    return seen;
  }
  std::string repo_;
};

TEST_F(MoverRunsTest, ASucceededRunLeavesItsResultAndAFailedOneItsReason) {
  start();
  repo_ = dir("repo");
  EXPECT_EQ(observe_mover(*env_, "team-a", "owner-connect")->state, MoverState::kNotFound);
  ASSERT_TRUE(start_mover(*env_, connect_request("owner-connect", "right")).ok());
  // Starting again (a controller restart mid-run) is a no-op, not a second Job.
  ASSERT_TRUE(start_mover(*env_, connect_request("owner-connect", "right")).ok());
  const auto ok = wait_done("owner-connect");
  ASSERT_EQ(ok.state, MoverState::kSucceeded) << ok.failure;
  EXPECT_EQ(ok.result.value("operation", ""), "connect");
  EXPECT_FALSE(ok.result["repository"].value("uniqueId", "").empty()) << ok.result.dump();
  EXPECT_EQ(ok.attempts, 1);
  EXPECT_EQ(list("Job", "team-a", "kopiur.io/job=owner-connect").size(), 1u);

  ASSERT_TRUE(start_mover(*env_, connect_request("owner-wrong", "wrong")).ok());
  const auto bad = wait_done("owner-wrong");
  ASSERT_EQ(bad.state, MoverState::kFailed);
  EXPECT_NE(bad.failure.find("AuthFailure"), std::string::npos) << bad.failure;
  EXPECT_FALSE(bad.retryable);

  ASSERT_TRUE(delete_mover(*env_, "team-a", "owner-wrong").ok());
  EXPECT_TRUE(wait_gone("Job", "team-a", "owner-wrong"));
  EXPECT_TRUE(get("Secret", "team-a", "owner-wrong").is_null());
}

TEST(MoverJobName, LongOwnersAreShortenedStablyToADnsLabel) {
  EXPECT_EQ(mover_job_name("nightly", "backup"), "nightly-backup");
  const std::string long_owner(80, 'a');
  const auto name = mover_job_name(long_owner, "snapshot-delete");
  EXPECT_LE(name.size(), 63u);
  EXPECT_EQ(name, mover_job_name(long_owner, "snapshot-delete"));
  EXPECT_NE(name, mover_job_name(long_owner + "b", "snapshot-delete"));
  EXPECT_EQ(name.substr(name.size() - 16), "-snapshot-delete");
}

TEST(InterpretResult, MalformedMessagesAreFailuresQuotingTheirHead) {
  const auto r = interpret_result("panic: out of memory");
  EXPECT_EQ(r.state, MoverState::kFailed);
  EXPECT_NE(r.failure.find("panic: out of memory"), std::string::npos);
  const auto ok = interpret_result(R"({"operation":"backup","result":"succeeded"})");
  EXPECT_EQ(ok.state, MoverState::kSucceeded);
}

}  // namespace
}  // namespace kopiur::controller::testing
