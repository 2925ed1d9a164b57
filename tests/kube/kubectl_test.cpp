// The real kubectl against the local API server: CRDs, every example, get/patch/delete.
#include <array>
#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kopiur/process/process.hpp"

#include "kube/kubectl_fixture.hpp"
#include "kube/test_util.hpp"

namespace kopiur::kube {
namespace {

using Output = testing::KubectlOutput;
using testing::KubectlTest;

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

TEST_F(KubectlTest, CrdsExamplesGetPatchAndFinalizedDelete) {
  auto out = kubectl("apply -f " + path("deploy/crds/"));
  ASSERT_EQ(out.code, 0) << out.text;
  EXPECT_EQ(count(out.text, "customresourcedefinition.apiextensions.k8s.io/"), 7u) << out.text;

  out = kubectl("apply -f " + path("deploy/examples/"));
  ASSERT_EQ(out.code, 0) << out.text;
  for (const char* kind : {"repository", "clusterrepository", "backupconfig", "backupschedule",
                           "backup", "restore", "maintenance"}) {
    EXPECT_NE(out.text.find(std::string(kind) + ".kopiur.home-operations.com/"), std::string::npos)
        << kind << " missing from:\n"
        << out.text;
  }
  out = kubectl("apply -f " + path("deploy/examples/"));
  ASSERT_EQ(out.code, 0) << out.text;
  // The seven custom resources are unchanged. The Secret is "configured", as on a real cluster:
  // the server folds its stringData into data, so kubectl sends stringData again every time.
  EXPECT_EQ(count(out.text, " unchanged"), 7u) << "re-applying changes nothing:\n" << out.text;
  EXPECT_NE(out.text.find("secret/kopia-password configured"), std::string::npos) << out.text;

  out = kubectl("get backups -A");
  ASSERT_EQ(out.code, 0) << out.text;
  EXPECT_NE(out.text.find("NAMESPACE"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("PHASE"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("AGE"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("app-data-manual"), std::string::npos) << out.text;

  out = kubectl("get backup app-data-manual -o yaml");
  ASSERT_EQ(out.code, 0) << out.text;
  EXPECT_NE(out.text.find("kind: Backup"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("reason: before-upgrade"), std::string::npos) << out.text;

  out = kubectl(
      "patch backup app-data-manual --subresource status --type merge -p "
      "'{\"status\":{\"phase\":\"Succeeded\",\"stats\":{\"sizeBytes\":42}}}'");
  ASSERT_EQ(out.code, 0) << out.text;
  out = kubectl("get backup app-data-manual");
  ASSERT_EQ(out.code, 0) << out.text;
  EXPECT_NE(out.text.find("Succeeded"), std::string::npos) << out.text;

  out = kubectl("get kopiur -A");  // the category covers all seven kinds
  ASSERT_EQ(out.code, 0) << out.text;
  EXPECT_NE(out.text.find("clusterrepository.kopiur.home-operations.com/shared-nfs"),
            std::string::npos)
      << out.text;

  out = kubectl(
      "patch backup app-data-manual --type merge -p "
      "'{\"metadata\":{\"finalizers\":[\"kopiur.home-operations.com/snapshot\"]}}'");
  ASSERT_EQ(out.code, 0) << out.text;
  out = kubectl("delete backup app-data-manual --wait=false");
  ASSERT_EQ(out.code, 0) << out.text;
  out = kubectl("get backup app-data-manual -o jsonpath={.metadata.deletionTimestamp}");
  ASSERT_EQ(out.code, 0) << "the object stays while the finalizer is pending: " << out.text;
  EXPECT_FALSE(out.text.empty());
  out = kubectl(
      "patch backup app-data-manual --type json -p "
      "'[{\"op\":\"remove\",\"path\":\"/metadata/finalizers\"}]'");
  ASSERT_EQ(out.code, 0) << out.text;
  out = kubectl("get backup app-data-manual");
  EXPECT_NE(out.code, 0);
  EXPECT_NE(out.text.find("NotFound"), std::string::npos) << out.text;
}

TEST_F(KubectlTest, InvalidObjectsAreRejectedWithTheFieldPath) {
  ASSERT_EQ(kubectl("apply -f " + path("deploy/crds/")).code, 0);
  const auto file = (dir_.path() / "bad.yaml").string();
  std::ofstream(file) << "apiVersion: kopiur.home-operations.com/v1alpha1\n"
                         "kind: BackupSchedule\nmetadata:\n  name: bad\n  namespace: default\n"
                         "spec:\n  configRef:\n    name: x\n  schedule:\n    cron: every day\n";
  auto out = kubectl("apply -f " + file);
  EXPECT_NE(out.code, 0);
  EXPECT_NE(out.text.find("spec.schedule.cron"), std::string::npos) << out.text;
  out = kubectl("get backupschedule bad");
  EXPECT_NE(out.code, 0) << "nothing was stored: " << out.text;
  // Cron fields and time zones are checked by the scheduler's parser, with its words.
  std::ofstream(file) << "apiVersion: kopiur.home-operations.com/v1alpha1\n"
                         "kind: BackupSchedule\nmetadata:\n  name: bad\n  namespace: default\n"
                         "spec:\n  configRef:\n    name: x\n  schedule:\n    cron: 0 25 * * *\n"
                         "    timezone: Mars/Base\n";
  out = kubectl("apply -f " + file);
  EXPECT_NE(out.code, 0);
  EXPECT_NE(out.text.find("* spec.schedule.cron: hour field \"25\": value 25 is out of range 0-23"),
            std::string::npos)
      << out.text;
  EXPECT_NE(out.text.find("* spec.schedule.timezone: unknown time zone \"Mars/Base\": use an IANA "
                          "name such as Europe/Berlin"),
            std::string::npos)
      << out.text;
}

// Jobs run as local processes: kubectl creates one, waits for its condition, reads its logs and
// sees the container's exit code in the pod status.
TEST_F(KubectlTest, JobsRunLocallyWithConditionsLogsAndExitCodes) {
  LocalApiServer::Options options;
  options.run_jobs = true;
  options.job_backoff = std::chrono::milliseconds(20);
  server_ = testing::start_server(options);
  ASSERT_NE(server_, nullptr);
  ASSERT_TRUE(server_->write_kubeconfig(kubeconfig_).ok());

  // kubectl's typed generator sends the Job as protobuf, which the server reads.
  auto out = kubectl("create job hello --image=busybox -- /bin/sh -c 'echo hello from a job'");
  ASSERT_EQ(out.code, 0) << out.text;
  out = kubectl("wait --for=condition=complete job/hello --timeout=60s");
  ASSERT_EQ(out.code, 0) << out.text;
  EXPECT_NE(out.text.find("condition met"), std::string::npos) << out.text;
  out = kubectl("logs job/hello");
  ASSERT_EQ(out.code, 0) << out.text;
  EXPECT_EQ(out.text, "hello from a job\n");
  out = kubectl("get jobs");
  ASSERT_EQ(out.code, 0) << out.text;
  EXPECT_NE(out.text.find("Complete"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("1/1"), std::string::npos) << out.text;
  // As kubectl shows a finished pod: READY 0/1, STATUS the container's reason, RESTARTS 0.
  out = kubectl("get pods -l job-name=hello --no-headers");
  ASSERT_EQ(out.code, 0) << out.text;
  EXPECT_NE(out.text.find("0/1"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("Completed"), std::string::npos) << out.text;
  out = kubectl("get pods -l job-name=hello -o wide");
  EXPECT_NE(out.text.find("RESTARTS"), std::string::npos) << out.text;

  const auto broken = (dir_.path() / "broken.yaml").string();
  std::ofstream(broken) << "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: broken\n"
                           "spec:\n  backoffLimit: 1\n  template:\n    spec:\n"
                           "      restartPolicy: Never\n      containers:\n      - name: mover\n"
                           "        image: busybox\n        command: [/bin/sh, -c, 'exit 4']\n";
  out = kubectl("create -f " + broken);
  ASSERT_EQ(out.code, 0) << out.text;
  out = kubectl("wait --for=condition=failed job/broken --timeout=60s");
  ASSERT_EQ(out.code, 0) << out.text;
  out = kubectl(
      "get pods -l job-name=broken -o "
      "jsonpath='{.items[*].status.containerStatuses[0].state.terminated.exitCode}'");
  ASSERT_EQ(out.code, 0) << out.text;
  EXPECT_EQ(out.text, "4 4") << "the first try and one retry, each with the container's code";
  out = kubectl("get pods -l job-name=broken --no-headers");
  EXPECT_NE(out.text.find("Error"), std::string::npos) << out.text;
  out = kubectl("get job broken -o jsonpath='{.status.conditions[?(@.type==\"Failed\")].reason}'");
  EXPECT_EQ(out.text, "BackoffLimitExceeded");
}

// The kopiur-localkube program itself: starts, writes its kubeconfig, serves kubectl, and exits
// cleanly on SIGTERM.
TEST_F(KubectlTest, LocalkubeProgramServesKubectl) {
  const std::string binary_dir = KOPIUR_TEST_BINARY_DIR;  // compiled in by kopiur_add_test
  const std::string program = binary_dir + "/src/bin/localkube/kopiur-localkube";
  ASSERT_EQ(::access(program.c_str(), X_OK), 0) << program << " is not built";
  const auto kubeconfig = (dir_.path() / "program-kubeconfig").string();
  const auto data = (dir_.path() / "data").string();
  process::SpawnOptions spawn;
  spawn.argv = {program, "--listen",         "127.0.0.1:0", "--data-dir",
                data,    "--kubeconfig-out", kubeconfig};
  spawn.env = process::current_environment();
  spawn.stdout_to = process::Redirect::inherit();
  spawn.stderr_to = process::Redirect::inherit();
  auto started = process::Process::spawn(spawn);
  ASSERT_TRUE(started.process) << started.error;
  const bool ready = testing::eventually([&] {
    std::ifstream in(kubeconfig);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return text.find("current-context") != std::string::npos;
  });
  kubeconfig_ = kubeconfig;
  Output out;
  if (ready) out = kubectl("get namespaces");
  started.process->signal(SIGTERM);
  const auto status = started.process->wait();
  ASSERT_TRUE(ready) << "no kubeconfig written";
  EXPECT_EQ(out.code, 0) << out.text;
  EXPECT_NE(out.text.find("default"), std::string::npos) << out.text;
  EXPECT_TRUE(status.success()) << status.describe();
  EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(data) / "state.json"));
}

}  // namespace
}  // namespace kopiur::kube
