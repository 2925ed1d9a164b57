// kopiur-mover end to end against the kopia stand-in: every operation, failures with their tail
// and class, garbage output, a killed kopia, SIGTERM during a slow kopia, spec validation, the
// `kopia` log target at info and debug, and the result file.
#include <csignal>
#include <fstream>
#include <sstream>

#include "mover/mover_fixture.hpp"
#include "mover/tree_util.hpp"

namespace kopiur::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

bool has(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

using MoverTest = MoverFixture;

TEST_F(MoverTest, ConnectCreatesTheRepositoryAndReportsItsStatus) {
  const auto r = run("connect", spec(true));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.result["operation"], "connect");
  EXPECT_EQ(r.result["result"], "succeeded");
  EXPECT_EQ(r.result["repository"]["uniqueId"].get<std::string>().size(), 64u);
  EXPECT_EQ(r.result["repository"]["hostname"], "ns1");
  EXPECT_EQ(r.result["repository"]["storageType"], "filesystem");
  EXPECT_TRUE(r.result["timing"]["durationSeconds"].is_number());
  // Without create, an uninitialised repository is a structural failure.
  auto other = spec(false);
  other["repository"]["filesystem"]["path"] = dir_.file("nothing-here");
  const auto missing = run("connect", other);
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.result["error"]["class"], "RepositoryNotInitialized");
  EXPECT_EQ(missing.result["error"]["retryable"], false);
}

TEST_F(MoverTest, BackupThenRestoreIsByteIdentical) {
  create_repository();
  make_tree(dir_.path() / "data", {.files = 1000, .per_dir = 200, .big_file_bytes = 5000000});
  const auto b = run("backup", backup_spec(dir_.file("data")));
  ASSERT_EQ(b.exit_code, 0) << b.out << b.err;
  const json& snap = b.result["snapshot"];
  EXPECT_EQ(snap["id"].get<std::string>().size(), 32u);
  EXPECT_EQ(snap["source"]["path"], dir_.file("data"));
  EXPECT_EQ(snap["source"]["userName"], "pvc-data");
  EXPECT_EQ(snap["files"], 1002);
  EXPECT_EQ(snap["nonCachedFiles"], 1002);  // the stand-in keeps no hash cache
  EXPECT_EQ(snap["cachedFiles"], 0);
  EXPECT_GT(snap["sizeBytes"].get<std::int64_t>(), 5000000);

  auto r = spec();
  r["restore"] = {{"snapshotId", snap["id"]}, {"targetPath", dir_.file("restored")}};
  const auto restored = run("restore", r);
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  EXPECT_TRUE(has(restored.result["restore"]["summary"], "Restored 1002 files"));
  EXPECT_EQ(compare_trees(dir_.path() / "data", dir_.path() / "restored"), "");
}

TEST_F(MoverTest, CatalogListsEverySource) {
  create_repository();
  make_tree(dir_.path() / "a", {.files = 10, .per_dir = 10});
  make_tree(dir_.path() / "b", {.files = 20, .per_dir = 10});
  ASSERT_EQ(run("backup", backup_spec(dir_.file("a"))).exit_code, 0);
  ASSERT_EQ(run("backup", backup_spec(dir_.file("a"))).exit_code, 0);
  auto other = backup_spec(dir_.file("b"));
  other["identity"]["username"] = "pvc-other";
  ASSERT_EQ(run("backup", other).exit_code, 0);
  const auto c = run("catalog", spec());
  ASSERT_EQ(c.exit_code, 0) << c.out << c.err;
  EXPECT_EQ(c.result["catalog"]["snapshotCount"], 3);
  EXPECT_EQ(c.result["catalog"]["sourceCount"], 2);
  EXPECT_EQ(c.result["catalog"]["snapshots"].size(), 3u);
  EXPECT_GT(c.result["catalog"]["logicalSizeBytes"].get<std::int64_t>(), 0);
}

