// The generated CRDs through the real kubectl and the local API server, with no webhook: explicit
// nulls where the schema says nullable, the exactly-one rules, every field added for users of the
// original operator, and allowedNamespaceCount only on ClusterRepository.
#include <string>

#include <gtest/gtest.h>

#include "kube/kubectl_fixture.hpp"

namespace kopiur::kube {
namespace {

using testing::KubectlTest;

constexpr const char* kHeader = "apiVersion: kopiur.home-operations.com/v1alpha1\n";

std::string repository(const std::string& name, const std::string& backend_yaml) {
  return std::string(kHeader) + "kind: Repository\nmetadata:\n  name: " + name +
         "\n  namespace: default\nspec:\n  backend:\n" + backend_yaml +
         "  encryption:\n    passwordSecretRef:\n      name: pw\n      key: password\n";
}

class KubectlCrdTest : public KubectlTest {
 protected:
  void SetUp() override {
    KubectlTest::SetUp();
    if (HasFatalFailure()) return;
    const auto out = kubectl("apply -f " + path("deploy/crds/"));
    ASSERT_EQ(out.code, 0) << out.text;
  }

  // Applies `yaml` and expects a rejection carrying every one of `messages`; nothing is stored.
  void expect_rejected(const std::string& yaml, const std::string& get,
                       const std::vector<std::string>& messages) {
    const auto out = kubectl("apply -f " + write("rejected.yaml", yaml));
    EXPECT_NE(out.code, 0) << out.text;
    for (const auto& message : messages) {
      EXPECT_NE(out.text.find(message), std::string::npos) << message << "\nnot in:\n" << out.text;
    }
    EXPECT_NE(kubectl("get " + get).code, 0) << get << " was stored";
  }
};

// `mode:` left empty in YAML is an explicit null; a real API server accepts it only because the
// enum lists null. The same for every nullable enum of the spec, and for a status write.
TEST_F(KubectlCrdTest, ExplicitNullEnumsAreAccepted) {
  const auto file = write(
      "nulls.yaml",
      repository("nulls", "    filesystem:\n      path: /r\n") + "  mode:\n---\n" + kHeader +
          "kind: BackupConfig\nmetadata:\n  name: nulls\n  namespace: default\nspec:\n"
          "  repository:\n    kind: Repository\n    name: nulls\n  sources:\n  - pvc: data\n"
          "  copyMethod:\n  groupBy:\n  defaultDeletionPolicy:\n---\n" +
          kHeader +
          "kind: Backup\nmetadata:\n  name: nulls\n  namespace: default\nspec:\n"
          "  deletionPolicy:\n---\n" +
          kHeader +
          "kind: BackupSchedule\nmetadata:\n  name: nulls\n  namespace: default\nspec:\n"
          "  configRef:\n    name: nulls\n  schedule:\n    cron: '@daily'\n"
          "    concurrencyPolicy:\n---\n" +
          kHeader +
          "kind: Restore\nmetadata:\n  name: nulls\n  namespace: default\nspec:\n"
          "  source:\n    backupRef:\n      name: nulls\n  target:\n    pvcRef:\n      name: d\n"
          "  policy:\n    onMissingSnapshot:\n---\n" +
          kHeader +
          "kind: Maintenance\nmetadata:\n  name: nulls\n  namespace: default\nspec:\n"
          "  repository:\n    kind: Repository\n    name: nulls\n"
          "  ownership:\n    owner: me\n    takeoverPolicy:\n"
          "  schedule:\n    quick:\n      cron: '@hourly'\n    full:\n      cron: '@weekly'\n");
  // `create` sends the nulls as written (client-side `apply` drops them before creating).
  auto out = kubectl("create -f " + file);
  ASSERT_EQ(out.code, 0) << out.text;
  out = kubectl("get repository nulls -o jsonpath={.spec}");
  ASSERT_EQ(out.code, 0) << out.text;
  EXPECT_NE(out.text.find("\"mode\":null"), std::string::npos)
      << "the null reached the server: " << out.text;

  // A status write of phase: null and origin: null (a JSON patch keeps the null; a merge patch
  // would delete the key instead).
  out = kubectl(
      "patch backup nulls --subresource status --type json -p "
      "'[{\"op\":\"add\",\"path\":\"/status\",\"value\":{\"phase\":null,\"origin\":null}}]'");
  ASSERT_EQ(out.code, 0) << out.text;
  out = kubectl("get backup nulls -o jsonpath={.status}");
  EXPECT_NE(out.text.find("\"phase\":null"), std::string::npos) << out.text;
  out = kubectl(
      "patch repository nulls --subresource status --type json -p "
      "'[{\"op\":\"add\",\"path\":\"/status\",\"value\":{\"phase\":null}}]'");
  EXPECT_EQ(out.code, 0) << out.text;

  // A value outside the enum is still refused.
  out = kubectl("patch repository nulls --type merge -p '{\"spec\":{\"mode\":\"Sometimes\"}}'");
  EXPECT_NE(out.code, 0);
  EXPECT_NE(out.text.find("spec.mode"), std::string::npos) << out.text;
}

TEST_F(KubectlCrdTest, ExactlyOneRulesHoldWithoutTheWebhook) {
  const std::string backend_rule =
      "spec.backend: Invalid value: \"object\": exactly one of s3, gcs, azure, b2, filesystem, "
      "sftp, webDav, rclone must be set";
  expect_rejected(repository("none", "    {}\n"), "repository none",
                  {"The Repository \"none\" is invalid: " + backend_rule});
  expect_rejected(repository("two", "    s3:\n      bucket: b\n    filesystem:\n      path: /r\n"),
                  "repository two", {backend_rule});
  // An explicit null is unset (a real API server prunes it: these members are not nullable).
  auto out =
      kubectl("apply -f " + write("null-backend.yaml", repository("one",
                                                                  "    s3:\n      bucket: b\n"
                                                                  "    filesystem:\n")));
  EXPECT_EQ(out.code, 0) << out.text;

  expect_rejected(std::string(kHeader) +
                      "kind: Restore\nmetadata:\n  name: r\n  namespace: default\nspec:\n"
                      "  source:\n    fromConfig:\n      name: c\n    backupRef:\n      name: b\n"
                      "  target: {}\n",
                  "restore r",
                  {"spec.source: Invalid value: \"object\": exactly one of fromConfig, backupRef, "
                   "snapshot must be set",
                   "spec.target: Invalid value: \"object\": exactly one of pvc, pvcRef must be "
                   "set"});
  expect_rejected(std::string(kHeader) +
                      "kind: BackupConfig\nmetadata:\n  name: c\n  namespace: default\nspec:\n"
                      "  repository:\n    kind: Repository\n    name: one\n  sources:\n"
                      "  - pvc: data\n  - pvc: logs\n    nfs:\n      server: nas\n"
                      "      path: /export\n",
                  "backupconfig c",
                  {"spec.sources[1]: Invalid value: \"object\": exactly one of pvc, pvcSelector, "
                   "nfs must be set"});
}

TEST_F(KubectlCrdTest, EveryAddedFieldIsStoredAndServed) {
  const std::string cache =
      "  cacheDefaults:\n    capacity: 5Gi\n    storageClassName: fast\n"
      "    metadataCacheSizeMb: 256\n    contentCacheSizeMb: 1024\n    mode: Persistent\n";
  const std::string maintenance =
      "  maintenance:\n    enabled: true\n    takeoverPolicy: PromptCondition\n"
      "    namespace: kopiur-system\n    failurePolicy:\n      backoffLimit: 2\n"
      "    schedule:\n      quick:\n        cron: '@hourly'\n      full:\n        cron: "
      "'@weekly'\n";
  const auto file = write(
      "added.yaml",
      repository("full", "    s3:\n      bucket: b\n") + cache + maintenance +
          "  create:\n    enabled: true\n    ecc:\n      algorithm: REED-SOLOMON-CRC32\n"
          "      overheadPercent: 2\n---\n" +
          kHeader +
          "kind: ClusterRepository\nmetadata:\n  name: full\nspec:\n  backend:\n"
          "    s3:\n      bucket: b\n  encryption:\n    passwordSecretRef:\n      name: pw\n"
          "      key: password\n  allowedNamespaces: [default]\n  identityDefaults:\n"
          "    hostnameTemplate: '{{ .Namespace }}'\n"
          "    usernameTemplate: '{{ .Namespace }}-{{ .ConfigName }}'\n" +
          cache + maintenance + "---\n" + kHeader +
          "kind: BackupConfig\nmetadata:\n  name: full\n  namespace: default\nspec:\n"
          "  repository:\n    kind: ClusterRepository\n    name: full\n"
          "  identity:\n    username: db\n    hostname: prod\n  groupBy: None\n"
          "  credentialProjection:\n    enabled: true\n  sources:\n"
          "  - pvc: data\n    pathStrategy: PvcNamespacedName\n"
          "  - nfs:\n      server: nas\n      path: /export\n---\n" +
          kHeader +
          "kind: Restore\nmetadata:\n  name: full\n  namespace: default\nspec:\n"
          "  source:\n    fromConfig:\n      name: full\n  target:\n    pvcRef:\n      name: d\n"
          "  options:\n    enableFileDeletion: true\n    ignorePermissionErrors: false\n"
          "    writeFilesAtomically: true\n  credentialProjection:\n    enabled: true\n---\n" +
          kHeader +
          "kind: Maintenance\nmetadata:\n  name: full\n  namespace: default\nspec:\n"
          "  repository:\n    kind: Repository\n    name: full\n  ownership:\n    owner: me\n"
          "  schedule:\n    quick:\n      cron: '@hourly'\n    full:\n      cron: '@weekly'\n"
          "  failurePolicy:\n    activeDeadlineSeconds: 3600\n"
          "  credentialProjection:\n    enabled: true\n");
  auto out = kubectl("apply -f " + file);
  ASSERT_EQ(out.code, 0) << out.text;

  const std::vector<std::pair<std::string, std::string>> reads = {
      {"repository full -o jsonpath={.spec.cacheDefaults.mode}", "Persistent"},
      {"repository full -o jsonpath={.spec.maintenance.schedule.full.cron}", "@weekly"},
      {"repository full -o jsonpath={.spec.create.ecc.overheadPercent}", "2"},
      {"clusterrepository full -o jsonpath={.spec.identityDefaults.hostnameTemplate}",
       "{{ .Namespace }}"},
      {"clusterrepository full -o jsonpath={.spec.maintenance.takeoverPolicy}", "PromptCondition"},
      {"backupconfig full -o jsonpath={.spec.identity.username}", "db"},
      {"backupconfig full -o jsonpath={.spec.groupBy}", "None"},
      {"backupconfig full -o jsonpath={.spec.credentialProjection.enabled}", "true"},
      {"backupconfig full -o jsonpath={.spec.sources[0].pathStrategy}", "PvcNamespacedName"},
      {"backupconfig full -o jsonpath={.spec.sources[1].nfs.server}", "nas"},
      {"restore full -o jsonpath={.spec.options.enableFileDeletion}", "true"},
      {"restore full -o jsonpath={.spec.credentialProjection.enabled}", "true"},
      {"maintenance full -o jsonpath={.spec.failurePolicy.activeDeadlineSeconds}", "3600"},
      {"maintenance full -o jsonpath={.spec.credentialProjection.enabled}", "true"},
  };
  for (const auto& [args, expected] : reads) {
    out = kubectl("get " + args);
    EXPECT_EQ(out.code, 0) << args << ": " << out.text;
    EXPECT_EQ(out.text, expected) << args;
  }

  // status.resolved on BackupConfig and Backup, written as a controller would.
  out = kubectl(
      "patch backupconfig full --subresource status --type merge -p "
      "'{\"status\":{\"resolved\":{\"identity\":{\"username\":\"db\",\"hostname\":\"prod\"},"
      "\"sources\":[{\"pvc\":\"data\",\"sourcePath\":\"/pvc/default/data\"}]}}}'");
  ASSERT_EQ(out.code, 0) << out.text;
  out = kubectl("get backupconfig full -o jsonpath={.status.resolved.sources[0].sourcePath}");
  EXPECT_EQ(out.text, "/pvc/default/data");
  out = kubectl("create -f " + write("backup.yaml", std::string(kHeader) +
                                                        "kind: Backup\nmetadata:\n  name: full\n"
                                                        "  namespace: default\nspec:\n"
                                                        "  configRef:\n    name: full\n"));
  ASSERT_EQ(out.code, 0) << out.text;
  out = kubectl(
      "patch backup full --subresource status --type merge -p "
      "'{\"status\":{\"resolved\":{\"repository\":{\"kind\":\"ClusterRepository\","
      "\"name\":\"full\"},\"sources\":[{\"pvc\":\"data\"}]}}}'");
  ASSERT_EQ(out.code, 0) << out.text;
  out = kubectl("get backup full -o jsonpath={.status.resolved.repository.kind}");
  EXPECT_EQ(out.text, "ClusterRepository");

  // ClusterRepository's allowedNamespaces is required, as in the original.
  out = kubectl(
      "patch clusterrepository full --type json -p "
      "'[{\"op\":\"remove\",\"path\":\"/spec/allowedNamespaces\"}]'");
  EXPECT_NE(out.code, 0);
  EXPECT_NE(out.text.find("spec.allowedNamespaces"), std::string::npos) << out.text;
}

TEST_F(KubectlCrdTest, AllowedNamespaceCountIsOnlyOnClusterRepositoryStatus) {
  auto out = kubectl("apply -f " + path("deploy/examples/"));
  ASSERT_EQ(out.code, 0) << out.text;
  out = kubectl(
      "patch clusterrepository shared-nfs --subresource status --type merge -p "
      "'{\"status\":{\"allowedNamespaceCount\":2}}'");
  ASSERT_EQ(out.code, 0) << out.text;
  out = kubectl("get clusterrepository shared-nfs");
  EXPECT_NE(out.text.find("NAMESPACES"), std::string::npos) << out.text;
  // Not a Repository status field: `kubectl patch` asks for no fieldValidation, so as on a real
  // server (Warn) it is dropped with a warning, and refused when Strict is asked for.
  out = kubectl(
      "patch repository s3-repo --subresource status --type merge -p "
      "'{\"status\":{\"allowedNamespaceCount\":2}}'");
  EXPECT_EQ(out.code, 0) << out.text;
  EXPECT_NE(out.text.find("Warning: unknown field \"status.allowedNamespaceCount\""),
            std::string::npos)
      << out.text;
  EXPECT_EQ(kubectl("get repository s3-repo -o jsonpath={.status.allowedNamespaceCount}").text, "");
  out = kubectl("replace --subresource status --validate=strict -f " +
                write("status.json",
                      "{\"apiVersion\":\"kopiur.home-operations.com/v1alpha1\","
                      "\"kind\":\"Repository\",\"metadata\":{\"name\":\"s3-repo\","
                      "\"namespace\":\"default\"},\"status\":{\"allowedNamespaceCount\":2}}"));
  EXPECT_NE(out.code, 0);
  EXPECT_NE(out.text.find("strict decoding error: unknown field \"status.allowedNamespaceCount\""),
            std::string::npos)
      << out.text;
}

}  // namespace
}  // namespace kopiur::kube
