// Helpers shared by the Kubernetes-layer tests.
#pragma once

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "kopiur/kube/client.hpp"
#include "kopiur/localkube/server.hpp"

namespace kopiur::kube {
// The local API server serves these tests; they name it as the client's own.
using localkube::LocalApiServer;
}  // namespace kopiur::kube

namespace kopiur::kube::testing {

// eventually(): polls pred until it holds or the deadline passes (for state owned by another
// thread that offers no notification).
inline bool eventually(const std::function<bool()>& pred,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

// TempDir: a fresh directory removed on destruction.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("kopiur-kube-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The started server, or null with a test failure saying why it did not start.
inline std::unique_ptr<LocalApiServer> start_server(LocalApiServer::Options options = {}) {
  auto server = LocalApiServer::start(std::move(options));
  if (!server.ok()) {
    ADD_FAILURE() << server.error().to_string();
    return nullptr;
  }
  return std::move(*server);
}

inline Config config_for(const LocalApiServer& server) {
  Config config;
  config.server = server.url();
  config.timeout = std::chrono::seconds(5);
  return config;
}

// The source tree (compiled in by kopiur_add_test).
inline std::string source_dir() { return KOPIUR_TEST_SOURCE_DIR; }

}  // namespace kopiur::kube::testing
