// Where handlers run (Execution): inline routes on the event-loop thread, pool routes on the
// workers, kInlineWhileFast moving between them with the last run's duration, connections dealt
// to the event loops in turn, and pipelined requests to an inline route answered in order.
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "kopiur/telemetry/http/server.hpp"

#include "telemetry/http/raw_client.hpp"

namespace kopiur::telemetry::http {
namespace {

using namespace std::chrono_literals;
using testing::RawConnection;
using testing::send;

std::string thread_name() {
  std::ostringstream out;
  out << std::this_thread::get_id();
  return out.str();
}

// A handler answering with the id of the thread it runs on.
Response whoami(const Request&) {
  Response r;
  r.body = thread_name();
  return r;
}

ServerOptions local(int io_threads) {
  ServerOptions options;
  options.address = "127.0.0.1:0";
  options.io_threads = io_threads;
  options.worker_threads = 2;
  return options;
}

// The thread ids answering `count` requests to `path`, each on a new connection.
std::set<std::string> answered_by(std::uint16_t port, const std::string& path, int count) {
  std::set<std::string> ids;
  for (int i = 0; i < count; ++i) {
    const auto response = send(port, "GET", path);
    EXPECT_EQ(response.status, 200) << path;
    ids.insert(response.body);
  }
  return ids;
}

TEST(HttpExecution, InlineRoutesRunOnTheEventLoopAndPoolRoutesOnTheWorkers) {
  HttpServer server(local(1));
  server.route("GET", "/inline", whoami, Execution::kInline);
  server.route("GET", "/pool", whoami);  // kPool is the default
  ASSERT_EQ(server.start(), "");

  const auto loop = answered_by(server.port(), "/inline", 6);
  const auto workers = answered_by(server.port(), "/pool", 12);
  ASSERT_EQ(loop.size(), 1u) << "one event-loop thread answers every inline request";
  ASSERT_FALSE(workers.empty());
  EXPECT_FALSE(workers.contains(*loop.begin())) << "a pool route ran on the event loop";
  EXPECT_LE(workers.size(), 2u) << "more threads than worker_threads answered";
}

TEST(HttpExecution, InlineWhileFastMovesToThePoolAfterASlowRunAndBackAfterAFastOne) {
  ServerOptions options = local(1);
  // Far above a fast handler's time even under a sanitizer, far below the slow one's.
  options.inline_budget = 50ms;
  HttpServer server(options);
  std::atomic<int> delay_ms{0};
  server.route("GET", "/inline", whoami, Execution::kInline);
  server.route(
      "GET", "/adaptive",
      [&delay_ms](const Request& request) {
        // The duration is what is under test here, not a way to wait for something.
        std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms.load()));
        return whoami(request);
      },
      Execution::kInlineWhileFast);
  ASSERT_EQ(server.start(), "");
  const std::uint16_t port = server.port();
  const std::string loop = send(port, "GET", "/inline").body;
  ASSERT_FALSE(loop.empty());

  EXPECT_EQ(send(port, "GET", "/adaptive").body, loop) << "a route never run starts inline";
  EXPECT_EQ(send(port, "GET", "/adaptive").body, loop) << "a fast run keeps it inline";
  delay_ms = 200;
  EXPECT_EQ(send(port, "GET", "/adaptive").body, loop) << "the slow run itself was inline";
  EXPECT_NE(send(port, "GET", "/adaptive").body, loop) << "after a slow run: on the pool";
  delay_ms = 0;
  EXPECT_NE(send(port, "GET", "/adaptive").body, loop) << "the fast run after it: still pool";
  EXPECT_EQ(send(port, "GET", "/adaptive").body, loop) << "after a fast run: inline again";
}

TEST(HttpExecution, ConnectionsAreDealtToTheEventLoopsInTurn) {
  HttpServer server(local(2));
  server.route("GET", "/inline", whoami, Execution::kInline);
  ASSERT_EQ(server.start(), "");
  // Connections accepted one after another alternate between the two loops.
  const auto loops = answered_by(server.port(), "/inline", 4);
  EXPECT_EQ(loops.size(), 2u);
}

TEST(HttpExecution, PipelinedRequestsToAnInlineRouteAreAnsweredInOrder) {
  HttpServer server(local(1));
  std::atomic<int> calls{0};
  server.route(
      "GET", "/count",
      [&calls](const Request& request) {
        Response r;
        r.body = std::to_string(++calls) + " " + request.query;
        return r;
      },
      Execution::kInline);
  ASSERT_EQ(server.start(), "");

  RawConnection connection(server.port());
  ASSERT_TRUE(connection.connected());
  std::string burst;
  for (int i = 1; i <= 5; ++i) {
    burst += "GET /count?n=" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n";
  }
  ASSERT_TRUE(connection.send(burst));
  const auto answers = connection.read_responses(5, 10s);
  ASSERT_EQ(answers.size(), 5u);
  for (int i = 1; i <= 5; ++i) {
    EXPECT_EQ(answers[i - 1].status, 200);
    EXPECT_EQ(answers[i - 1].body, std::to_string(i) + " n=" + std::to_string(i));
  }
}

TEST(HttpExecution, AThrowingInlineHandlerAnswers500AndTheLoopKeepsServing) {
  HttpServer server(local(1));
  server.route(
      "GET", "/throws", [](const Request&) -> Response { throw std::runtime_error("inline boom"); },
      Execution::kInline);
  server.route("GET", "/inline", whoami, Execution::kInline);
  ASSERT_EQ(server.start(), "");
  const auto failed = send(server.port(), "GET", "/throws");
  EXPECT_EQ(failed.status, 500);
  EXPECT_NE(failed.body.find("inline boom"), std::string::npos) << failed.body;
  EXPECT_EQ(send(server.port(), "GET", "/inline").status, 200);
}

TEST(HttpExecution, ANegativeInlineBudgetIsRefusedAtStart) {
  ServerOptions options = local(1);
  options.inline_budget = std::chrono::microseconds(-1);
  HttpServer server(options);
  EXPECT_EQ(server.start(), "inline_budget must not be negative");
}

}  // namespace
}  // namespace kopiur::telemetry::http
