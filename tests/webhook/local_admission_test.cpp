// The local API server calling kopiur-webhook as a real one would: a ValidatingWebhookConfiguration
// (url + caBundle) makes `kubectl apply` of a bad object fail with the webhook's words, a good
// one pass, an immutable field change (a PATCH) fail; with the webhook unreachable, failurePolicy
// Fail refuses writes and Ignore lets them through.
#include <gtest/gtest.h>

#include "kopiur/api/crd.hpp"
#include "kopiur/api/kinds.hpp"
#include "kopiur/kube/client.hpp"
#include "kopiur/localkube/server.hpp"

#include "child_process.hpp"
#include "kube/detail/base64.hpp"
#include "support/temp_dir.hpp"
#include "support/test_pki.hpp"
#include "support/wait.hpp"
#include "webhook/objects.hpp"

namespace kopiur::webhook::test {
namespace {

using namespace std::chrono_literals;
using kopiur::test::ChildProcess;
using kopiur::test::run_program;

class LocalAdmission : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = localkube::LocalApiServer::start({});
    ASSERT_TRUE(started.ok()) << started.error().to_string();
    api_ = std::move(started.value());
    ASSERT_TRUE(api_->write_kubeconfig(dir_.file("kubeconfig")).ok());
    kube::Client client(*kube::load_kubeconfig(dir_.file("kubeconfig")));
    for (const auto& info : api::kinds()) {
      ASSERT_TRUE(
          client.create(kube::resources::kCustomResourceDefinitions, "", api::crd(info)).ok());
    }
    ASSERT_TRUE(
        client
            .create(kube::resources::kNamespaces, "",
                    {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "apps"}}}})
            .ok());
  }

  void start_webhook() {
    const auto pem = ca_.issue("kopiur-webhook", 1);
    kopiur::test::write_file_atomically(dir_.file("tls.crt"), pem.cert);
    kopiur::test::write_file_atomically(dir_.file("tls.key"), pem.key);
    kopiur::test::write_file_atomically(dir_.file("ca.crt"), ca_.cert_pem());
    port_ = kopiur::test::free_tcp_port();
    webhook_ = std::make_unique<ChildProcess>(
        kopiur::test::program_path("kopiur-webhook"),
        std::vector<std::string>{"--listen", "127.0.0.1:" + std::to_string(port_), "--tls-cert",
                                 dir_.file("tls.crt"), "--tls-key", dir_.file("tls.key"),
                                 "--kubeconfig", dir_.file("kubeconfig")});
    const std::string readyz = "https://127.0.0.1:" + std::to_string(port_) + "/readyz";
    ASSERT_TRUE(kopiur::test::wait_until(
        [&] {
          return run_program("/usr/bin/curl", {"-sS", "--cacert", dir_.file("ca.crt"), readyz})
                     .out == "ok";
        },
        20s))
        << webhook_->err() << webhook_->out();
  }

  // A ValidatingWebhookConfiguration for the seven kinds, calling `url`.
  json configuration(const std::string& url, const std::string& failure_policy,
                     const std::string& name = "kopiur-validating") const {
    json hook = {
        {"name", "validate.kopiur.home-operations.com"},
        {"clientConfig", {{"url", url}, {"caBundle", kube::detail::base64_encode(ca_.cert_pem())}}},
        {"rules", json::array({{{"apiGroups", {"kopiur.home-operations.com"}},
                                {"apiVersions", {"v1alpha1"}},
                                {"operations", {"CREATE", "UPDATE"}},
                                {"resources", {"*"}},
                                {"scope", "*"}}})},
        {"failurePolicy", failure_policy},
        {"sideEffects", "None"},
        {"admissionReviewVersions", {"v1"}},
        {"timeoutSeconds", 5}};
    return {{"apiVersion", "admissionregistration.k8s.io/v1"},
            {"kind", "ValidatingWebhookConfiguration"},
            {"metadata", {{"name", name}}},
            {"webhooks", json::array({hook})}};
  }

  kopiur::test::RunResult kubectl_apply(const json& object) {
    kopiur::test::write_file_atomically(dir_.file("object.json"), object.dump());
    return run_program("/usr/bin/kubectl", {"--kubeconfig", dir_.file("kubeconfig"), "apply", "-f",
                                            dir_.file("object.json")});
  }

  kopiur::test::TempDir dir_{"kopiur-local-admission-"};
  kopiur::test::TestCa ca_;
  std::unique_ptr<localkube::LocalApiServer> api_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> webhook_;
};

TEST_F(LocalAdmission, KubectlApplyIsDeniedWithTheWebhooksWordsAndAllowedWhenValid) {
  start_webhook();
  const std::string url = "https://127.0.0.1:" + std::to_string(port_) + "/validate";
  auto configured = kubectl_apply(configuration(url, "Fail"));
  ASSERT_EQ(configured.exit_code, 0) << configured.err;

  const auto denied = kubectl_apply(backup());
  EXPECT_EQ(denied.exit_code, 1);
  EXPECT_NE(denied.err.find("Error from server (Forbidden): error when creating"),
            std::string::npos)
      << denied.err;
  EXPECT_NE(denied.err.find("admission webhook \"validate.kopiur.home-operations.com\" denied "
                            "the request: Backup \"nightly-1\" is invalid: spec.configRef.name: "
                            "BackupConfig \"apps/nightly\" does not exist; create it first or "
                            "fix the name"),
            std::string::npos)
      << denied.err;

  ASSERT_EQ(kubectl_apply(repository()).exit_code, 0);
  // The webhook sees the new Repository through its watch; the apply passes once it has.
  EXPECT_TRUE(
      kopiur::test::wait_until([&] { return kubectl_apply(backup_config()).exit_code == 0; }, 20s));
  EXPECT_TRUE(
      kopiur::test::wait_until([&] { return kubectl_apply(backup()).exit_code == 0; }, 20s));

  // An update (kubectl apply's PATCH) touching an immutable field.
  json moved = backup_config();
  moved["spec"]["repository"]["name"] = "other";
  const auto immutable = kubectl_apply(moved);
  EXPECT_EQ(immutable.exit_code, 1);
  EXPECT_NE(immutable.err.find("spec.repository: field is immutable"), std::string::npos)
      << immutable.err;
}

TEST_F(LocalAdmission, FailurePolicyDecidesWhenTheWebhookIsDown) {
  const std::string down =
      "https://127.0.0.1:" + std::to_string(kopiur::test::free_tcp_port()) + "/validate";
  ASSERT_EQ(kubectl_apply(configuration(down, "Ignore")).exit_code, 0);
  const auto ignored = kubectl_apply(repository());
  EXPECT_EQ(ignored.exit_code, 0) << ignored.err;

  // A new configuration rather than an edit: the local server's strategic merge of a built-in
  // kind's list replaces the list.
  ASSERT_EQ(run_program("/usr/bin/kubectl", {"--kubeconfig", dir_.file("kubeconfig"), "delete",
                                             "validatingwebhookconfiguration", "kopiur-validating"})
                .exit_code,
            0);
  ASSERT_EQ(kubectl_apply(configuration(down, "Fail", "kopiur-validating-fail")).exit_code, 0);
  const auto failed = kubectl_apply(repository("second"));
  EXPECT_EQ(failed.exit_code, 1);
  EXPECT_NE(failed.err.find("Internal error occurred: failed calling webhook "
                            "\"validate.kopiur.home-operations.com\": Post \"" +
                            down + "\""),
            std::string::npos)
      << failed.err;
}

}  // namespace
}  // namespace kopiur::webhook::test
