// The local server running Jobs as local processes: Pods created from the template, the
// container's exit code, signal and termination message in the Pod status, the Job's counts and
// conditions, env from Secrets/ConfigMaps/fields, backoff, deadlines, suspend, TTL, deletion,
// logs, and a restart with a data directory.
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include "kopiur/kube/client.hpp"
#include "kopiur/process/process.hpp"

#include "kube/test_util.hpp"

namespace kopiur::kube {
namespace {

using nlohmann::json;
using std::chrono::seconds;

constexpr auto kWait = seconds(20);  // a failure bound: passing tests return as soon as they can

LocalApiServer::Options job_options(const std::string& data_dir = "") {
  LocalApiServer::Options options;
  options.run_jobs = true;
  options.data_dir = data_dir;
  options.job_backoff = std::chrono::milliseconds(20);
  options.max_grace = std::chrono::milliseconds(2000);
  return options;
}

// A Job whose single container runs `script` with /bin/sh.
json shell_job(const std::string& name, const std::string& script, json container_extra = {},
               json spec_extra = {}) {
  json container = {{"name", "main"},
                    {"image", "ghcr.io/home-operations/kopiur:test"},
                    {"command", {"/bin/sh", "-c", script}}};
  if (container_extra.is_object()) container.merge_patch(container_extra);
  json job = {
      {"apiVersion", "batch/v1"},
      {"kind", "Job"},
      {"metadata", {{"name", name}}},
      {"spec",
       {{"backoffLimit", 0},
        {"template", {{"spec", {{"restartPolicy", "Never"}, {"containers", {container}}}}}}}}};
  if (spec_extra.is_object()) job["spec"].merge_patch(spec_extra);
  return job;
}

bool has_condition(const json& object, const std::string& type, const std::string& reason = "") {
  for (const auto& c : object.value("status", json::object()).value("conditions", json::array())) {
    if (c.value("type", "") == type && c.value("status", "") == "True" &&
        (reason.empty() || c.value("reason", "") == reason)) {
      return true;
    }
  }
  return false;
}

bool process_gone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

pid_t container_pid(const json& pod) {
  const auto statuses =
      pod.value("status", json::object()).value("containerStatuses", json::array());
  if (statuses.empty()) return -1;
  const auto id = statuses[0].value("containerID", "");
  const std::string prefix = "localkube://";
  if (id.rfind(prefix, 0) != 0) return -1;
  return static_cast<pid_t>(std::stol(id.substr(prefix.size())));
}

class LocalJobs : public ::testing::Test {
 protected:
  void SetUp() override {
    auto options = job_options();
    options.work_dir = (dir_.path() / "pods").string();
    start(options);
  }

  void start(const LocalApiServer::Options& options) {
    server_ = testing::start_server(options);
    ASSERT_NE(server_, nullptr);
    client_ = std::make_unique<Client>(testing::config_for(*server_));
  }

  json create_job(const json& job) {
    auto created = client_->create(resources::kJobs, "default", job);
    EXPECT_TRUE(created.ok()) << created.error().to_string();
    return created.ok() ? *created : json::object();
  }

  // Waits until the Job satisfies pred, and returns it.
  json await_job(const std::string& name, const std::function<bool(const json&)>& pred) {
    json last;
    const bool held = testing::eventually(
        [&] {
          auto job = client_->get(resources::kJobs, "default", name);
          if (!job.ok()) return false;
          last = *job;
          return pred(last);
        },
        kWait);
    EXPECT_TRUE(held) << "job " << name << " never reached the state; last:\n" << last.dump(2);
    return last;
  }

  std::vector<json> pods_of(const std::string& job) {
    auto list = client_->list(resources::kPods, "default", {"job-name=" + job, ""});
    if (!list.ok()) return {};
    return (*list)["items"].get<std::vector<json>>();
  }

  json await_pod(const std::string& job, const std::function<bool(const json&)>& pred) {
    json last;
    const bool held = testing::eventually(
        [&] {
          for (const auto& pod : pods_of(job)) {
            last = pod;
            if (pred(pod)) return true;
          }
          return false;
        },
        kWait);
    EXPECT_TRUE(held) << "no pod of " << job << " reached the state; last:\n" << last.dump(2);
    return last;
  }

  httplib::Result get_log(const std::string& pod, const std::string& query = "") {
    httplib::Client http("127.0.0.1", server_->port());
    http.set_read_timeout(kWait);
    return http.Get("/api/v1/namespaces/default/pods/" + pod + "/log" + query);
  }

  // The pod directories the kubelet keeps (logs, termination messages).
  std::size_t pod_dirs() const {
    std::size_t n = 0;
    std::error_code ec;
    for (std::filesystem::directory_iterator it(dir_.path() / "pods", ec), end; !ec && it != end;
         it.increment(ec)) {
      n += it->is_directory() ? 1 : 0;
    }
    return n;
  }

  std::string file(const std::string& name) const { return (dir_.path() / name).string(); }

  std::string read(const std::string& name) const {
    std::ifstream in(file(name));
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  testing::TempDir dir_;
  std::unique_ptr<LocalApiServer> server_;
  std::unique_ptr<Client> client_;
};

// Records every Pod watch event (type and object) until stopped.
class PodEvents {
 public:
  explicit PodEvents(Client& client)
      : thread_([this, &client] {
          WatchOptions options;
          (void)client.watch(
              resources::kPods, "default", options,
              [this](WatchEvent&& event) {
                std::lock_guard lock(mu_);
                events_.push_back(std::move(event));
                return true;
              },
              &cancel_);
        }) {}
  ~PodEvents() {
    cancel_.cancel();
    thread_.join();
  }
  bool saw(const std::function<bool(const WatchEvent&)>& pred) {
    std::lock_guard lock(mu_);
    return std::any_of(events_.begin(), events_.end(), pred);
  }

