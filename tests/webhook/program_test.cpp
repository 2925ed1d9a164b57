// kopiur-webhook as the API server and Prometheus meet it: HTTPS with a test CA (curl), POST
// /validate allowing and denying, the exact metric lines on /metrics, /healthz and /readyz, a
// body over 3 MiB, certificate rotation, plain HTTP only on request, and start-up flag errors.
#include <gtest/gtest.h>

#include "kopiur/api/crd.hpp"
#include "kopiur/api/kinds.hpp"
#include "kopiur/kube/client.hpp"
#include "kopiur/localkube/server.hpp"
#include "kopiur/webhook/admission.hpp"

#include "program_fixture.hpp"

namespace kopiur::webhook::test {
namespace {

using namespace std::chrono_literals;
using kopiur::test::ChildProcess;
using kopiur::test::program_path;
using kopiur::test::run_program;

TEST_F(WebhookProgram, ValidatesOverHttpsAndCountsEveryAnswer) {
  EXPECT_EQ(curl({"/healthz"}).out, "ok");
  EXPECT_EQ(status_, 200);
  const json allowed = validate(review(restore(), "CREATE", nullptr, "r-1"));
  EXPECT_EQ(status_, 200);
  EXPECT_EQ(allowed["response"]["uid"], "r-1");
  EXPECT_EQ(allowed["response"]["allowed"], true);
  // Without cluster access references are unchecked, and the answer says so.
  EXPECT_EQ(allowed["response"]["warnings"],
            json::array({"references not checked: kopiur-webhook runs without access to the "
                         "cluster"}));

  json bad = maintenance();
  bad["spec"]["schedule"]["full"]["cron"] = "0 0 31 4 *";
  const json denied = validate(review(bad, "CREATE", nullptr, "m-1"));
  EXPECT_EQ(denied["response"]["allowed"], false);
  EXPECT_EQ(denied["response"]["status"]["code"], 403);
  EXPECT_EQ(denied["response"]["status"]["message"],
            "Maintenance \"store\" is invalid: spec.schedule.full.cron: \"0 0 31 4 *\" never runs: "
            "day-of-month "
            "31 does not occur in APR");

  const auto not_json = curl({"/validate", "--data-binary", "hello"});
  EXPECT_EQ(status_, 400);
  EXPECT_NE(not_json.out.find("request body is not JSON"), std::string::npos) << not_json.out;

  // A body over Kubernetes' 3 MiB request limit is refused before it is read.
  kopiur::test::write_file_atomically(dir_.file("big"), std::string(kMaxReviewBytes + 1, ' '));
  curl({"/validate", "--data-binary", "@" + dir_.file("big")});
  EXPECT_EQ(status_, 413);

  const auto metrics = curl({"/metrics"});
  EXPECT_EQ(status_, 200);
  for (const char* line :
       {"kopiur_webhook_admission_total{decision=\"allowed\",kind=\"Restore\"} 1",
        "kopiur_webhook_admission_total{decision=\"denied\",kind=\"Maintenance\"} 1",
        "kopiur_webhook_admission_duration_seconds_count{kind=\"Restore\"} 1",
        "kopiur_webhook_malformed_requests_total{reason=\"not_json\"} 1",
        "kopiur_webhook_malformed_requests_total{reason=\"too_large\"} 1"}) {
    EXPECT_NE(metrics.out.find(std::string("\n") + line + "\n"), std::string::npos) << line << "\n"
                                                                                    << metrics.out;
  }
  // And the exposition passes Prometheus' own linter.
  kopiur::test::write_file_atomically(dir_.file("metrics.txt"), metrics.out);
  const auto lint =
      run_program("/bin/sh", {"-c", "promtool check metrics < '" + dir_.file("metrics.txt") + "'"});
  EXPECT_EQ(lint.exit_code, 0) << lint.out << lint.err;
  EXPECT_NE(webhook_->out().find("no cluster access: references are not checked"),
            std::string::npos)
      << webhook_->out();
}

TEST_F(WebhookProgram, PicksUpARotatedCertificate) {
  EXPECT_EQ(kopiur::test::fetch_peer_certificate(port_, dir_.file("ca.crt")).serial, 1);
  const auto next = ca_.issue("kopiur-webhook", 2);
  kopiur::test::write_file_atomically(dir_.file("tls.key"), next.key);
  kopiur::test::write_file_atomically(dir_.file("tls.crt"), next.cert);
  EXPECT_TRUE(kopiur::test::wait_until(
      [&] {
        try {
          return kopiur::test::fetch_peer_certificate(port_, dir_.file("ca.crt")).serial == 2;
        } catch (const std::exception&) {
          return false;  // a handshake during the swap
        }
      },
      20s));
  EXPECT_EQ(validate(review(backup()))["response"]["allowed"], true);
}

// With a kubeconfig the webhook reads references through watch-fed caches of the local API
// server: /readyz waits for them, and an object created later is seen without a restart.
class WebhookWithCluster : public WebhookProgram {
 protected:
  void SetUp() override {
    auto started = localkube::LocalApiServer::start({});
    ASSERT_TRUE(started.ok()) << started.error().to_string();
    api_ = std::move(started.value());
    client_ = std::make_unique<kube::Client>(*kube::load_kubeconfig_text(api_->kubeconfig(), "/"));
    for (const auto& info : api::kinds()) {
      ASSERT_TRUE(
          client_->create(kube::resources::kCustomResourceDefinitions, "", api::crd(info)).ok());
    }
    ASSERT_TRUE(
        client_
            ->create(
                kube::resources::kNamespaces, "",
                {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "apps"}}}})
            .ok());
    create(repository());
    create(cluster_repository());
    ASSERT_TRUE(api_->write_kubeconfig(dir_.file("kubeconfig")).ok());
    start({"--kubeconfig", dir_.file("kubeconfig")});
  }
  void create(const json& object) {
    const std::string kind = object["kind"];
    auto made = client_->create(kube::resource_for(kind), object["metadata"].value("namespace", ""),
                                object);
    ASSERT_TRUE(made.ok()) << made.error().to_string();
  }

  std::unique_ptr<localkube::LocalApiServer> api_;
  std::unique_ptr<kube::Client> client_;
};

