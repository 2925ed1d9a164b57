// `promtool check metrics` (the Debian package `prometheus`) on an exposition, for the tests of
// kopiur_metrics and of kopiur_telemetry_catalog. A missing promtool fails the caller's ASSERT.
#pragma once

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

namespace kopiur::telemetry::metrics::testing {

inline constexpr const char* kPromtool = "/usr/bin/promtool";

struct PromtoolResult {
  int exit_code = -1;
  std::string output;
};

inline PromtoolResult promtool_check(const std::string& exposition) {
  const std::filesystem::path file = std::filesystem::temp_directory_path() /
                                     ("kopiur_promtool_" + std::to_string(::getpid()) + ".prom");
  {
    std::ofstream out(file, std::ios::binary);
    out << exposition;
  }
  const std::string command =
      std::string(kPromtool) + " check metrics < '" + file.string() + "' 2>&1";
  PromtoolResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) result.output.append(buf.data(), n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::filesystem::remove(file);
  return result;
}

}  // namespace kopiur::telemetry::metrics::testing