// repository.readOnly: the mover connects with kopia's --readonly; reads (catalog, restore) work,
// kopia refuses every write ("storage is read-only"), and create is refused before kopia runs.
TEST_F(MoverTest, ReadOnlyConnectionReadsAndKopiaRefusesWrites) {
  create_repository();
  make_tree(dir_.path() / "a", {.files = 3, .per_dir = 3});
  const auto b = run("backup", backup_spec(dir_.file("a")));
  ASSERT_EQ(b.exit_code, 0) << b.out << b.err;
  const std::string id = b.result["snapshot"]["id"];

  auto read_only = [&](json s) {
    s["repository"]["readOnly"] = true;
    return s;
  };
  const auto c = run("catalog", read_only(spec()));
  ASSERT_EQ(c.exit_code, 0) << c.out << c.err;
  EXPECT_EQ(c.result["catalog"]["snapshotCount"], 1);
  auto r = read_only(spec());
  r["restore"] = {{"snapshotId", id}, {"targetPath", dir_.file("restored")}};
  const auto restored = run("restore", r);
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  EXPECT_EQ(compare_trees(dir_.path() / "a", dir_.path() / "restored"), "");

  const auto write = run("backup", read_only(backup_spec(dir_.file("a"))));
  EXPECT_EQ(write.exit_code, 1) << write.out << write.err;
  EXPECT_TRUE(has(write.result["error"]["message"], "storage is read-only")) << write.result_text;
  auto del = read_only(spec());
  del["snapshotDelete"] = {{"snapshotId", id}};
  const auto deleted = run("snapshot-delete", del);
  EXPECT_EQ(deleted.exit_code, 1);
  EXPECT_TRUE(has(deleted.result["error"]["message"], "storage is read-only"))
      << deleted.result_text;
  EXPECT_TRUE(fs::exists(fs::path(repo()) / "manifests" / id));

  const auto create = run("connect", read_only(spec(true)));
  EXPECT_EQ(create.exit_code, 2) << create.out << create.err;
  EXPECT_TRUE(has(create.out + create.err + create.result_text,
                  "repository.readOnly: a read-only connection cannot create the repository"))
      << create.out << create.err << create.result_text;
}

TEST_F(MoverTest, SnapshotDeleteThenFullMaintenanceReclaims) {
  create_repository();
  make_tree(dir_.path() / "data", {.files = 10, .per_dir = 10});
  ASSERT_EQ(run("backup", backup_spec(dir_.file("data"))).exit_code, 0);
  fs::create_directories(dir_.file("other"));
  std::ofstream(dir_.file("other/unique.bin"), std::ios::binary) << std::string(200000, 'q');
  const auto doomed = run("backup", backup_spec(dir_.file("other")));
  ASSERT_EQ(doomed.exit_code, 0);

  auto del = spec();
  del["snapshotDelete"] = {{"snapshotId", doomed.result["snapshot"]["id"]}};
  const auto d = run("snapshot-delete", del);
  ASSERT_EQ(d.exit_code, 0) << d.out << d.err;
  const auto again = run("snapshot-delete", del);
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_EQ(again.result["error"]["class"], "NotFound");

  auto quick = spec();
  quick["maintenance"] = {{"mode", "quick"}};
  const auto q = run("maintenance", quick);
  ASSERT_EQ(q.exit_code, 0) << q.out << q.err;
  EXPECT_EQ(q.result["maintenance"]["mode"], "quick");
  EXPECT_FALSE(q.result["maintenance"].contains("reclaimedBytes"));

  auto full = spec();
  full["maintenance"] = {{"mode", "full"}, {"safety", "none"}};
  const auto f = run("maintenance", full);
  ASSERT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_GT(f.result["maintenance"]["reclaimedBytes"].get<std::int64_t>(), 200000);
}

TEST_F(MoverTest, KopiaFailureCarriesItsTailAndClass) {
  create_repository();
  make_tree(dir_.path() / "data", {.files = 3, .per_dir = 3});
  const auto r =
      run("backup", backup_spec(dir_.file("data")),
          {{"KOPIA_STANDIN_INJECT", "fail"}, {"KOPIA_STANDIN_INJECT_ON", "snapshot create"}});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.result["result"], "failed");
  EXPECT_EQ(r.result["error"]["class"], "RepositoryUnavailable");
  EXPECT_EQ(r.result["error"]["retryable"], true);
  EXPECT_EQ(r.result["error"]["kopiaExitCode"], 1);
  EXPECT_TRUE(has(r.result["error"]["tail"], "line two of the error"));
  EXPECT_TRUE(has(r.result["error"]["message"], "kopia snapshot create: exit code 1"));
  // At info, kopia's lines are not printed as kopia events.
  EXPECT_FALSE(has(r.out, " kopia: Injected failure")) << r.out;
}

