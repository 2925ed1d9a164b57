// Pod volumes under kopiur-localkube's kubelet: PersistentVolumeClaims as kept host directories,
// Secret and ConfigMap keys as files, emptyDir and subPath, the mount table a container receives
// in KOPIUR_LOCAL_MOUNTS, a missing Secret keeping the pod waiting, unsupported types refused.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "kopiur/kube/client.hpp"

#include "kube/test_util.hpp"
#include "support/temp_dir.hpp"

namespace kopiur::kube {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr auto kVolumeWait = std::chrono::seconds(20);  // a failure bound only

class LocalVolumes : public ::testing::Test {
 protected:
  void SetUp() override {
    LocalApiServer::Options options;
    options.run_jobs = true;
    options.work_dir = (dir_.path() / "pods").string();
    options.volumes_dir = (dir_.path() / "volumes").string();
    options.job_backoff = std::chrono::milliseconds(20);
    server_ = testing::start_server(options);
    ASSERT_NE(server_, nullptr);
    client_ = std::make_unique<Client>(testing::config_for(*server_));
  }

  void create(const ResourceId& resource, const json& object) {
    auto created = client_->create(resource, "default", object);
    ASSERT_TRUE(created.ok()) << created.error().to_string();
  }

  // A bare pod running `script`, printing its mount table as the termination message.
  json pod(const std::string& name, const std::string& script, const json& mounts,
           const json& volumes) {
    return {{"apiVersion", "v1"},
            {"kind", "Pod"},
            {"metadata", {{"name", name}}},
            {"spec",
             {{"restartPolicy", "Never"},
              {"volumes", volumes},
              {"containers",
               {{{"name", "main"},
                 {"image", "kopiur:test"},
                 {"command", {"/bin/sh", "-c", script}},
                 {"volumeMounts", mounts}}}}}}};
  }

  json await_pod(const std::string& name, const std::function<bool(const json&)>& pred) {
    json last;
    const bool held = testing::eventually(
        [&] {
          auto got = client_->get(resources::kPods, "default", name);
          if (!got.ok()) return false;
          last = *got;
          return pred(last);
        },
        kVolumeWait);
    EXPECT_TRUE(held) << "pod " << name << " never reached the state; last:\n" << last.dump(2);
    return last;
  }

  static std::string phase(const json& p) {
    return p.value("status", json::object()).value("phase", "");
  }
  static json container_state(const json& p) {
    const auto statuses =
        p.value("status", json::object()).value("containerStatuses", json::array());
    return statuses.empty() ? json::object() : statuses[0].value("state", json::object());
  }