 private:
  std::mutex mu_;
  std::vector<WatchEvent> events_;
  CancelToken cancel_;
  std::thread thread_;
};

bool process_ended(pid_t pid) {
  // Gone, or a zombie nobody reaps (PID 1 in a container may not): either way it no longer runs.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto paren = text.rfind(')');
  return text.empty() ||
         (paren != std::string::npos && text.size() > paren + 2 && text[paren + 2] == 'Z');
}

TEST_F(LocalJobs, SuccessfulJobRecordsExitCodeMessageAndConditions) {
  const auto job = create_job(shell_job(
      "ok", "echo hello from $HOSTNAME; printf 'all good' > \"$KOPIUR_TERMINATION_MESSAGE_PATH\""));
  // The API server's defaults: a selector on the controller uid, labels on the template.
  const auto uid = job["metadata"].value("uid", "");
  EXPECT_EQ(job["spec"]["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"], uid);
  EXPECT_EQ(job["spec"]["template"]["metadata"]["labels"]["job-name"], "ok");
  EXPECT_EQ(job["spec"]["completions"], 1);

  const auto done = await_job("ok", [](const json& j) { return has_condition(j, "Complete"); });
  EXPECT_TRUE(has_condition(done, "SuccessCriteriaMet", "CompletionsReached"));
  EXPECT_TRUE(has_condition(done, "Complete", "CompletionsReached"));
  EXPECT_FALSE(has_condition(done, "Failed"));
  EXPECT_EQ(done["status"].value("succeeded", 0), 1);
  EXPECT_FALSE(done["status"].contains("failed"));
  EXPECT_FALSE(done["status"].contains("active"));
  EXPECT_TRUE(done["status"].contains("startTime"));
  EXPECT_TRUE(done["status"].contains("completionTime"));

  const auto pods = pods_of("ok");
  ASSERT_EQ(pods.size(), 1u);
  const auto& pod = pods[0];
  const auto pod_name = pod["metadata"].value("name", "");
  EXPECT_EQ(pod_name.rfind("ok-", 0), 0u) << pod_name;
  EXPECT_EQ(pod["metadata"]["ownerReferences"][0]["uid"], uid);
  EXPECT_EQ(pod["metadata"]["ownerReferences"][0]["controller"], true);
  EXPECT_EQ(pod["status"]["phase"], "Succeeded");
  const auto& terminated = pod["status"]["containerStatuses"][0]["state"]["terminated"];
  EXPECT_EQ(terminated["exitCode"], 0);
  EXPECT_EQ(terminated["reason"], "Completed");
  EXPECT_EQ(terminated["message"], "all good");
  EXPECT_FALSE(terminated.contains("signal"));
  EXPECT_TRUE(terminated.contains("startedAt"));
  EXPECT_TRUE(terminated.contains("finishedAt"));

  auto log = get_log(pod_name);
  ASSERT_TRUE(log);
  EXPECT_EQ(log->status, 200);
  EXPECT_EQ(log->body, "hello from " + pod_name + "\n");
}

TEST_F(LocalJobs, FailuresAreRetriedUntilTheBackoffLimit) {
  create_job(shell_job("fails", "echo first line; echo 'kopia: repository not found' >&2; exit 3",
                       {{"terminationMessagePolicy", "FallbackToLogsOnError"}},
                       {{"backoffLimit", 1}}));
  const auto failed = await_job("fails", [](const json& j) { return has_condition(j, "Failed"); });
  EXPECT_TRUE(has_condition(failed, "FailureTarget", "BackoffLimitExceeded"));
  EXPECT_TRUE(has_condition(failed, "Failed", "BackoffLimitExceeded"));
  EXPECT_FALSE(has_condition(failed, "Complete"));
  EXPECT_EQ(failed["status"].value("failed", 0), 2);  // the first try and one retry
  EXPECT_FALSE(failed["status"].contains("completionTime"));

  const auto pods = pods_of("fails");
  ASSERT_EQ(pods.size(), 2u);
  for (const auto& pod : pods) {
    EXPECT_EQ(pod["status"]["phase"], "Failed");
    const auto& terminated = pod["status"]["containerStatuses"][0]["state"]["terminated"];
    EXPECT_EQ(terminated["exitCode"], 3);
    EXPECT_EQ(terminated["reason"], "Error");
    // No termination message was written: FallbackToLogsOnError takes the log's tail.
    EXPECT_EQ(terminated["message"], "first line\nkopia: repository not found\n");
  }
}

TEST_F(LocalJobs, EnvironmentComesFromSecretsConfigMapsFieldsAndReferences) {
  ASSERT_TRUE(client_
                  ->create(resources::kSecrets, "default",
                           {{"apiVersion", "v1"},
                            {"kind", "Secret"},
                            {"metadata", {{"name", "repo"}}},
                            {"stringData", {{"password", "s3cr3t"}}}})
                  .ok());
  ASSERT_TRUE(client_
                  ->create(resources::kConfigMaps, "default",
                           {{"apiVersion", "v1"},
                            {"kind", "ConfigMap"},
                            {"metadata", {{"name", "settings"}}},
                            {"data", {{"region", "eu-west"}, {"bucket", "backups"}}}})
                  .ok());
  ::setenv("KOPIUR_JOBS_TEST_LEAK", "should-not-reach-pods", 1);
  const json extra = {
      {"env",
       {{{"name", "PASSWORD"},
         {"valueFrom", {{"secretKeyRef", {{"name", "repo"}, {"key", "password"}}}}}},
        {{"name", "REGION"},
         {"valueFrom", {{"configMapKeyRef", {{"name", "settings"}, {"key", "region"}}}}}},
        {{"name", "POD_NAME"}, {"valueFrom", {{"fieldRef", {{"fieldPath", "metadata.name"}}}}}},
        {{"name", "POD_NAMESPACE"},
         {"valueFrom", {{"fieldRef", {{"fieldPath", "metadata.namespace"}}}}}},
        {{"name", "JOB_LABEL"},
         {"valueFrom", {{"fieldRef", {{"fieldPath", "metadata.labels['job-name']"}}}}}},
        {{"name", "OPTIONAL"},
         {"valueFrom", {{"secretKeyRef", {{"name", "absent"}, {"key", "k"}, {"optional", true}}}}}},
        {{"name", "COMBINED"}, {"value", "$(REGION)/$(PASSWORD)/$(UNDEFINED)/$$literal"}}}},
      {"envFrom", {{{"prefix", "CM_"}, {"configMapRef", {{"name", "settings"}}}}}}};
  create_job(shell_job("env", "env > \"$KOPIUR_TERMINATION_MESSAGE_PATH\"", extra));
  const auto pod =
      await_pod("env", [](const json& p) { return p["status"].value("phase", "") == "Succeeded"; });
  const auto message =
      pod["status"]["containerStatuses"][0]["state"]["terminated"].value("message", "");
  std::map<std::string, std::string> env;
  std::istringstream lines(message);
  for (std::string line; std::getline(lines, line);) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) env[line.substr(0, eq)] = line.substr(eq + 1);
  }
  EXPECT_EQ(env["PASSWORD"], "s3cr3t");
  EXPECT_EQ(env["REGION"], "eu-west");
  EXPECT_EQ(env["POD_NAME"], pod["metadata"].value("name", ""));
  EXPECT_EQ(env["HOSTNAME"], pod["metadata"].value("name", ""));
  EXPECT_EQ(env["POD_NAMESPACE"], "default");
  EXPECT_EQ(env["JOB_LABEL"], "env");
  EXPECT_EQ(env.count("OPTIONAL"), 0u);
  EXPECT_EQ(env["COMBINED"], "eu-west/s3cr3t/$(UNDEFINED)/$literal");
  EXPECT_EQ(env["CM_region"], "eu-west");
  EXPECT_EQ(env["CM_bucket"], "backups");
  EXPECT_EQ(env.count("KOPIUR_JOBS_TEST_LEAK"), 0u) << "only the listed variables are inherited";
  EXPECT_FALSE(env["PATH"].empty());
  // KUBECONFIG points at this server, so a pod can call the API as the mover does.
  std::ifstream kubeconfig(env["KUBECONFIG"]);
  std::stringstream text;
  text << kubeconfig.rdbuf();
  EXPECT_NE(text.str().find(server_->url()), std::string::npos) << env["KUBECONFIG"];
  ::unsetenv("KOPIUR_JOBS_TEST_LEAK");
}

TEST_F(LocalJobs, MissingSecretKeepsThePodWaitingUntilItExists) {
  create_job(
      shell_job("waits", "test \"$TOKEN\" = later-value",
                {{"env",
                  {{{"name", "TOKEN"},
                    {"valueFrom", {{"secretKeyRef", {{"name", "later"}, {"key", "token"}}}}}}}}}));
  const auto waiting = await_pod("waits", [](const json& p) {
    const auto& statuses = p["status"].value("containerStatuses", json::array());
    return !statuses.empty() && statuses[0]["state"].contains("waiting");
  });
  EXPECT_EQ(waiting["status"]["phase"], "Pending");
  const auto& state = waiting["status"]["containerStatuses"][0]["state"]["waiting"];
  EXPECT_EQ(state["reason"], "CreateContainerConfigError");
  EXPECT_EQ(state["message"], "secret \"later\" not found");

  auto log = get_log(waiting["metadata"].value("name", ""));
  ASSERT_TRUE(log);
  EXPECT_EQ(log->status, 400);
  EXPECT_NE(log->body.find("is waiting to start: CreateContainerConfigError"), std::string::npos)
      << log->body;

  ASSERT_TRUE(client_
                  ->create(resources::kSecrets, "default",
                           {{"apiVersion", "v1"},
                            {"kind", "Secret"},
                            {"metadata", {{"name", "later"}}},
                            {"data", {{"token", "bGF0ZXItdmFsdWU="}}}})  // "later-value"
                  .ok());
  const auto done = await_job("waits", [](const json& j) { return has_condition(j, "Complete"); });
  EXPECT_EQ(done["status"].value("succeeded", 0), 1);
}

TEST_F(LocalJobs, ProgramNotFoundIsAStartError) {
  auto job = shell_job("missing", "");
  job["spec"]["template"]["spec"]["containers"][0]["command"] = {"kopiur-no-such-program"};
  create_job(job);
  const auto failed =
      await_job("missing", [](const json& j) { return has_condition(j, "Failed"); });
  EXPECT_TRUE(has_condition(failed, "Failed", "BackoffLimitExceeded"));
  const auto pods = pods_of("missing");
  ASSERT_EQ(pods.size(), 1u);
  const auto& terminated = pods[0]["status"]["containerStatuses"][0]["state"]["terminated"];
  EXPECT_EQ(terminated["exitCode"], 128);
  EXPECT_EQ(terminated["reason"], "StartError");
  EXPECT_EQ(terminated["message"],
            "exec: \"kopiur-no-such-program\": executable file not found in $PATH");
}

TEST_F(LocalJobs, ContainerKilledBySignalReportsIt) {
  // In a pod's command "$$" is an escaped "$" (the kubelet expands $(VAR)), so the shell's own
  // pid is written "$$$$".
  create_job(shell_job("signalled", "kill -s TERM $$$$"));
  const auto pod = await_pod(
      "signalled", [](const json& p) { return p["status"].value("phase", "") == "Failed"; });
  const auto& terminated = pod["status"]["containerStatuses"][0]["state"]["terminated"];
  EXPECT_EQ(terminated["exitCode"], 143);
  EXPECT_EQ(terminated["signal"], 15);
  EXPECT_EQ(terminated["reason"], "Error");
}

TEST_F(LocalJobs, ActiveDeadlineStopsTheRunningContainer) {
  create_job(shell_job("slow", "exec sleep 60", {}, {{"activeDeadlineSeconds", 1}}));
  const auto running =
      await_pod("slow", [](const json& p) { return p["status"].value("phase", "") == "Running"; });
  const pid_t pid = container_pid(running);
  ASSERT_GT(pid, 0);
  const auto failed = await_job("slow", [](const json& j) { return has_condition(j, "Failed"); });
  EXPECT_TRUE(has_condition(failed, "Failed", "DeadlineExceeded"));
  EXPECT_TRUE(testing::eventually([&] { return process_gone(pid); }, kWait));
  EXPECT_TRUE(testing::eventually([&] { return pods_of("slow").empty(); }, kWait))
      << "active pods are deleted when the Job fails";
}

TEST_F(LocalJobs, DeletingAJobStopsAndDeletesItsPods) {
  create_job(shell_job("deleted", "exec sleep 60"));
  const auto running = await_pod(
      "deleted", [](const json& p) { return p["status"].value("phase", "") == "Running"; });
  const pid_t pid = container_pid(running);
  ASSERT_GT(pid, 0);
  EXPECT_FALSE(process_gone(pid));
  ASSERT_TRUE(client_->remove(resources::kJobs, "default", "deleted").ok());
  EXPECT_TRUE(testing::eventually([&] { return pods_of("deleted").empty(); }, kWait));
  EXPECT_TRUE(testing::eventually([&] { return process_gone(pid); }, kWait));
  EXPECT_TRUE(testing::eventually([&] { return pod_dirs() == 0; }, kWait))
      << "the directory of a pod deleted while it ran goes once its process has ended";
}

TEST_F(LocalJobs, CompletionsRunOnePodAfterAnother) {
  create_job(shell_job("twice", "true", {}, {{"completions", 2}}));
  const auto done = await_job("twice", [](const json& j) { return has_condition(j, "Complete"); });
  EXPECT_EQ(done["status"].value("succeeded", 0), 2);
  EXPECT_EQ(pods_of("twice").size(), 2u);
}

TEST_F(LocalJobs, SuspendedJobStartsNothingUntilResumed) {
  create_job(shell_job("later", "true", {}, {{"suspend", true}}));
  const auto suspended =
      await_job("later", [](const json& j) { return has_condition(j, "Suspended"); });
  EXPECT_TRUE(has_condition(suspended, "Suspended", "JobSuspended"));
  EXPECT_TRUE(pods_of("later").empty());
  ASSERT_TRUE(client_
                  ->patch(resources::kJobs, "default", "later", {{"spec", {{"suspend", false}}}},
                          PatchType::kMerge)
                  .ok());
  const auto done = await_job("later", [](const json& j) { return has_condition(j, "Complete"); });
  EXPECT_FALSE(has_condition(done, "Suspended"));
}

TEST_F(LocalJobs, FinishedJobIsDeletedAfterItsTtlWithItsPodsAndLogs) {
  create_job(
      shell_job("short-lived", "touch " + file("ran"), {}, {{"ttlSecondsAfterFinished", 0}}));
  EXPECT_TRUE(testing::eventually(
      [&] {
        auto job = client_->get(resources::kJobs, "default", "short-lived");
        return !job.ok() && job.error().is_not_found();
      },
      kWait));
  EXPECT_TRUE(std::filesystem::exists(file("ran"))) << "the Job ran before it was deleted";
  EXPECT_TRUE(testing::eventually([&] { return pods_of("short-lived").empty(); }, kWait));
  EXPECT_TRUE(testing::eventually([&] { return pod_dirs() == 0; }, kWait))
      << "a deleted pod's directory (its log) goes with it";
}

TEST_F(LocalJobs, BarePodRunsToo) {
  ASSERT_TRUE(
      client_
          ->create(
              resources::kPods, "default",
              {{"apiVersion", "v1"},
               {"kind", "Pod"},
               {"metadata", {{"name", "bare"}}},
               {"spec",
                {{"restartPolicy", "Never"},
                 {"containers", {{{"name", "a"}, {"command", {"/bin/sh", "-c", "exit 7"}}}}}}}})
          .ok());
  EXPECT_TRUE(testing::eventually(
      [&] {
        auto pod = client_->get(resources::kPods, "default", "bare");
        return pod.ok() && (*pod)["status"].value("phase", "") == "Failed" &&
               (*pod)["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 7;
      },
      kWait));
}

TEST_F(LocalJobs, DeletingARunningBarePodStopsItAndRemovesItsDirectory) {
  ASSERT_TRUE(client_
                  ->create(resources::kPods, "default",
                           {{"apiVersion", "v1"},
                            {"kind", "Pod"},
                            {"metadata", {{"name", "bare-sleeper"}}},
                            {"spec",
                             {{"restartPolicy", "Never"},
                              {"containers", {{{"name", "a"}, {"command", {"sleep", "60"}}}}}}}})
                  .ok());
  pid_t pid = -1;
  ASSERT_TRUE(testing::eventually(
      [&] {
        auto pod = client_->get(resources::kPods, "default", "bare-sleeper");
        if (!pod.ok() || (*pod)["status"].value("phase", "") != "Running") return false;
        pid = container_pid(*pod);
        return pid > 0;
      },
      kWait));
  EXPECT_EQ(pod_dirs(), 1u);
  // No finalizer: the pod is gone at once, and the kubelet stops its process afterwards.
  ASSERT_TRUE(client_->remove(resources::kPods, "default", "bare-sleeper").ok());
  EXPECT_TRUE(testing::eventually([&] { return process_gone(pid); }, kWait));
  EXPECT_TRUE(testing::eventually([&] { return pod_dirs() == 0; }, kWait));
}

TEST_F(LocalJobs, LogsTailLimitAndErrors) {
  create_job(shell_job("chatty", "printf 'a\\nb\\nc\\n'"));
  const auto pod = await_pod(
      "chatty", [](const json& p) { return p["status"].value("phase", "") == "Succeeded"; });
  const auto name = pod["metadata"].value("name", "");
  const auto body = [&](const std::string& query) {
    auto r = get_log(name, query);
    return r ? std::to_string(r->status) + ":" + r->body : std::string("no answer");
  };
  EXPECT_EQ(body(""), "200:a\nb\nc\n");
  EXPECT_EQ(body("?tailLines=2"), "200:b\nc\n");
  EXPECT_EQ(body("?tailLines=3"), "200:a\nb\nc\n");
  EXPECT_EQ(body("?tailLines=9"), "200:a\nb\nc\n");
  EXPECT_EQ(body("?tailLines=0"), "200:");
  EXPECT_EQ(body("?limitBytes=3"), "200:a\nb");
  EXPECT_EQ(body("?tailLines=1&limitBytes=1"), "200:c");
  EXPECT_EQ(body("?follow=true"), "200:a\nb\nc\n") << "follow ends with a finished container";
  for (const auto* bad : {"?tailLines=-1", "?tailLines=x", "?limitBytes=-5"}) {
    EXPECT_EQ(body(bad).substr(0, 4), "400:") << bad;
  }
  auto other = get_log(name, "?container=other");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 400);
  EXPECT_NE(other->body.find("container other is not valid for pod " + name), std::string::npos);
}

TEST_F(LocalJobs, FollowStreamsWhileTheContainerRuns) {
  // The container prints, then waits for a file this test creates only after it has received
  // the first line through the open follow stream.
  const auto gate = file("gate");
  create_job(shell_job(
      "follow", "echo first; while [ ! -e " + gate + " ]; do sleep 0.02; done; echo second"));
  const auto pod = await_pod(
      "follow", [](const json& p) { return p["status"].value("phase", "") == "Running"; });
  httplib::Client http("127.0.0.1", server_->port());
  http.set_read_timeout(kWait);
  std::string received;
  bool opened_gate = false;
  auto result = http.Get(
      "/api/v1/namespaces/default/pods/" + pod["metadata"].value("name", "") + "/log?follow=true",
      [&](const char* data, std::size_t length) {
        received.append(data, length);
        if (!opened_gate && received.find("first\n") != std::string::npos) {
          std::ofstream(gate) << "open";
          opened_gate = true;
        }
        return true;
      });
  ASSERT_TRUE(result);
  EXPECT_TRUE(opened_gate);
  EXPECT_EQ(received, "first\nsecond\n");
}

TEST_F(LocalJobs, FallbackMessageIsTheLast80LinesOfTheLog) {
  create_job(shell_job("noisy",
                       "i=0; while [ $i -lt 100 ]; do echo line$i; i=$((i+1)); done; exit 1",
                       {{"terminationMessagePolicy", "FallbackToLogsOnError"}}));
  const auto pod =
      await_pod("noisy", [](const json& p) { return p["status"].value("phase", "") == "Failed"; });
  const auto message =
      pod["status"]["containerStatuses"][0]["state"]["terminated"].value("message", "");
  EXPECT_EQ(std::count(message.begin(), message.end(), '\n'), 80);
  EXPECT_EQ(message.rfind("line20\n", 0), 0u) << message.substr(0, 40);
  EXPECT_NE(message.find("line99\n"), std::string::npos);
}

TEST_F(LocalJobs, AContainersLeftoverProcessesEndWithIt) {
  create_job(shell_job("leaves", "sleep 60 & echo $! > \"$KOPIUR_TERMINATION_MESSAGE_PATH\""));
  const auto pod = await_pod(
      "leaves", [](const json& p) { return p["status"].value("phase", "") == "Succeeded"; });
  const auto message =
      pod["status"]["containerStatuses"][0]["state"]["terminated"].value("message", "");
  const pid_t leftover = static_cast<pid_t>(std::atol(message.c_str()));
  ASSERT_GT(leftover, 0) << message;
  EXPECT_TRUE(testing::eventually([&] { return process_ended(leftover); }, kWait));
}

TEST_F(LocalJobs, MultiContainerPodFailsWhenOneContainerFails) {
  auto job = shell_job("pair", "exit 0");
  job["spec"]["template"]["spec"]["containers"].push_back(
      {{"name", "second"}, {"command", {"/bin/sh", "-c", "exit 2"}}});
  create_job(job);
  const auto pod =
      await_pod("pair", [](const json& p) { return p["status"].value("phase", "") == "Failed"; });
  std::map<std::string, int> codes;
  for (const auto& cs : pod["status"]["containerStatuses"]) {
    codes[cs.value("name", "")] = cs["state"]["terminated"].value("exitCode", -1);
  }
  EXPECT_EQ(codes["main"], 0);
  EXPECT_EQ(codes["second"], 2);
}

TEST_F(LocalJobs, WorkQueueJobCompletesWhenAllPodsEndAndOneSucceeded) {
  create_job(shell_job("queue", "true", {}, {{"parallelism", 2}}));
  const auto done = await_job("queue", [](const json& j) { return has_condition(j, "Complete"); });
  EXPECT_FALSE(done["spec"].contains("completions"))
      << "parallelism alone leaves completions unset";
  EXPECT_EQ(done["status"].value("succeeded", 0), 2);
  EXPECT_EQ(pods_of("queue").size(), 2u);
}

TEST_F(LocalJobs, DeletedRunningPodIsStoppedRecordedAndCountedAsAFailure) {
  PodEvents events(*client_);
  // The container ignores SIGTERM, so only the SIGKILL after the grace period ends it.
  create_job(shell_job("stubborn",
                       "trap 'echo got TERM' TERM; echo started; while true; do sleep 0.05; done",
                       {}, {{"template", {{"spec", {{"terminationGracePeriodSeconds", 1}}}}}}));
  const auto running = await_pod(
      "stubborn", [](const json& p) { return p["status"].value("phase", "") == "Running"; });
  const auto pod_name = running["metadata"].value("name", "");
  ASSERT_TRUE(client_->remove(resources::kPods, "default", pod_name).ok());
  const auto failed =
      await_job("stubborn", [](const json& j) { return has_condition(j, "Failed"); });
  EXPECT_TRUE(has_condition(failed, "Failed", "BackoffLimitExceeded"));
  EXPECT_EQ(failed["status"].value("failed", 0), 1);
  // Watchers saw how it ended before the pod went away.
  EXPECT_TRUE(testing::eventually([&] {
    return events.saw([&](const WatchEvent& e) {
      const auto& cs = e.object["status"].value("containerStatuses", json::array());
      return e.object["metadata"].value("name", "") == pod_name && !cs.empty() &&
             cs[0]["state"].contains("terminated") &&
             cs[0]["state"]["terminated"].value("exitCode", 0) == 137 &&
             cs[0]["state"]["terminated"].value("signal", 0) == 9;
    });
  }));
  EXPECT_TRUE(testing::eventually([&] { return pods_of("stubborn").empty(); }, kWait));
}

TEST_F(LocalJobs, DeadlineFailureCountsTheStoppedPod) {
  create_job(shell_job("late", "exec sleep 60", {}, {{"activeDeadlineSeconds", 1}}));
  const auto counted = await_job("late", [](const json& j) {
    return has_condition(j, "Failed") && j["status"].value("failed", 0) == 1;
  });
  EXPECT_TRUE(has_condition(counted, "Failed", "DeadlineExceeded"));
  EXPECT_FALSE(counted["status"].contains("active"));
}

TEST_F(LocalJobs, HugeDurationsDoNotOverflow) {
  create_job(
      shell_job("patient", "true", {},
                {{"activeDeadlineSeconds", 10000000000LL},
                 {"ttlSecondsAfterFinished", 10000000000LL},
                 {"template", {{"spec", {{"terminationGracePeriodSeconds", 9000000000LL}}}}}}));
  const auto done = await_job("patient", [](const json& j) {
    return has_condition(j, "Complete") || has_condition(j, "Failed");
  });
  EXPECT_TRUE(has_condition(done, "Complete")) << done["status"].dump();
  EXPECT_TRUE(client_->get(resources::kJobs, "default", "patient").ok()) << "TTL not yet due";
}

TEST_F(LocalJobs, MalformedObjectsAreRejectedOrHarmless) {
  const auto job_with = [](const std::string& name, const json& container_extra,
                           const json& spec_extra = json::object()) {
    return shell_job(name, "true", container_extra, spec_extra);
  };
  // Each is refused at the door with the field named.
  const std::vector<std::pair<json, std::string>> refused = {
      {job_with("b1", {{"env", {{{"name", "X"}, {"value", 3}}}}}), "env[0].value"},
      {job_with("b2", {{"image", 5}}), ".image"},
      {job_with("b3", {{"terminationMessagePolicy", 1}}), "terminationMessagePolicy"},
      {job_with("b4", {{"workingDir", 1}}), "workingDir"},
      {job_with("b5", {{"envFrom", {{{"prefix", 1}, {"configMapRef", {{"name", "c"}}}}}}}),
       "envFrom[0].prefix"},
      {job_with("b6", {{"env", {{{"name", "X"}, {"valueFrom", {{"secretKeyRef", "s"}}}}}}}),
       "valueFrom.secretKeyRef"},
      {job_with("b7",
                {{"env",
                  {{{"name", "X"},
                    {"valueFrom",
                     {{"secretKeyRef", {{"name", "s"}, {"key", "k"}, {"optional", "true"}}}}}}}}}),
       "optional"},
      {job_with("b8", {{"env", {{{"name", "X"}, {"valueFrom", {{"fieldRef", "metadata.name"}}}}}}}),
       "fieldRef"},
      {job_with("b9", json::object(), {{"suspend", "true"}}), "spec.suspend"},
      {job_with("b10", json::object(),
                {{"template", {{"spec", {{"terminationGracePeriodSeconds", "30"}}}}}}),
       "terminationGracePeriodSeconds"},
      {job_with("b11", json::object(), {{"template", {{"spec", {{"nodeName", 5}}}}}}), "nodeName"},
      {job_with("b12", json::object(), {{"completionMode", "Indexed"}}), "Indexed"},
      {job_with("b13", json::object(), {{"template", {{"metadata", {{"labels", {{"a", 1}}}}}}}}),
       "labels"},
  };
  for (const auto& [job, field] : refused) {
    auto result = client_->create(resources::kJobs, "default", job);
    ASSERT_FALSE(result.ok()) << job.dump();
    EXPECT_EQ(result.error().http_status, 422) << result.error().to_string();
    EXPECT_NE(result.error().message.find(field), std::string::npos)
        << field << " not named in: " << result.error().message;
  }
  auto bad_owner = client_->create(
      resources::kPods, "default",
      {{"apiVersion", "v1"},
       {"kind", "Pod"},
       {"metadata",
        {{"name", "owned"}, {"ownerReferences", {{{"kind", "Job"}, {"controller", "true"}}}}}},
       {"spec",
        {{"restartPolicy", "Never"}, {"containers", {{{"name", "c"}, {"command", {"true"}}}}}}}});
  ASSERT_FALSE(bad_owner.ok());
  EXPECT_EQ(bad_owner.error().http_status, 400);

  // Status is not validated (as on a cluster); garbage there must not hurt the controller.
  create_job(shell_job("scribbled", "exec sleep 60"));
  await_pod("scribbled", [](const json& p) { return p["status"].value("phase", "") == "Running"; });
  EXPECT_TRUE(
      client_
          ->patch_status(
              resources::kJobs, "default", "scribbled",
              {{"status", {{"conditions", {5, "x"}}, {"startTime", 5}, {"failed", "many"}}}},
              PatchType::kMerge)
          .ok());
  const auto pod_name = pods_of("scribbled")[0]["metadata"].value("name", "");
  EXPECT_TRUE(client_
                  ->patch_status(resources::kPods, "default", pod_name,
                                 {{"status", {{"phase", 3}, {"containerStatuses", "broken"}}}},
                                 PatchType::kMerge)
                  .ok());
  // Immutable fields of a Job stay so.
  auto changed = client_->patch(
      resources::kJobs, "default", "scribbled",
      {{"spec",
        {{"template",
          {{"spec", {{"containers", {{{"name", "main"}, {"command", {"false"}}}}}}}}}}}},
      PatchType::kMerge);
  ASSERT_FALSE(changed.ok());
  EXPECT_NE(changed.error().message.find("spec.template: Invalid value: field is immutable"),
            std::string::npos)
      << changed.error().message;
  // And the server still runs Jobs.
  create_job(shell_job("after", "true"));
  await_job("after", [](const json& j) { return has_condition(j, "Complete"); });
  ASSERT_TRUE(client_->remove(resources::kJobs, "default", "scribbled").ok());
}

TEST_F(LocalJobs, RetriesWaitForTheBackoff) {
  auto options = job_options();
  options.job_backoff = std::chrono::milliseconds(400);
  start(options);
  // Each try appends its start time (ns); the second must come a backoff after the first ended.
  create_job(shell_job("backoff", "date +%s%N >> " + file("starts") + "; exit 1", {},
                       {{"backoffLimit", 1}}));
  await_job("backoff", [](const json& j) { return has_condition(j, "Failed"); });
  std::istringstream starts(read("starts"));
  long long first = 0;
  long long second = 0;
  starts >> first >> second;
  ASSERT_GT(second, 0) << read("starts");
  EXPECT_GE(second - first, 400LL * 1000 * 1000) << "retried after " << (second - first) << " ns";
}

TEST_F(LocalJobs, CompletionsDoNotOverlap) {
  create_job(shell_job("serial",
                       "echo start $(date +%s%N) >> " + file("runs") +
                           "; sleep 0.05; echo end $(date +%s%N) >> " + file("runs"),
                       {}, {{"completions", 2}}));
  await_job("serial", [](const json& j) { return has_condition(j, "Complete"); });
  std::istringstream runs(read("runs"));
  std::vector<std::pair<std::string, long long>> marks;
  std::string what;
  long long when = 0;
  while (runs >> what >> when) marks.emplace_back(what, when);
  ASSERT_EQ(marks.size(), 4u) << read("runs");
  EXPECT_EQ(marks[0].first, "start");
  EXPECT_EQ(marks[1].first, "end");
  EXPECT_EQ(marks[2].first, "start");
  EXPECT_GE(marks[2].second, marks[1].second) << "parallelism 1: the second starts after the first";
}

TEST_F(LocalJobs, InvalidJobsAreRejectedWithTheField) {
  auto always = shell_job("always", "true");
  always["spec"]["template"]["spec"]["restartPolicy"] = "Always";
  auto result = client_->create(resources::kJobs, "default", always);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().http_status, 422);
  EXPECT_NE(result.error().message.find("spec.template.spec.restartPolicy"), std::string::npos)
      << result.error().message;