TEST_F(MoverTest, GarbageJsonIsAnUnexpectedOutputErrorWithTheHead) {
  create_repository();
  make_tree(dir_.path() / "data", {.files = 3, .per_dir = 3});
  const auto r =
      run("backup", backup_spec(dir_.file("data")),
          {{"KOPIA_STANDIN_INJECT", "garbage"}, {"KOPIA_STANDIN_INJECT_ON", "snapshot create"}});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.result["error"]["class"], "UnexpectedOutput");
  EXPECT_TRUE(has(r.result["error"]["message"], "output begins: \"this is not JSON"))
      << r.result_text;
  EXPECT_FALSE(r.result.contains("snapshot"));
}

TEST_F(MoverTest, KilledKopiaIsReportedAsKilled) {
  create_repository();
  const auto r =
      run("catalog", spec(),
          {{"KOPIA_STANDIN_INJECT", "crash"}, {"KOPIA_STANDIN_INJECT_ON", "snapshot list"}});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.result["error"]["class"], "Killed");
  EXPECT_EQ(r.result["error"]["kopiaExitCode"], 128 + SIGABRT);
  EXPECT_TRUE(has(r.result["error"]["tail"], "panic: injected crash"));
}

TEST_F(MoverTest, SigtermStopsASlowKopiaAndStillWritesTheResult) {
  create_repository();
  make_tree(dir_.path() / "data", {.files = 3, .per_dir = 3});
  auto env = base_env();
  env["RUST_LOG"] = "info,kopia=debug";
  env["KOPIA_STANDIN_INJECT"] = "slow=120";
  env["KOPIA_STANDIN_INJECT_ON"] = "snapshot create";
  ChildProcess mover(program_path("kopiur-mover"), args("backup", backup_spec(dir_.file("data"))),
                     env);
  ASSERT_TRUE(mover.wait_for_stdout([](const std::string& s) { return has(s, "injected delay"); },
                                    std::chrono::seconds(60)))
      << mover.out() << mover.err();
  mover.signal(SIGTERM);
  const auto code = mover.wait(std::chrono::seconds(30));
  ASSERT_TRUE(code.has_value()) << "the mover did not stop";
  const auto r = collect(*code, mover.out(), mover.err());
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.result["result"], "cancelled");
  EXPECT_EQ(r.result["error"]["class"], "Cancelled");
  EXPECT_EQ(r.result["error"]["kopiaExitCode"], 128 + SIGTERM);
}

TEST_F(MoverTest, InvalidSpecNamesEveryBadFieldBeforeKopiaStarts) {
  fs::remove(dir_.file("secret/KOPIA_PASSWORD"));
  auto s = spec();
  s["backup"] = {{"sourcePath", "relative/path"}, {"tags", {{"k", 3}}}};
  s["repository"]["s3"] = {{"bucket", "b"}};
  const auto r = run("backup", s, {{"KOPIA_BIN", "/nonexistent/kopia"}});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.result["error"]["class"], "InvalidSpec");
  const std::string msg = r.result["error"]["message"];
  EXPECT_TRUE(has(msg, "backup.sourcePath: must be an absolute path")) << msg;
  EXPECT_TRUE(has(msg, "backup.tags.k:")) << msg;
  EXPECT_TRUE(has(msg, "repository: 2 backends given; set exactly one")) << msg;
  EXPECT_TRUE(has(msg, "repository.passwordKey: the Secret has no key \"KOPIA_PASSWORD\"")) << msg;
  EXPECT_FALSE(has(msg, "executable file not found")) << "kopia must not have been started";
  const auto missing = run("restore", spec());
  EXPECT_TRUE(has(missing.result["error"]["message"], "restore: required field is missing"));
  const auto bad_op = run("explode", spec());
  EXPECT_EQ(bad_op.exit_code, 2);
  EXPECT_TRUE(has(bad_op.result["error"]["message"], "OPERATION: unsupported value \"explode\""));
}

