#include "kopiur/app/shutdown.hpp"

#include <thread>

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

namespace kopiur::app {
namespace {

using namespace std::chrono_literals;

TEST(ShutdownSignal, SigtermWakesWaiters) {
  auto shutdown = ShutdownSignal::install();
  EXPECT_FALSE(shutdown->requested());
  EXPECT_FALSE(shutdown->wait_for(1ms));
  std::thread waiter([&] { shutdown->wait(); });
  ASSERT_EQ(kill(getpid(), SIGTERM), 0);
  waiter.join();
  EXPECT_TRUE(shutdown->requested());
  EXPECT_EQ(shutdown->signal_number(), SIGTERM);
}

TEST(ShutdownSignal, SigintIsAShutdownToo) {
  auto shutdown = ShutdownSignal::install();
  ASSERT_EQ(kill(getpid(), SIGINT), 0);
  EXPECT_TRUE(shutdown->wait_for(30s));
  EXPECT_EQ(shutdown->signal_number(), SIGINT);
}

TEST(ShutdownSignal, ProgrammaticRequest) {
  auto shutdown = ShutdownSignal::install();
  shutdown->request();
  EXPECT_TRUE(shutdown->wait_for(0ms));
  EXPECT_EQ(shutdown->signal_number(), 0);
}

TEST(ShutdownSignal, OnlyOneWatcherPerProcess) {
  auto first = ShutdownSignal::install();
  EXPECT_THROW(ShutdownSignal::install(), std::logic_error);
}

}  // namespace
}  // namespace kopiur::app