  auto empty = shell_job("empty", "true");
  empty["spec"]["template"]["spec"]["containers"] = json::array();
  result = client_->create(resources::kJobs, "default", empty);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().http_status, 422);
  EXPECT_NE(result.error().message.find("spec.template.spec.containers: Required value"),
            std::string::npos)
      << result.error().message;
}

TEST(LocalJobsRestart, StoppingTheServerEndsContainersAndRecordsHow) {
  testing::TempDir dir;
  std::string pod_name;
  pid_t pid = -1;
  {
    auto server = testing::start_server(job_options(dir.path().string()));
    ASSERT_NE(server, nullptr);
    Client client(testing::config_for(*server));
    ASSERT_TRUE(client
                    .create(resources::kJobs, "default",
                            shell_job("across", "exec sleep 60", {}, {{"backoffLimit", 0}}))
                    .ok());
    ASSERT_TRUE(testing::eventually(
        [&] {
          auto pods = client.list(resources::kPods, "default", {"job-name=across", ""});
          if (!pods.ok() || (*pods)["items"].empty()) return false;
          const auto& pod = (*pods)["items"][0];
          pod_name = pod["metadata"].value("name", "");
          pid = container_pid(pod);
          return pod["status"].value("phase", "") == "Running";
        },
        kWait));
    server->stop();  // SIGTERM to the container; its end is written before stop() returns
  }
  EXPECT_TRUE(process_gone(pid));
  auto server = testing::start_server(job_options(dir.path().string()));
  ASSERT_NE(server, nullptr);
  Client client(testing::config_for(*server));
  auto pod = client.get(resources::kPods, "default", pod_name);
  ASSERT_TRUE(pod.ok()) << pod.error().to_string();
  EXPECT_EQ((*pod)["status"]["phase"], "Failed");
  EXPECT_EQ((*pod)["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"], 143);
  // backoffLimit 0 and one failed pod: the Job fails once the new server's controller looks.
  EXPECT_TRUE(testing::eventually(
      [&] {
        auto job = client.get(resources::kJobs, "default", "across");
        return job.ok() && has_condition(*job, "Failed", "BackoffLimitExceeded");
      },
      kWait));
}