TEST_F(MoverTest, MissingKopiaAndWrongPasswordAreClassified) {
  const auto none = run("connect", spec(true), {{"KOPIA_BIN", "/nonexistent/kopia"}});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_EQ(none.result["error"]["class"], "KopiaNotFound");
  create_repository();
  write_file_atomically(dir_.file("secret/KOPIA_PASSWORD"), "not the password");
  const auto wrong = run("catalog", spec());
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_EQ(wrong.result["error"]["class"], "AuthFailure");
  EXPECT_TRUE(has(wrong.result["error"]["tail"], "invalid repository password"));
}

TEST_F(MoverTest, KopiaTargetPrintsOnlyAtDebug) {
  create_repository();
  const auto info = run("catalog", spec(), {{"RUST_LOG", "info"}});
  ASSERT_EQ(info.exit_code, 0);
  EXPECT_FALSE(has(info.out, "kopia: Connected to repository.")) << info.out;
  const auto debug = run("catalog", spec(), {{"RUST_LOG", "info,kopia=debug"}});
  ASSERT_EQ(debug.exit_code, 0);
  // One kopia line, one event, inside the kopia invocation's span.
  EXPECT_TRUE(has(debug.out,
                  "kopia{command=\"repository connect filesystem\"}: kopia: Connected "
                  "to repository."))
      << debug.out;
}

TEST_F(MoverTest, KopiaLinesAreJsonEventsInTheInvocationsSpan) {
  create_repository();
  const auto r =
      run("catalog", spec(), {{"RUST_LOG", "info,kopia=debug"}, {"KOPIUR_LOG_FORMAT", "json"}});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  bool found = false;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    const json event = json::parse(line, nullptr, false);
    ASSERT_FALSE(event.is_discarded()) << "every stdout line is one JSON event: " << line;
    if (event.value("target", "") != "kopia") continue;
    EXPECT_EQ(event["level"], "DEBUG");
    EXPECT_EQ(event["span"]["name"], "kopia");
    if (event["fields"]["message"] == "Connected to repository.") {
      found = true;
      EXPECT_EQ(event["span"]["command"], "repository connect filesystem");
    }
  }
  EXPECT_TRUE(found) << r.out;
}

TEST_F(MoverTest, ResultGoesToTheKubeletsPathWhenNoFlagIsGiven) {
  const std::string spec_file = dir_.file("work.json");
  write_file_atomically(spec_file, spec(true).dump());
  auto env = base_env();
  env["KOPIUR_TERMINATION_MESSAGE_PATH"] = dir_.file("kubelet-message");
  const auto r =
      run_program(program_path("kopiur-mover"),
                  {"connect", "--work-spec", spec_file, "--secret-dir", dir_.file("secret")}, env,
                  std::chrono::seconds(60));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string text = read_file(dir_.file("kubelet-message"));
  EXPECT_LT(text.size(), 4096u);
  EXPECT_EQ(json::parse(text)["result"], "succeeded");
}

