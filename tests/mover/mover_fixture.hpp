// MoverFixture: a temp dir with a Secret directory, a data tree and helpers that run the built
// kopiur-mover (with the kopia stand-in as KOPIA_BIN) and read its result file.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "kopiur/support/json.hpp"

#include "child_process.hpp"
#include "support/temp_dir.hpp"

namespace kopiur::test {

struct MoverRun {
  int exit_code = -1;
  std::string out, err;
  nlohmann::json result;  // the termination message, parsed (null when absent or not JSON)
  std::string result_text;
};

class MoverFixture : public ::testing::Test {
 protected:
  MoverFixture() {
    std::filesystem::create_directories(dir_.path() / "secret");
    write_file_atomically(dir_.file("secret/KOPIA_PASSWORD"), "s3cret\n");
  }

  std::string repo() const { return dir_.file("repo"); }

  // A work spec for `op` with the repository filled in; callers add the operation's block.
  nlohmann::json spec(bool create = false) const {
    return {{"repository", {{"filesystem", {{"path", repo()}}}, {"create", create}}},
            {"identity", {{"hostname", "ns1"}, {"username", "pvc-data"}}}};
  }

  std::map<std::string, std::string> base_env() const {
    return {{"KOPIA_BIN", program_path("kopia_standin/kopiur-kopia-standin")},
            {"RUST_LOG", "info"},
            {"KOPIA_STANDIN_INJECT", ""},
            {"KOPIUR_TERMINATION_MESSAGE_PATH", dir_.file("unused-termination-log")}};
  }

  std::vector<std::string> args(const std::string& op, const nlohmann::json& work) {
    const std::string spec_file = dir_.file("work-" + std::to_string(++runs_) + ".json");
    write_file_atomically(spec_file, work.dump());
    result_file_ = dir_.file("result-" + std::to_string(runs_) + ".json");
    return {op,
            "--work-spec",
            spec_file,
            "--secret-dir",
            dir_.file("secret"),
            "--termination-message-path",
            result_file_};
  }

  MoverRun run(const std::string& op, const nlohmann::json& work,
               const std::map<std::string, std::string>& env = {}) {
    auto merged = base_env();
    for (const auto& [k, v] : env) merged[k] = v;
    const auto r = run_program(program_path("kopiur-mover"), args(op, work), merged,
                               std::chrono::seconds(120));
    return collect(r.exit_code, r.out, r.err);
  }

  MoverRun collect(int code, std::string out, std::string err) const {
    MoverRun m{code, std::move(out), std::move(err), nullptr, ""};
    if (std::filesystem::exists(result_file_)) {
      m.result_text = read_file(result_file_);
      m.result = nlohmann::json::parse(m.result_text, nullptr, false);
    }
    return m;
  }

  // Connects with create, so the repository exists.
  void create_repository() {
    const auto r = run("connect", spec(true));
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }

  nlohmann::json backup_spec(const std::string& path) const {
    auto s = spec();
    s["backup"] = {{"sourcePath", path}};
    return s;
  }

  TempDir dir_{"kopiur-mover-"};
  std::string result_file_;
  int runs_ = 0;
};

}  // namespace kopiur::test
