// WebhookProgram: kopiur-webhook started as a process over HTTPS with a test CA (tls.crt, tls.key
// and ca.crt in the test's directory), no cluster access, JSON logs; curl() and validate() talk to
// it as the API server and Prometheus do.
//
//   TEST_F(WebhookProgram, X) {
//     const json answer = validate(review(restore()));   // POST /validate
//     EXPECT_EQ(answer["response"]["allowed"], true);
//     EXPECT_EQ(curl({"/healthz"}).out, "ok");
//   }
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "child_process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_pki.hpp"
#include "support/wait.hpp"
#include "webhook/objects.hpp"

namespace kopiur::webhook::test {

// A fresh environment: no kubeconfig anywhere, so reference checks are off (and say so).
inline std::map<std::string, std::string> isolated_env(const kopiur::test::TempDir& dir) {
  return {{"HOME", dir.path().string()},
          {"KUBECONFIG", dir.file("no-kubeconfig")},
          {"KUBERNETES_SERVICE_HOST", ""},
          {"RUST_LOG", "info"},
          {"KOPIUR_LOG_FORMAT", "json"}};
}

class WebhookProgram : public ::testing::Test {
 protected:
  void SetUp() override { start({}); }

  void start(const std::vector<std::string>& extra_args) {
    const auto pem = ca_.issue("kopiur-webhook", 1);
    kopiur::test::write_file_atomically(dir_.file("tls.crt"), pem.cert);
    kopiur::test::write_file_atomically(dir_.file("tls.key"), pem.key);
    kopiur::test::write_file_atomically(dir_.file("ca.crt"), ca_.cert_pem());
    port_ = kopiur::test::free_tcp_port();
    webhook_ = std::make_unique<kopiur::test::ChildProcess>(
        kopiur::test::program_path("kopiur-webhook"), args_with(extra_args), isolated_env(dir_));
    ASSERT_TRUE(kopiur::test::wait_until([&] { return curl({"/readyz"}).out == "ok"; },
                                         std::chrono::seconds(20)))
        << webhook_->err() << webhook_->out();
  }

  std::vector<std::string> args_with(const std::vector<std::string>& extra) const {
    std::vector<std::string> args = {"--listen",   "127.0.0.1:" + std::to_string(port_),
                                     "--tls-cert", dir_.file("tls.crt"),
                                     "--tls-key",  dir_.file("tls.key")};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  // curl over HTTPS, verifying the server against the test CA; `args` start with the path.
  kopiur::test::RunResult curl(std::vector<std::string> args) {
    const std::string url = "https://127.0.0.1:" + std::to_string(port_) + args[0];
    args.erase(args.begin());
    std::vector<std::string> full = {"-sS", "--cacert",       dir_.file("ca.crt"),
                                     "-w",  "\n%{http_code}", url};
    full.insert(full.end(), args.begin(), args.end());
    auto r = kopiur::test::run_program("/usr/bin/curl", full);
    const auto cut = r.out.rfind('\n');
    if (cut != std::string::npos) {
      status_ = std::stoi(r.out.substr(cut + 1));
      r.out.resize(cut);
    }
    return r;
  }
  json validate(const json& review_body) {
    kopiur::test::write_file_atomically(dir_.file("review.json"), review_body.dump());
    const auto r = curl({"/validate", "-H", "Content-Type: application/json", "--data-binary",
                         "@" + dir_.file("review.json")});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }

  kopiur::test::TempDir dir_{"kopiur-webhook-"};
  kopiur::test::TestCa ca_;
  int port_ = 0;
  int status_ = 0;
  std::unique_ptr<kopiur::test::ChildProcess> webhook_;
};

}  // namespace kopiur::webhook::test