TEST_F(WebhookWithCluster, ChecksReferencesAgainstTheCluster) {
  json config = backup_config();
  config["spec"]["repository"]["name"] = "later";
  const json denied = validate(review(config));
  EXPECT_EQ(denied["response"]["status"]["message"],
            "BackupConfig \"nightly\" is invalid: spec.repository.name: Repository "
            "\"apps/later\" does not exist; create it first or fix the name");
  EXPECT_FALSE(denied["response"].contains("warnings")) << denied.dump();

  json shared = backup_config("media-config", "media");
  shared["spec"]["repository"] = {{"kind", "ClusterRepository"}, {"name", "shared"}};
  EXPECT_EQ(validate(review(shared))["response"]["status"]["message"],
            "BackupConfig \"media-config\" is invalid: spec.repository.name: namespace "
            "\"media\" may not use ClusterRepository \"shared\"; add \"media\" to its "
            "spec.allowedNamespaces");

  create(repository("later"));
  EXPECT_TRUE(kopiur::test::wait_until(
      [&] { return validate(review(config))["response"]["allowed"] == true; }, 20s));
}

// Not ready while the caches cannot list (no CRDs yet), ready once they can.
TEST(WebhookReadiness, WaitsForTheReferenceCaches) {
  kopiur::test::TempDir dir("kopiur-webhook-ready-");
  auto started = localkube::LocalApiServer::start({});
  ASSERT_TRUE(started.ok()) << started.error().to_string();
  auto api_server = std::move(started.value());
  ASSERT_TRUE(api_server->write_kubeconfig(dir.file("kubeconfig")).ok());
  const int port = kopiur::test::free_tcp_port();
  ChildProcess webhook(program_path("kopiur-webhook"),
                       {"--listen", "127.0.0.1:" + std::to_string(port), "--insecure-http",
                        "--kubeconfig", dir.file("kubeconfig")},
                       isolated_env(dir));
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/readyz";
  const auto readyz = [&] { return run_program("/usr/bin/curl", {"-sS", url}).out; };
  ASSERT_TRUE(kopiur::test::wait_until(
      [&] { return readyz() == "not ready: the reference caches have not listed the cluster yet"; },
      20s))
      << readyz() << webhook.out();
  kube::Client client(*kube::load_kubeconfig(dir.file("kubeconfig")));
  for (const auto& info : api::kinds()) {
    ASSERT_TRUE(
        client.create(kube::resources::kCustomResourceDefinitions, "", api::crd(info)).ok());
  }
  EXPECT_TRUE(kopiur::test::wait_until([&] { return readyz() == "ok"; }, 30s)) << readyz();
}

struct FlagCase {
  std::string name;
  std::vector<std::string> args;  // after --listen; "DIR/" is replaced by the temp dir
  int exit_code;
  std::string message;  // expected in stderr (or the log on stdout for exit 1)
};

