// The three programs as an operator meets them: --help, --version, usage errors, signals.
#include <string>

#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include "kopiur/version.hpp"

#include "child_process.hpp"

namespace kopiur::test {
namespace {

using namespace std::chrono_literals;

class Programs : public ::testing::TestWithParam<std::string> {};

TEST_P(Programs, HelpDescribesFlagsAndEnvironment) {
  auto r = run_program(program_path(GetParam()), {"--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Usage: " + GetParam()), std::string::npos) << r.out;
  for (const char* env :
       {"RUST_LOG", "KOPIUR_LOG_FORMAT", "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_HEADERS", "KOPIUR_OTEL_STRICT"}) {
    EXPECT_NE(r.out.find(env), std::string::npos) << GetParam() << " --help lacks " << env;
  }
}

TEST_P(Programs, VersionComesFromTheOneVersionSource) {
  auto r = run_program(program_path(GetParam()), {"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, GetParam() + " " + kVersion + "\n");
}

TEST_P(Programs, UnknownFlagExitsWith2AndSaysWhy) {
  auto r = run_program(program_path(GetParam()), {"--no-such-flag"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown flag '--no-such-flag'"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

INSTANTIATE_TEST_SUITE_P(All, Programs,
                         ::testing::Values("kopiur-controller", "kopiur-webhook", "kopiur-mover"));

// Polls `url` until it answers 200 or the deadline passes.
bool await_http_ok(int port, const std::string& path, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(1);
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto res = client.Get(path); res && res->status == 200) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

class ControllerSignals : public ::testing::TestWithParam<int> {};

TEST_P(ControllerSignals, ServesHealthThenStopsCleanlyOnSignal) {
  int port = free_tcp_port();
  ChildProcess controller(program_path("kopiur-controller"),
                          {"--standalone", "--http-addr", "127.0.0.1:" + std::to_string(port)},
                          {{"RUST_LOG", "info"}, {"KOPIUR_LOG_FORMAT", "json"}});
  ASSERT_TRUE(await_http_ok(port, "/healthz", 20s)) << controller.err() << controller.out();
  ASSERT_TRUE(await_http_ok(port, "/readyz", 20s)) << controller.out();
  httplib::Client client("127.0.0.1", port);
  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_NE(metrics->body.find("process_start_time_seconds"), std::string::npos);

  controller.signal(GetParam());
  auto code = controller.wait(15s);
  ASSERT_TRUE(code.has_value()) << "did not exit within 15 s of the signal";
  EXPECT_EQ(*code, 0) << controller.err();
  // It said why it stopped, and that it flushed.
  EXPECT_NE(controller.out().find("shutting down"), std::string::npos) << controller.out();
}

INSTANTIATE_TEST_SUITE_P(SigtermAndSigint, ControllerSignals, ::testing::Values(SIGTERM, SIGINT));

}  // namespace
}  // namespace kopiur::test
