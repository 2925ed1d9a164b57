// kubeconfig and in-cluster configuration.
#include "kopiur/kube/config.hpp"

#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

#include "kopiur/kube/client.hpp"

#include "kube/test_util.hpp"

namespace kopiur::kube {
namespace {

using testing::TempDir;

void write(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

// base64 of "CA-PEM", "CERT", "KEY".
constexpr const char* kKubeconfig = R"(apiVersion: v1
kind: Config
current-context: prod
contexts:
- name: prod
  context: {cluster: prod-cluster, user: prod-user, namespace: backups}
- name: dev
  context: {cluster: dev-cluster, user: dev-user}
clusters:
- name: prod-cluster
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority-data: Q0EtUEVN
- name: dev-cluster
  cluster:
    server: https://dev.example:443
    certificate-authority: certs/ca.pem
    insecure-skip-tls-verify: true
users:
- name: prod-user
  user:
    client-certificate-data: Q0VSVA==
    client-key-data: S0VZ
    token: static-token
- name: dev-user
  user:
    client-certificate: certs/dev.crt
    client-key: /abs/missing.key
    tokenFile: token
)";

TEST(KubeConfig, CurrentContextWithInlineData) {
  auto config = load_kubeconfig_text(kKubeconfig, "/nowhere");
  ASSERT_TRUE(config.ok()) << config.error().to_string();
  EXPECT_EQ(config->server, "https://10.0.0.1:6443");
  EXPECT_EQ(config->ca_pem, "CA-PEM");
  EXPECT_EQ(config->client_cert_pem, "CERT");
  EXPECT_EQ(config->client_key_pem, "KEY");
  EXPECT_EQ(config->token, "static-token");
  EXPECT_EQ(config->namespace_, "backups");
  EXPECT_FALSE(config->insecure_skip_tls_verify);
}

TEST(KubeConfig, NamedContextWithFilesRelativeToTheKubeconfig) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "certs");
  write(dir.path() / "certs/ca.pem", "FILE-CA");
  write(dir.path() / "certs/dev.crt", "FILE-CERT");
  write(dir.path() / "kubeconfig", kKubeconfig);
  // The key file is missing: the error must name it.
  auto missing = load_kubeconfig((dir.path() / "kubeconfig").string(), "dev");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().to_string().find("client-key file /abs/missing.key"), std::string::npos)
      << missing.error().to_string();

  std::string text = kKubeconfig;
  text.replace(text.find("/abs/missing.key"), 16, "certs/dev.key");
  write(dir.path() / "certs/dev.key", "FILE-KEY");
  write(dir.path() / "kubeconfig", text);
  auto config = load_kubeconfig((dir.path() / "kubeconfig").string(), "dev");
  ASSERT_TRUE(config.ok()) << config.error().to_string();
  EXPECT_EQ(config->ca_pem, "FILE-CA");
  EXPECT_EQ(config->client_cert_pem, "FILE-CERT");
  EXPECT_EQ(config->client_key_pem, "FILE-KEY");
  EXPECT_TRUE(config->insecure_skip_tls_verify);
  EXPECT_EQ(config->token_file, (dir.path() / "token").string());
  EXPECT_EQ(config->namespace_, "default");
}

TEST(KubeConfig, ActionableErrors) {
  auto r = load_kubeconfig_text(kKubeconfig, "", "staging");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("context \"staging\" not found"), std::string::npos);

  std::string text = kKubeconfig;
  text.replace(text.find("Q0EtUEVN"), 8, "Q0E*UEVN");
  r = load_kubeconfig_text(text, "");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("certificate-authority-data is not valid base64"),
            std::string::npos);

  r = load_kubeconfig_text("clusters: [", "");
  ASSERT_FALSE(r.ok());
  r = load_kubeconfig("/definitely/not/here");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().step, "read kubeconfig /definitely/not/here");
}

