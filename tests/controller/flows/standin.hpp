// Running the kopia stand-in (KOPIA_BIN, set by FlowTest) directly from a test, to prepare a
// repository and snapshots before the controller starts, and making a Repository Ready through
// its status subresource so a flow test needs no Repository flow.
//
//   make_ready_repository(*client_, "team-a", "repo");   // after create(repository(...))
//   const auto id = json::parse(standin(config, {"snapshot", "create", dir, "--json"}))["id"];
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kopiur/kube/client.hpp"
#include "kopiur/support/json.hpp"

#include "support/temp_dir.hpp"

namespace kopiur::controller::testing {

// Runs the stand-in with `config` as its --config-file and `password` as KOPIA_PASSWORD; returns
// its stdout and fails the test when it exits non-zero (quoting its stderr from `stderr_file`).
inline std::string standin(const std::string& config, const std::string& stderr_file,
                           const std::vector<std::string>& args,
                           const std::string& password = "s3cret-pass") {
  const char* bin = std::getenv("KOPIA_BIN");
  EXPECT_NE(bin, nullptr) << "KOPIA_BIN is set by FlowTest::SetUp";
  std::string command = "KOPIA_PASSWORD='" + password + "' KOPIA_CHECK_FOR_UPDATES=false '" +
                        std::string(bin != nullptr ? bin : "kopia") + "' --config-file='" + config +
                        "'";
  for (const auto& a : args) command += " '" + a + "'";
  command += " 2>'" + stderr_file + "'";
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  EXPECT_NE(pipe, nullptr) << command;
  if (pipe == nullptr) return out;
  char buffer[4096];
  while (const auto n = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  const int rc = pclose(pipe);
  EXPECT_EQ(rc, 0) << command << "\n" << test::read_file(stderr_file);
  return out;
}

// Writes status.phase Ready on a Repository (the Repository flow's job, done by hand).
inline void make_ready_repository(kube::Client& client, const std::string& ns,
                                  const std::string& name) {
  auto ready = client.patch_status(kube::resource_for("Repository"), ns, name,
                                   {{"status", {{"phase", "Ready"}}}}, kube::PatchType::kMerge);
  ASSERT_TRUE(ready.ok()) << ready.error().to_string();
}

}  // namespace kopiur::controller::testing