void PrintTo(const FlagCase& c, std::ostream* os) { *os << c.name; }

class StartupFlags : public ::testing::TestWithParam<FlagCase> {};

TEST_P(StartupFlags, RefuseWithAMessageNamingTheFlag) {
  kopiur::test::TempDir dir("kopiur-webhook-flags-");
  kopiur::test::TestCa ca;
  const auto pem = ca.issue("kopiur-webhook", 1);
  kopiur::test::write_file_atomically(dir.file("tls.crt"), pem.cert);
  kopiur::test::write_file_atomically(dir.file("tls.key"), pem.key);
  std::vector<std::string> args = {"--listen", "127.0.0.1:0"};
  for (auto arg : GetParam().args) {
    if (arg.rfind("DIR/", 0) == 0) arg = dir.file(arg.substr(4));
    args.push_back(arg);
  }
  auto env = isolated_env(dir);
  env.erase("KOPIUR_LOG_FORMAT");
  const auto r = run_program(program_path("kopiur-webhook"), args, env, 20s);
  EXPECT_EQ(r.exit_code, GetParam().exit_code) << r.out << r.err;
  EXPECT_NE((r.err + r.out).find(GetParam().message), std::string::npos) << r.err << r.out;
}

INSTANTIATE_TEST_SUITE_P(
    All, StartupFlags,
    ::testing::Values(
        FlagCase{"CertWithoutKey",
                 {"--tls-cert", "DIR/tls.crt"},
                 2,
                 "kopiur-webhook: --tls-cert is given without --tls-key: give both"},
        FlagCase{"KeyWithoutCert",
                 {"--tls-key", "DIR/tls.key"},
                 2,
                 "kopiur-webhook: --tls-key is given without --tls-cert: give both"},
        FlagCase{"Neither",
                 {},
                 2,
                 "kopiur-webhook: no certificate: give --tls-cert and --tls-key (PEM files), or "
                 "--insecure-http to serve plain HTTP for local use"},
        FlagCase{"UnreadableCert",
                 {"--tls-cert", "DIR/missing.crt", "--tls-key", "DIR/tls.key"},
                 2,
                 "missing.crt: cannot read the file: No such file or directory"},
        FlagCase{"UnreadableKey",
                 {"--tls-cert", "DIR/tls.crt", "--tls-key", "DIR/missing.key"},
                 2,
                 "--tls-key "},
        FlagCase{"InsecureWithCert",
                 {"--insecure-http", "--tls-cert", "DIR/tls.crt", "--tls-key", "DIR/tls.key"},
                 2,
                 "kopiur-webhook: --insecure-http serves plain HTTP, but a certificate or key is "
                 "given"},
        FlagCase{"KeyOfAnotherCertificate",
                 {"--tls-cert", "DIR/tls.crt", "--tls-key", "DIR/tls.crt"},
                 1,
                 "tls.crt"},
        FlagCase{"MissingKubeconfig",
                 {"--insecure-http", "--kubeconfig", "DIR/nowhere.yaml"},
                 1,
                 "--kubeconfig: "},
        // The chart's --in-cluster outside a pod (no KUBERNETES_SERVICE_HOST, no token): fatal,
        // never references silently unchecked.
        FlagCase{"InClusterWithoutAServiceAccount",
                 {"--insecure-http", "--in-cluster"},
                 1,
                 "--in-cluster: "},
        FlagCase{"InClusterAndKubeconfig",
                 {"--insecure-http", "--in-cluster", "--kubeconfig", "DIR/nowhere.yaml"},
                 2,
                 "kopiur-webhook: --in-cluster and --kubeconfig both say where the cluster is: "
                 "give one of them"}),
    [](const ::testing::TestParamInfo<FlagCase>& param_info) { return param_info.param.name; });

TEST(WebhookPlainHttp, OnlyWithInsecureHttp) {
  kopiur::test::TempDir dir("kopiur-webhook-plain-");
  const int port = kopiur::test::free_tcp_port();
  ChildProcess webhook(program_path("kopiur-webhook"),
                       {"--listen", "127.0.0.1:" + std::to_string(port), "--insecure-http"},
                       isolated_env(dir));
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/readyz";
  EXPECT_TRUE(kopiur::test::wait_until(
      [&] {
        return run_program("/usr/bin/curl", {"-sS", url}).out == "ok";
      },
      20s))
      << webhook.err() << webhook.out();
  EXPECT_NE(webhook.out().find("\"tls\":false"), std::string::npos) << webhook.out();
}

}  // namespace
}  // namespace kopiur::webhook::test