// A server that died while a container ran: on the next start the container's processes (still
// the same ones: pid and start time match) are killed and the pod is marked as lost.
TEST(LocalJobsRestart, ContainersOfACrashedServerAreStoppedAndMarkedLost) {
  testing::TempDir dir;
  process::SpawnOptions spawn;
  spawn.argv = {"/bin/sleep", "60"};
  auto orphan = process::Process::spawn(spawn);
  ASSERT_TRUE(orphan.process) << orphan.error;
  const pid_t pid = orphan.process->pid();
  {
    // Without --run-jobs the server only stores what it is told: a pod "running" that process.
    LocalApiServer::Options plain;
    plain.data_dir = dir.path().string();
    auto server = testing::start_server(plain);
    ASSERT_NE(server, nullptr);
    Client client(testing::config_for(*server));
    ASSERT_TRUE(client
                    .create(resources::kPods, "default",
                            {{"apiVersion", "v1"},
                             {"kind", "Pod"},
                             {"metadata", {{"name", "left-behind"}}},
                             {"spec",
                              {{"restartPolicy", "Never"},
                               {"containers", {{{"name", "c"}, {"command", {"sleep", "60"}}}}}}}})
                    .ok());
    const auto id =
        "localkube://" + std::to_string(pid) + "." + std::to_string(process::start_ticks(pid));
    ASSERT_TRUE(
        client
            .patch_status(
                resources::kPods, "default", "left-behind",
                {{"status",
                  {{"phase", "Running"},
                   {"containerStatuses",
                    {{{"name", "c"},
                      {"containerID", id},
                      {"state", {{"running", {{"startedAt", "2026-01-01T00:00:00Z"}}}}}}}}}}},
                PatchType::kMerge)
            .ok());
  }
  auto server = testing::start_server(job_options(dir.path().string()));
  ASSERT_NE(server, nullptr);
  const auto status = orphan.process->wait_for(kWait);
  ASSERT_TRUE(status.has_value()) << "the left-behind process was not stopped";
  EXPECT_EQ(status->signal, SIGKILL);
  Client client(testing::config_for(*server));
  EXPECT_TRUE(testing::eventually(
      [&] {
        auto pod = client.get(resources::kPods, "default", "left-behind");
        if (!pod.ok() || (*pod)["status"].value("phase", "") != "Failed") return false;
        const auto& terminated = (*pod)["status"]["containerStatuses"][0]["state"]["terminated"];
        return terminated.value("exitCode", 0) == 137 &&
               terminated.value("reason", "") == "ContainerStatusUnknown";
      },
      kWait));
}

}  // namespace
}  // namespace kopiur::kube