  testing::TempDir dir_;
  std::unique_ptr<LocalApiServer> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(LocalVolumes, EachVolumeTypeIsAHostDirectoryNamedInTheMountTable) {
  create(resources::kSecrets,
         {{"metadata", {{"name", "creds"}}}, {"stringData", {{"KOPIA_PASSWORD", "s3cret"}}}});
  create(resources::kConfigMaps,
         {{"metadata", {{"name", "work"}}}, {"data", {{"spec", "{\"op\":1}"}, {"other", "x"}}}});
  // Data a PersistentVolumeClaim already holds before the pod starts (a user's PVC).
  fs::create_directories(dir_.path() / "volumes/default/app-data");
  std::ofstream(dir_.path() / "volumes/default/app-data/seed.txt") << "seeded";

  const json mounts = {
      {{"name", "data"}, {"mountPath", "/data"}},
      {{"name", "secret"}, {"mountPath", "/etc/kopiur/secret"}, {"readOnly", true}},
      {{"name", "work"}, {"mountPath", "/etc/kopiur/work"}},
      {{"name", "scratch"}, {"mountPath", "/scratch"}, {"subPath", "a/b"}}};
  const json volumes = {
      {{"name", "data"}, {"persistentVolumeClaim", {{"claimName", "app-data"}}}},
      {{"name", "secret"}, {"secret", {{"secretName", "creds"}, {"defaultMode", 0400}}}},
      {{"name", "work"},
       {"configMap", {{"name", "work"}, {"items", {{{"key", "spec"}, {"path", "work.json"}}}}}}},
      {{"name", "scratch"}, {"emptyDir", json::object()}}};
  create(resources::kPods,
         pod("mounts", R"(printf '%s' "$KOPIUR_LOCAL_MOUNTS" > "$KOPIUR_TERMINATION_MESSAGE_PATH")",
             mounts, volumes));
  const auto done = await_pod("mounts", [](const json& p) { return phase(p) == "Succeeded"; });
  const auto message = container_state(done)["terminated"].value("message", "");
  const auto table = json::parse(message, nullptr, false);
  ASSERT_TRUE(table.is_object()) << message;

  EXPECT_EQ(table.value("/data", ""), (dir_.path() / "volumes/default/app-data").string());
  EXPECT_EQ(test::read_file(table.value("/data", "") + "/seed.txt"), "seeded");
  const fs::path secret = table.value("/etc/kopiur/secret", "");
  EXPECT_EQ(test::read_file((secret / "KOPIA_PASSWORD").string()), "s3cret");
  EXPECT_EQ(fs::status(secret / "KOPIA_PASSWORD").permissions() & fs::perms::all,
            fs::perms::owner_read);
  const fs::path work = table.value("/etc/kopiur/work", "");
  EXPECT_EQ(test::read_file((work / "work.json").string()), "{\"op\":1}");
  EXPECT_FALSE(fs::exists(work / "other")) << "items lists only the keys to project";
  const std::string scratch = table.value("/scratch", "");
  EXPECT_TRUE(scratch.ends_with("/volumes/scratch/a/b")) << scratch;
}

// The kubelet reads the message from the container's own terminationMessagePath: inside a volume
// mounted over it, or the path itself on this machine.
TEST_F(LocalVolumes, TheTerminationMessageComesFromTheDeclaredPath) {
  // The container writes through the mount's host directory, as a program here reads it from
  // KOPIUR_LOCAL_MOUNTS; the kubelet finds it from the declared /results/message.
  const auto results = dir_.path() / "results";
  fs::create_directories(results);
  auto in_volume = pod("in-volume", "printf 'from the volume' > " + (results / "message").string(),
                       {{{"name", "results"}, {"mountPath", "/results"}}},
                       {{{"name", "results"}, {"hostPath", {{"path", results.string()}}}}});
  in_volume["spec"]["containers"][0]["terminationMessagePath"] = "/results/message";
  create(resources::kPods, in_volume);
  const auto host_file = (dir_.path() / "host-message").string();
  auto on_host =
      pod("on-host", "printf 'from the host path' > " + host_file, json::array(), json::array());
  on_host["spec"]["containers"][0]["terminationMessagePath"] = host_file;
  create(resources::kPods, on_host);
  for (const auto& [name, expected] :
       {std::pair{"in-volume", "from the volume"}, std::pair{"on-host", "from the host path"}}) {
    const auto done = await_pod(name, [](const json& p) { return phase(p) == "Succeeded"; });
    EXPECT_EQ(container_state(done)["terminated"].value("message", ""), expected) << name;
  }
}

TEST_F(LocalVolumes, AClaimKeepsItsDataAcrossPods) {
  const json mounts = {{{"name", "data"}, {"mountPath", "/data"}}};
  const json volumes = {{{"name", "data"}, {"persistentVolumeClaim", {{"claimName", "shared"}}}}};
  // The writer finds its directory through the table (sed takes the one value out of the JSON).
  const std::string write =
      R"sh(dir=$(printf '%s' "$KOPIUR_LOCAL_MOUNTS" | sed 's/.*"\/data":"\([^"]*\)".*/\1/'); )sh"
      R"sh(echo restored > "$dir/file.txt")sh";
  create(resources::kPods, pod("writer", write, mounts, volumes));
  await_pod("writer", [](const json& p) { return phase(p) == "Succeeded"; });
  auto deleted = client_->remove(resources::kPods, "default", "writer");
  ASSERT_TRUE(deleted.ok()) << deleted.error().to_string();
  EXPECT_EQ(test::read_file((dir_.path() / "volumes/default/shared/file.txt").string()),
            "restored\n");
}

TEST_F(LocalVolumes, AMissingSecretKeepsThePodWaitingUntilItExists) {
  const json mounts = {{{"name", "secret"}, {"mountPath", "/etc/secret"}}};
  const json volumes = {{{"name", "secret"}, {"secret", {{"secretName", "later"}}}}};
  create(resources::kPods, pod("waits", "exit 0", mounts, volumes));
  const auto waiting =
      await_pod("waits", [](const json& p) { return container_state(p).contains("waiting"); });
  EXPECT_EQ(phase(waiting), "Pending");
  const auto state = container_state(waiting)["waiting"];
  EXPECT_EQ(state.value("reason", ""), "ContainerCreating");
  EXPECT_EQ(state.value("message", ""),
            "MountVolume.SetUp failed for volume \"secret\" : secret \"later\" not found");

  create(resources::kSecrets, {{"metadata", {{"name", "later"}}}, {"stringData", {{"k", "v"}}}});
  await_pod("waits", [](const json& p) { return phase(p) == "Succeeded"; });
}

TEST_F(LocalVolumes, UnsupportedVolumeTypesAndEscapingPathsFailThePodWithTheReason) {
  const json mounts = {{{"name", "remote"}, {"mountPath", "/remote"}}};
  const json nfs = {{{"name", "remote"}, {"nfs", {{"server", "nas"}, {"path", "/export"}}}}};
  create(resources::kPods, pod("nfs", "exit 0", mounts, nfs));
  const auto failed = await_pod("nfs", [](const json& p) { return phase(p) == "Failed"; });
  EXPECT_NE(
      failed["status"].value("message", "").find("volume \"remote\" of type nfs is not supported"),
      std::string::npos)
      << failed["status"].dump();

  const json escaping = {{{"name", "data"}, {"mountPath", "/data"}, {"subPath", "../../etc"}}};
  const json claim = {{{"name", "data"}, {"persistentVolumeClaim", {{"claimName", "c"}}}}};
  create(resources::kPods, pod("escape", "exit 0", escaping, claim));
  const auto refused = await_pod("escape", [](const json& p) { return phase(p) == "Failed"; });
  EXPECT_NE(refused["status"].value("message", "").find("subPath \"../../etc\" must be relative"),
            std::string::npos)
      << refused["status"].dump();
}

}  // namespace
}  // namespace kopiur::kube
