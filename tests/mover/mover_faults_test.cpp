// Every mover operation against each injected kopia fault: failure (class, exit code, tail),
// garbage output (an error only where kopia's --json is read), a crash (Killed), and a slow kopia
// stopped by SIGTERM (cancelled, result still written).
#include <csignal>

#include "mover/mover_fixture.hpp"
#include "mover/tree_util.hpp"

namespace kopiur::test {
namespace {

using nlohmann::json;

struct Case {
  std::string operation;
  std::string kopia_command;  // the command the fault is injected into
  bool reads_json;            // whether that command's --json output is parsed
};

class MoverFaults : public MoverFixture, public ::testing::WithParamInterface<Case> {
 protected:
  void SetUp() override {
    create_repository();
    make_tree(dir_.path() / "data", {.files = 5, .per_dir = 5});
    const auto b = run("backup", backup_spec(dir_.file("data")));
    ASSERT_EQ(b.exit_code, 0) << b.out << b.err;
    snapshot_id_ = b.result["snapshot"]["id"];
  }

  json work() const {
    json s = spec();
    const std::string& op = GetParam().operation;
    if (op == "backup") s = backup_spec(dir_.file("data"));
    if (op == "restore")
      s["restore"] = {{"snapshotId", snapshot_id_}, {"targetPath", dir_.file("out")}};
    if (op == "snapshot-delete") s["snapshotDelete"] = {{"snapshotId", snapshot_id_}};
    if (op == "maintenance") s["maintenance"] = {{"mode", "full"}, {"safety", "none"}};
    return s;
  }

  MoverRun inject(const std::string& fault) {
    return run(
        GetParam().operation, work(),
        {{"KOPIA_STANDIN_INJECT", fault}, {"KOPIA_STANDIN_INJECT_ON", GetParam().kopia_command}});
  }

  std::string snapshot_id_;
};

TEST_P(MoverFaults, FailureCarriesClassExitCodeAndTail) {
  const auto r = inject("fail=4");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(r.result["operation"], GetParam().operation);
  EXPECT_EQ(r.result["result"], "failed");
  EXPECT_EQ(r.result["error"]["kopiaExitCode"], 4);
  EXPECT_EQ(r.result["error"]["class"], "RepositoryUnavailable");
  const std::string tail = r.result["error"]["tail"];
  EXPECT_NE(tail.find("Injected failure for \"" + GetParam().kopia_command + "\""),
            std::string::npos)
      << tail;
  EXPECT_NE(tail.find("line two of the error"), std::string::npos);
}

TEST_P(MoverFaults, GarbageIsAnErrorExactlyWhereJsonIsRead) {
  const auto r = inject("garbage");
  if (GetParam().reads_json) {
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.result["error"]["class"], "UnexpectedOutput");
    EXPECT_NE(r.result["error"]["message"].get<std::string>().find("this is not JSON"),
              std::string::npos);
  } else {
    EXPECT_EQ(r.exit_code, 0) << "kopia prints no JSON here, so there is nothing to misread";
  }
}

TEST_P(MoverFaults, CrashIsKilled) {
  const auto r = inject("crash");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.result["error"]["class"], "Killed");
  EXPECT_EQ(r.result["error"]["retryable"], true);
  EXPECT_EQ(r.result["error"]["kopiaExitCode"], 128 + SIGABRT);
}

TEST_P(MoverFaults, SigtermDuringSlowKopiaIsCancelled) {
  auto env = base_env();
  env["RUST_LOG"] = "info,kopia=debug";
  env["KOPIA_STANDIN_INJECT"] = "slow=120";
  env["KOPIA_STANDIN_INJECT_ON"] = GetParam().kopia_command;
  ChildProcess mover(program_path("kopiur-mover"), args(GetParam().operation, work()), env);
  ASSERT_TRUE(mover.wait_for_stdout(
      [](const std::string& s) { return s.find("injected delay") != std::string::npos; },
      std::chrono::seconds(60)))
      << mover.out() << mover.err();
  mover.signal(SIGTERM);
  const auto code = mover.wait(std::chrono::seconds(30));
  ASSERT_TRUE(code.has_value());
  const auto r = collect(*code, mover.out(), mover.err());
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.result["result"], "cancelled");
  EXPECT_EQ(r.result["error"]["kopiaExitCode"], 128 + SIGTERM);
}

INSTANTIATE_TEST_SUITE_P(EveryOperation, MoverFaults,
                         ::testing::Values(Case{"connect", "repository status", true},
                                           Case{"catalog", "snapshot list", true},
                                           Case{"backup", "snapshot create", true},
                                           Case{"snapshot-delete", "snapshot delete", false},
                                           Case{"restore", "snapshot restore", false},
                                           Case{"maintenance", "maintenance info", true}),
                         [](const ::testing::TestParamInfo<Case>& param_info) {
                           std::string name = param_info.param.operation;
                           for (auto& c : name) c = c == '-' ? '_' : c;
                           return name;
                         });

}  // namespace
}  // namespace kopiur::test