// Under kopiur-localkube the Job's mounts are host directories named in KOPIUR_LOCAL_MOUNTS:
// the container paths of the flags and of the work spec are translated through it, and a path
// outside every mount stays as it is.
TEST_F(MoverTest, ContainerPathsAreTranslatedThroughTheLocalMountTable) {
  make_tree(dir_.path() / "pvc", {.files = 20, .per_dir = 10, .big_file_bytes = 0});
  const json mounts = {{"/data", dir_.file("pvc")},
                       {"/repository", dir_.file("repo-volume")},
                       {"/etc/kopiur/secret", dir_.file("secret")},
                       {"/restore", dir_.file("restore-volume")}};
  auto env = base_env();
  env["KOPIUR_LOCAL_MOUNTS"] = mounts.dump();
  // Every path the mover is given is a container path; the work spec file itself is not under a
  // mount, so it is read where it is.
  const auto run_with_mounts = [&](const std::string& op, json work) {
    work["repository"]["filesystem"]["path"] = "/repository/kopia";
    write_file_atomically(dir_.file("work-" + op + ".json"), work.dump());
    return run_program(
        program_path("kopiur-mover"),
        {op, "--work-spec", dir_.file("work-" + op + ".json"), "--secret-dir", "/etc/kopiur/secret",
         "--termination-message-path", dir_.file(op + ".json")},
        env, std::chrono::seconds(60));
  };
  const auto c = run_with_mounts("connect", spec(true));
  ASSERT_EQ(c.exit_code, 0) << c.out << c.err;
  EXPECT_TRUE(fs::is_directory(dir_.path() / "repo-volume/kopia"));

  const auto b = run_with_mounts("backup", backup_spec("/data"));
  ASSERT_EQ(b.exit_code, 0) << b.out << b.err;
  const auto result = json::parse(read_file(dir_.file("backup.json")));
  EXPECT_EQ(result["snapshot"]["source"]["path"], dir_.file("pvc"));

  auto restore = spec();
  restore["restore"] = {{"snapshotId", result["snapshot"]["id"]}, {"targetPath", "/restore/app"}};
  const auto r = run_with_mounts("restore", restore);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(compare_trees(dir_.path() / "pvc", dir_.path() / "restore-volume/app"), "");
}

TEST_F(MoverTest, AMalformedMountTableIsAnInvalidSpecNamingTheVariable) {
  const auto r = run("connect", spec(true), {{"KOPIUR_LOCAL_MOUNTS", "{not json"}});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.result_text.find("KOPIUR_LOCAL_MOUNTS must be a JSON object"), std::string::npos)
      << r.result_text;
  EXPECT_FALSE(fs::exists(repo())) << "kopia must not start";
}

}  // namespace
}  // namespace kopiur::test

namespace kopiur::test {
namespace {

// An object-store backend reaches kopia as `repository connect s3` with kopia's flags; its
// credentials reach kopia only through the environment, never its command line. A recording
// kopia (a script) shows what the real one would receive; the stand-in, which keeps filesystem
// repositories only, answers like kopia with an unreachable storage.
TEST_F(MoverTest, S3CredentialsReachKopiaThroughItsEnvironmentOnly) {
  write_file_atomically(dir_.file("secret/AWS_ACCESS_KEY_ID"), "AKIAEXAMPLE");
  write_file_atomically(dir_.file("secret/AWS_SECRET_ACCESS_KEY"), "wJalrXUtnFEMI-secret");
  const std::string record = dir_.file("recorded");
  const std::string script = dir_.file("kopia-recorder");
  write_file_atomically(script,
                        "#!/bin/sh\n"
                        "printf '%s\\n' \"$@\" > \"$KOPIA_TEST_RECORD.args\"\n"
                        "env > \"$KOPIA_TEST_RECORD.env\"\n"
                        "echo 'ERROR error connecting to storage: dial tcp: connection refused' "
                        ">&2\n"
                        "exit 1\n");
  fs::permissions(script, fs::perms::owner_all);
  json work = {{"repository",
                {{"s3", {{"bucket", "backups"}, {"endpoint", "minio:9000"}, {"disableTLS", true}}},
                 {"create", true}}}};
  const auto r = run("connect", work, {{"KOPIA_BIN", script}, {"KOPIA_TEST_RECORD", record}});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(r.result["error"]["class"], "RepositoryUnavailable") << r.result_text;
  EXPECT_EQ(r.result["error"]["retryable"], true);
  const std::string args = read_file(record + ".args");
  EXPECT_TRUE(has(args, "repository\nconnect\ns3\n")) << args;
  EXPECT_TRUE(has(args, "--bucket=backups\n--endpoint=minio:9000\n--disable-tls\n")) << args;
  EXPECT_FALSE(has(args, "wJalrXUtnFEMI-secret")) << args;
  const std::string env = read_file(record + ".env");
  EXPECT_TRUE(has(env, "AWS_ACCESS_KEY_ID=AKIAEXAMPLE\n")) << env;
  EXPECT_TRUE(has(env, "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI-secret\n")) << env;

  const auto standin = run("connect", work);
  EXPECT_EQ(standin.exit_code, 1);
  EXPECT_EQ(standin.result["error"]["class"], "RepositoryUnavailable") << standin.result_text;
  EXPECT_TRUE(has(standin.result["error"]["tail"], "the s3 backend needs kopia itself"))
      << standin.result_text;
}

}  // namespace
}  // namespace kopiur::test

