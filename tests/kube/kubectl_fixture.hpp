// KubectlTest: the real kubectl against an in-process local API server, with its own kubeconfig
// and cache directory. kubectl is a required peer: without it the tests fail, never skip.
#pragma once

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <sys/wait.h>

#include "kube/test_util.hpp"

namespace kopiur::kube::testing {

struct KubectlOutput {
  int code = -1;
  std::string text;  // stdout and stderr
};

inline bool have_kubectl() { return std::system("kubectl version --client >/dev/null 2>&1") == 0; }

class KubectlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(have_kubectl()) << "kubectl is not installed; these tests need the real client";
    server_ = start_server();
    ASSERT_NE(server_, nullptr);
    kubeconfig_ = (dir_.path() / "kubeconfig").string();
    ASSERT_TRUE(server_->write_kubeconfig(kubeconfig_).ok());
  }

  KubectlOutput kubectl(const std::string& args) const {
    const auto command = "kubectl --kubeconfig " + kubeconfig_ + " --cache-dir " +
                         (dir_.path() / "cache").string() + " " + args + " 2>&1";
    KubectlOutput out;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) return out;
    std::array<char, 4096> buffer{};
    while (const auto n = std::fread(buffer.data(), 1, buffer.size(), pipe)) {
      out.text.append(buffer.data(), n);
    }
    const int status = ::pclose(pipe);
    out.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return out;
  }

  // write(): a file in the test's directory holding `text`; returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    const auto file = (dir_.path() / name).string();
    std::ofstream(file) << text;
    return file;
  }

  std::string path(const std::string& relative) const { return source_dir() + "/" + relative; }

  TempDir dir_;
  std::unique_ptr<LocalApiServer> server_;
  std::string kubeconfig_;
};

}  // namespace kopiur::kube::testing
