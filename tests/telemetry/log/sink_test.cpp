#include "kopiur/telemetry/log/sink.hpp"

#include <csignal>
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>

#include "kopiur/telemetry/log/log.hpp"

#include "telemetry/log/test_support.hpp"

namespace kopiur::telemetry::log {
namespace {

TEST(FdSink, BrokenPipeDoesNotCrash) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[0]);  // the reader is gone, like `kubectl logs` after a disconnect
  auto sink = std::make_shared<FdSink>(fds[1]);
  DispatcherOptions opts;
  opts.layers.push_back(make_fmt_layer(sink, {}));
  auto dispatcher = Dispatcher::create(std::move(opts));
  Dispatcher::ScopedDefault use(dispatcher);
  for (int i = 0; i < 100; ++i) KOPIUR_INFO("into the void", kv("i", i));
  EXPECT_EQ(sink->failed_writes(), 100U);  // we are still here, and the losses are counted
  ::close(fds[1]);
}

TEST(FdSink, ClosedDescriptorLosesLinesOnly) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[0]);
  ::close(fds[1]);
  FdSink sink(fds[1]);
  sink.write("nobody\n");
  EXPECT_EQ(sink.failed_writes(), 1U);
}

TEST(FdSink, WritesWholeLines) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  FdSink sink(fds[1]);
  sink.write("one line\n");
  char buf[64] = {};
  const ssize_t n = ::read(fds[0], buf, sizeof(buf));
  EXPECT_EQ(std::string(buf, static_cast<std::size_t>(n)), "one line\n");
  EXPECT_EQ(sink.failed_writes(), 0U);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(FdSink, LeavesAChosenSigpipeHandlerAlone) {
  struct sigaction previous {};
  struct sigaction custom {};
  custom.sa_handler = [](int) {};
  sigemptyset(&custom.sa_mask);
  ASSERT_EQ(sigaction(SIGPIPE, &custom, &previous), 0);
  FdSink sink(1);
  struct sigaction now {};
  sigaction(SIGPIPE, nullptr, &now);
  EXPECT_EQ(now.sa_handler, custom.sa_handler);
  sigaction(SIGPIPE, &previous, nullptr);
}

TEST(CaptureSink, WaitsForLines) {
  CaptureSink sink;
  EXPECT_FALSE(sink.wait_for_lines(1, std::chrono::milliseconds(1)));
  std::thread writer([&] { sink.write("late\n"); });
  EXPECT_TRUE(sink.wait_for_lines(1, std::chrono::seconds(10)));
  writer.join();
  EXPECT_EQ(sink.lines().at(0), "late");
}

}  // namespace
}  // namespace kopiur::telemetry::log