namespace kopiur::test {
namespace {

// Maintenance ownership: the first owner runs; another identity is refused with the owner named
// unless it may take over, after which the first one is refused in turn.
TEST_F(MoverTest, MaintenanceRunsOnlyAsItsOwnerUnlessTakingOver) {
  create_repository();
  auto as = [&](const std::string& owner, bool takeover) {
    auto s = spec();
    s.erase("identity");
    s["maintenance"] = {{"mode", "quick"}, {"owner", owner}, {"takeover", takeover}};
    return run("maintenance", s);
  };
  const auto first = as("maint@cluster-a", false);
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err << first.result_text;
  const auto other = as("maint@cluster-b", false);
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_EQ(other.result["error"]["class"], "MaintenanceNotOwned") << other.result_text;
  EXPECT_TRUE(
      has(other.result["error"]["message"], "owned by maint@cluster-a, not maint@cluster-b"))
      << other.result_text;
  EXPECT_EQ(other.result["error"]["retryable"], false);
  const auto takeover = as("maint@cluster-b", true);
  ASSERT_EQ(takeover.exit_code, 0) << takeover.result_text;
  const auto old = as("maint@cluster-a", false);
  EXPECT_EQ(old.result["error"]["class"], "MaintenanceNotOwned") << old.result_text;
  auto bad = spec();
  bad["maintenance"] = {{"owner", "nobody"}};
  const auto invalid = run("maintenance", bad);
  EXPECT_EQ(invalid.exit_code, 2);
  EXPECT_TRUE(has(invalid.result["error"]["message"],
                  "maintenance.owner: expected user@host, got \"nobody\""))
      << invalid.result_text;
}

}  // namespace
}  // namespace kopiur::test

namespace kopiur::test {
namespace {

// A kopia that ignores SIGTERM is killed once the grace is over; the result still says
// cancelled and names the signal.
TEST_F(MoverTest, KopiaIgnoringSigtermIsKilledAfterTheGrace) {
  const std::string script = dir_.file("stubborn-kopia");
  write_file_atomically(script,
                        "#!/bin/sh\n"
                        "trap '' TERM\n"
                        "echo 'stubborn kopia started' >&2\n"
                        "while :; do sleep 1; done\n");
  fs::permissions(script, fs::perms::owner_all);
  auto env = base_env();
  env["KOPIA_BIN"] = script;
  env["RUST_LOG"] = "info,kopia=debug";
  auto a = args("connect", spec());
  a.push_back("--kill-grace-seconds");
  a.push_back("1");
  ChildProcess mover(program_path("kopiur-mover"), a, env);
  ASSERT_TRUE(
      mover.wait_for_stdout([](const std::string& s) { return has(s, "stubborn kopia started"); },
                            std::chrono::seconds(30)))
      << mover.out() << mover.err();
  mover.signal(SIGTERM);
  const auto code = mover.wait(std::chrono::seconds(30));
  ASSERT_TRUE(code.has_value()) << "the mover did not stop";
  const auto r = collect(*code, mover.out(), mover.err());
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_EQ(r.result["result"], "cancelled") << r.result_text;
  EXPECT_EQ(r.result["error"]["kopiaExitCode"], 128 + SIGKILL) << r.result_text;

  auto bad = args("connect", spec());
  bad.push_back("--kill-grace-seconds=soon");
  const auto rejected =
      run_program(program_path("kopiur-mover"), bad, base_env(), std::chrono::seconds(30));
  EXPECT_EQ(rejected.exit_code, 2);
  EXPECT_TRUE(has(rejected.err, "--kill-grace-seconds: expected 0-3600, got \"soon\""))
      << rejected.err;
}

}  // namespace
}  // namespace kopiur::test