// Found by kopiur_kubeconfig_fuzz: a member of the wrong YAML type (`name:` is null, `server: 5`)
// threw nlohmann::json::type_error out of the loader. Each is now an error naming the member.
TEST(KubeConfig, MembersOfTheWrongTypeAreErrorsNamingThem) {
  const std::string base = R"(current-context: dev
clusters:
- name: local
  cluster: {server: "https://127.0.0.1:6443"}
users:
- {name: admin, user: {token: abc}}
contexts:
)";
  auto r = load_kubeconfig_text(base + "- name:\n  context: {cluster: local}\n", "");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("context \"dev\" not found"), std::string::npos);

  const std::pair<std::string, std::string> cases[] = {
      {"- {name: dev, context: {cluster: local, namespace: [a]}}",
       "contexts[dev].context.namespace must be a string, not array"},
      {"- {name: dev, context: 7}", "contexts[dev].context must be a mapping, not number"},
      {"- {name: dev, context: {cluster: local, user: {a: b}}}",
       "contexts[dev].context.user must be a string, not object"},
  };
  for (const auto& [context, expected] : cases) {
    r = load_kubeconfig_text(base + context + "\n", "");
    ASSERT_FALSE(r.ok()) << context;
    EXPECT_NE(r.error().message.find(expected), std::string::npos) << r.error().message;
  }
  r = load_kubeconfig_text(
      "current-context: dev\ncontexts: [{name: dev, context: {cluster: c}}]\n"
      "clusters: [{name: c, cluster: {server: 5, insecure-skip-tls-verify: maybe}}]\n",
      "");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("clusters[c].cluster.server must be a string"),
            std::string::npos)
      << r.error().message;
  r = load_kubeconfig_text(
      "current-context: dev\ncontexts: [{name: dev, context: {cluster: c, user: u}}]\n"
      "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
      "users: [{name: u, user: {client-certificate-data: [x]}}]\n",
      "");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("users[u].user.client-certificate-data must be a string"),
            std::string::npos)
      << r.error().message;
  r = load_kubeconfig_text("current-context: [x]\n", "");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("kubeconfig.current-context must be a string"),
            std::string::npos)
      << r.error().message;
}

TEST(KubeConfig, InClusterReadsTheServiceAccount) {
  TempDir dir;
  write(dir.path() / "token", "sa-token\n");
  write(dir.path() / "ca.crt", "SA-CA");
  write(dir.path() / "namespace", "kopiur-system\n");
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  auto missing = in_cluster_config(dir.path().string());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("KUBERNETES_SERVICE_HOST"), std::string::npos);

  ::setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
  ::setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  auto config = in_cluster_config(dir.path().string());
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  ::unsetenv("KUBERNETES_SERVICE_PORT");
  ASSERT_TRUE(config.ok()) << config.error().to_string();
  EXPECT_EQ(config->server, "https://10.96.0.1:443");
  EXPECT_EQ(config->ca_pem, "SA-CA");
  EXPECT_EQ(config->namespace_, "kopiur-system");
  EXPECT_EQ(config->token_file, (dir.path() / "token").string());
}

TEST(KubeClient, TransportErrorsNameTheStep) {
  Config config;
  config.server = "ftp://x";
  Client bad_scheme(config);
  auto r = bad_scheme.get(resources::kNamespaces, "", "default");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().to_string().find("GET /api/v1/namespaces/default"), std::string::npos);
  EXPECT_NE(r.error().message.find("not an http:// or https:// URL"), std::string::npos);

  config.server = "https://127.0.0.1:1";
  config.ca_pem = "not a certificate";
  Client bad_ca(config);
  r = bad_ca.get(resources::kNamespaces, "", "default");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("no PEM certificate"), std::string::npos);

  config.ca_pem.clear();
  config.token_file = "/no/such/token";
  Client bad_token(config);
  r = bad_token.get(resources::kNamespaces, "", "default");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().step, "read token file /no/such/token");
}

}  // namespace
}  // namespace kopiur::kube
