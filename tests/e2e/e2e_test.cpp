// End to end: the README's run command (tools/local-system.sh, which tools/run-local.sh calls after
// building) brings up the local API server, kopiur-controller, kopiur-webhook, mover Jobs,
// Prometheus and the OTLP receiver, and runs the demo scenario of deploy/examples/demo/ headless.
// Then every observable output is checked against the contract (checks.hpp), and SIGTERM must
// stop everything cleanly.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "e2e/checks.hpp"
#include "e2e/local_system.hpp"

namespace kopiur::e2e {
namespace {

bool port_open(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool open = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return open;
}

TEST(EndToEnd, DemoScenarioOnTheLocalSystem) {
  LocalSystem system;
  std::string why;
  ASSERT_TRUE(system.wait_for_demo(std::chrono::seconds(300), why)) << why;

  {
    SCOPED_TRACE("catalog metrics");
    check_catalog_metrics(system);
  }
  {
    SCOPED_TRACE("promtool");
    check_promtool(system);
  }
  {
    SCOPED_TRACE("prometheus");
    check_prometheus(system);
  }
  {
    SCOPED_TRACE("otlp");
    check_otlp(system);
  }
  {
    SCOPED_TRACE("logs");
    check_logs(system);
  }
  {
    SCOPED_TRACE("restore");
    check_restore(system);
  }

  const auto code = system.stop(std::chrono::seconds(60));
  ASSERT_TRUE(code.has_value()) << "tools/local-system.sh did not stop on SIGTERM\n"
                                << system.output();
  EXPECT_EQ(*code, 0) << system.output();
  for (const char* program :
       {"controller", "webhook", "localkube", "prometheus", "otlp-receiver"}) {
    EXPECT_NE(system.output().find(std::string("stopped ") + program), std::string::npos)
        << program << " was not stopped in order:\n"
        << system.output();
  }
  for (const char* what : {"controller", "webhook", "api", "prometheus", "otlp"}) {
    EXPECT_FALSE(port_open(system.port_of(what))) << what << " still listens after the stop";
  }
  if (HasFailure()) {
    std::cerr << "---- tools/local-system.sh output\n" << system.output();
  }
}

}  // namespace
}  // namespace kopiur::e2e
