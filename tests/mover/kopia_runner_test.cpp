// mover::Kopia with stand-in programs (/bin/sh scripts): the clean environment, stdout kept for
// JSON, the stderr tail and ERROR line, a program that cannot start, and cancellation: SIGTERM,
// then SIGKILL after the grace for a program that ignores SIGTERM.
#include <atomic>
#include <csignal>

#include <gtest/gtest.h>

#include "kopiur/mover/kopia.hpp"

namespace kopiur::mover {
namespace {

// Runs `script` as kopia: the command words become sh's $0.., the script is -c's argument.
KopiaRun run_script(const std::string& script, KopiaOptions options = {}) {
  options.binary = "/bin/sh";
  options.config_file = "/nonexistent/repository.config";
  if (options.env.empty()) options.env = {"PATH=/usr/bin:/bin", "ONLY=this"};
  return Kopia(options).run({"-c", script}, {});
}

TEST(KopiaRunner, ChildSeesOnlyTheGivenEnvironmentAndTheConfigFlag) {
  const auto run = run_script("env | sort; echo \"args: $0\"");
  ASSERT_TRUE(run.ok()) << run.describe();
  EXPECT_NE(run.out.find("ONLY=this\n"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("HOME="), std::string::npos) << "nothing of the test's environment";
  EXPECT_NE(run.out.find("args: --config-file=/nonexistent/repository.config"), std::string::npos);
}

TEST(KopiaRunner, TailAndErrorLineComeFromStderr) {
  const auto run = run_script(
      "echo '{\"ok\":true}'; i=0; while [ $i -lt 200 ]; do echo \"progress $i\" >&2; "
      "i=$((i+1)); done; echo 'ERROR invalid repository password' >&2; exit 1");
  EXPECT_FALSE(run.ok());
  EXPECT_EQ(run.status.code, 1);
  EXPECT_EQ(run.out, "{\"ok\":true}\n");
  EXPECT_EQ(run.error_line, "invalid repository password");
  EXPECT_LE(run.tail.size(), 2048u);
  EXPECT_EQ(run.tail.substr(run.tail.size() - 33), "ERROR invalid repository password");
  EXPECT_EQ(run.tail.find("progress 0\n"), std::string::npos) << "old lines dropped";
  EXPECT_NE(run.describe().find("exit code 1: invalid repository password"), std::string::npos);
}

TEST(KopiaRunner, StdoutIsBounded) {
  KopiaOptions o;
  o.max_stdout_bytes = 1000;
  const auto run = run_script("head -c 100000 /dev/zero | tr '\\0' 'x'", o);
  EXPECT_TRUE(run.ok());
  EXPECT_EQ(run.out.size(), 1000u);
  EXPECT_TRUE(run.out_truncated);
}

TEST(KopiaRunner, MissingProgramIsASpawnError) {
  KopiaOptions o;
  o.binary = "/nonexistent/kopia";
  o.env = {"PATH=/usr/bin"};
  const auto run = Kopia(o).run({"repository", "status"}, {"--json"});
  EXPECT_FALSE(run.ok());
  EXPECT_FALSE(run.spawn_error.empty());
  EXPECT_EQ(run.command, "repository status");
}

TEST(KopiaRunner, CancelSendsSigterm) {
  std::atomic<int> polls{0};
  KopiaOptions o;
  // The first call is the check before spawning; later ones come while the program runs.
  o.cancelled = [&] { return ++polls > 3; };
  const auto run = run_script("echo started >&2; exec sleep 60", o);
  EXPECT_TRUE(run.cancelled);
  EXPECT_EQ(run.status.signal, SIGTERM);
  EXPECT_NE(run.describe().find("stopped on shutdown"), std::string::npos);
}

TEST(KopiaRunner, SigkillFollowsWhenSigtermIsIgnored) {
  std::atomic<int> polls{0};
  KopiaOptions o;
  o.kill_grace = std::chrono::milliseconds(300);
  // Cancel once the runner has polled a few times, i.e. while the script is running.
  o.cancelled = [&] { return ++polls > 3; };
  const auto run = run_script("trap '' TERM; echo ignoring >&2; while :; do sleep 1; done", o);
  EXPECT_TRUE(run.cancelled);
  EXPECT_EQ(run.status.signal, SIGKILL);
  EXPECT_NE(run.tail.find("ignoring"), std::string::npos);
}

TEST(KopiaRunner, NothingStartsOnceCancelled) {
  KopiaOptions o;
  o.cancelled = [] { return true; };
  const auto run = run_script("echo should-not-run", o);
  EXPECT_TRUE(run.cancelled);
  EXPECT_EQ(run.out, "");
}

TEST(KopiaEnvironment, CleanWithKopiaPassthrough) {
  const auto env = kopia_environment(
      {"PATH=/opt/bin", "SECRET_TOKEN=x", "KOPIA_PASSWORD=old", "KOPIA_CONFIG_PATH=/elsewhere",
       "KOPIA_STANDIN_INJECT=fail", "OTEL_EXPORTER_OTLP_ENDPOINT=http://c:4317"},
      "/work", "pw");
  const std::vector<std::string> expected = {"KOPIA_STANDIN_INJECT=fail",
                                             "PATH=/opt/bin",
                                             "HOME=/work",
                                             "KOPIA_PASSWORD=pw",
                                             "KOPIA_CHECK_FOR_UPDATES=false",
                                             "KOPIA_LOG_DIR=/work/logs",
                                             "KOPIA_CACHE_DIRECTORY=/work/cache"};
  EXPECT_EQ(env, expected);
}

}  // namespace
}  // namespace kopiur::mover
