// HttpServer's fallback route and streamed responses: every unmatched path reaches the fallback,
// each chunk of a stream reaches the client before the next is produced (also when the client
// asks for gzip), a client that does not read is dropped without holding up another stream, a
// client that leaves closes its writer, an aborted stream is reset without its last chunk, idle
// streams hold no worker thread, and stop() ends streams with their last chunk.
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kopiur/telemetry/http/server.hpp"

#include "support/wait.hpp"
#include "telemetry/http/raw_client.hpp"

namespace kopiur::telemetry::http {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::RawConnection;

constexpr auto kWait = 10s;  // failure bound for every wait; passing tests return much sooner

// The writers handed out by GET /stream, in order, for the test to produce into.
class Streams {
 public:
  StreamStart start() {
    return [this](std::shared_ptr<StreamWriter> writer) {
      std::lock_guard lock(mu_);
      writers_.push_back(std::move(writer));
    };
  }
  [[nodiscard]] std::size_t size() const {
    std::lock_guard lock(mu_);
    return writers_.size();
  }
  [[nodiscard]] std::shared_ptr<StreamWriter> at(std::size_t i) const {
    std::lock_guard lock(mu_);
    return writers_.at(i);
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<StreamWriter>> writers_;
};

std::unique_ptr<HttpServer> serve(Streams& streams, ServerOptions options = {}) {
  options.address = "127.0.0.1:0";
  auto server = std::make_unique<HttpServer>(std::move(options));
  server->route("GET", "/healthz", [](const Request&) {
    Response r;
    r.body = "ok";
    return r;
  });
  server->route("GET", "/stream", [&streams](const Request&) {
    Response r;
    r.content_type = "application/json";
    r.stream = streams.start();
    return r;
  });
  server->set_fallback([](const Request& request) {
    Response r;
    r.status = 299;
    r.body = "fallback " + request.method + " " + request.path + "?" + request.query;
    return r;
  });
  if (std::string err = server->start(); !err.empty()) {
    ADD_FAILURE() << err;
    return nullptr;
  }
  return server;
}

std::string watch_request(std::string_view extra = {}) {
  return "GET /stream HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n" + std::string(extra) +
         "\r\n";
}

// Opens GET /stream on `client` (the server's first stream: streams.at(0)) and sends `first`
// through its writer; fails naming the step that did not happen.
::testing::AssertionResult first_stream_delivers(const Streams& streams, RawConnection& client,
                                                 const std::string& first) {
  if (!client.send(watch_request())) return ::testing::AssertionFailure() << "request not sent";
  if (!test::wait_until([&] { return streams.size() == 1; }, kWait)) {
    return ::testing::AssertionFailure() << "no stream opened";
  }
  if (!streams.at(0)->write(first)) return ::testing::AssertionFailure() << "write refused";
  if (!client.read_until(first, kWait)) {
    return ::testing::AssertionFailure() << "\"" << first << "\" not received";
  }
  return ::testing::AssertionSuccess();
}

TEST(HttpStream, FallbackTakesEveryPathWithoutAnExactRoute) {
  Streams streams;
  auto server = serve(streams);
  ASSERT_NE(server, nullptr);
  auto deep = testing::send(server->port(), "DELETE", "/apis/g/v1/things/x?dryRun=All");
  EXPECT_EQ(deep.status, 299);
  EXPECT_EQ(deep.body, "fallback DELETE /apis/g/v1/things/x?dryRun=All");
  EXPECT_EQ(testing::send(server->port(), "GET", "/healthz").body, "ok");  // exact routes win
}

TEST(HttpStream, EachChunkArrivesBeforeTheNextIsWrittenEvenWithGzipAsked) {
  Streams streams;
  auto server = serve(streams);
  ASSERT_NE(server, nullptr);
  RawConnection client(server->port());
  ASSERT_TRUE(client.send(watch_request()));
  ASSERT_TRUE(test::wait_until([&] { return streams.size() == 1; }, kWait));
  ASSERT_TRUE(client.read_until("\r\n\r\n", kWait));
  const std::string head = client.received();
  EXPECT_THAT(head, HasSubstr("Transfer-Encoding: chunked"));
  EXPECT_THAT(head, Not(HasSubstr("Content-Encoding")));
  for (int i = 0; i < 5; ++i) {
    const std::string event = "{\"event\":" + std::to_string(i) + "}\n";
    ASSERT_TRUE(streams.at(0)->write(event));
    // The next event is only produced once this one has been read.
    ASSERT_TRUE(client.read_until(event, kWait)) << "event " << i << " held back";
  }
  streams.at(0)->close();
  EXPECT_TRUE(client.read_until("0\r\n\r\n", kWait));
  EXPECT_TRUE(client.wait_closed(kWait));
}

TEST(HttpStream, AClientThatDoesNotReadIsDroppedAndOthersKeepTheirEvents) {
  Streams streams;
  ServerOptions options;
  options.max_stream_buffer_bytes = 256u << 10;
  auto server = serve(streams, options);
  ASSERT_NE(server, nullptr);
  RawConnection stalled(server->port());
  ASSERT_TRUE(stalled.send(watch_request()));
  ASSERT_TRUE(test::wait_until([&] { return streams.size() == 1; }, kWait));
  RawConnection reader(server->port());
  ASSERT_TRUE(reader.send(watch_request()));
  ASSERT_TRUE(test::wait_until([&] { return streams.size() == 2; }, kWait));

  // The stalled client never reads: once the kernel's buffers are full its queue grows past the
  // bound and the write fails at once instead of waiting. 64 MiB is far more than any socket
  // buffer, so the loop is bounded.
  const std::string block(64u << 10, 'x');
  bool dropped = false;
  for (int i = 0; i < 1024 && !dropped; ++i) dropped = !streams.at(0)->write(block);
  EXPECT_TRUE(dropped);
  EXPECT_TRUE(test::wait_until([&] { return server->stats().streams_dropped == 1; }, kWait));
  EXPECT_FALSE(streams.at(0)->open());

  ASSERT_TRUE(streams.at(1)->write("still here\n"));
  EXPECT_TRUE(reader.read_until("still here\n", kWait));
  EXPECT_TRUE(stalled.wait_closed(kWait));
}

TEST(HttpStream, AClientThatLeavesClosesItsWriter) {
  Streams streams;
  auto server = serve(streams);
  ASSERT_NE(server, nullptr);
  {
    RawConnection client(server->port());
    ASSERT_TRUE(client.send(watch_request()));
    ASSERT_TRUE(test::wait_until([&] { return streams.size() == 1; }, kWait));
    ASSERT_TRUE(client.read_until("\r\n\r\n", kWait));
  }
  EXPECT_TRUE(test::wait_until([&] { return !streams.at(0)->open(); }, kWait));
  EXPECT_FALSE(streams.at(0)->write("nobody\n"));
}

TEST(HttpStream, AnAbortedStreamIsResetWithoutItsLastChunk) {
  Streams streams;
  auto server = serve(streams);
  ASSERT_NE(server, nullptr);
  RawConnection client(server->port());
  ASSERT_TRUE(first_stream_delivers(streams, client, "first\n"));
  streams.at(0)->abort();
  EXPECT_TRUE(client.wait_closed(kWait));
  EXPECT_TRUE(client.was_reset()) << "an orderly close, not a reset";
  const std::string body = client.received().substr(client.received().find("first\n"));
  EXPECT_THAT(body, Not(HasSubstr("0\r\n\r\n"))) << "an orderly end";
  EXPECT_FALSE(streams.at(0)->open());
  EXPECT_FALSE(streams.at(0)->write("after\n"));
  streams.at(0)->abort();  // nothing happens twice
  EXPECT_EQ(testing::send(server->port(), "GET", "/healthz").body, "ok");
}

TEST(HttpStream, IdleStreamsHoldNoWorkerThread) {
  Streams streams;
  ServerOptions options;
  options.worker_threads = 1;
  auto server = serve(streams, options);
  ASSERT_NE(server, nullptr);
  std::vector<std::unique_ptr<RawConnection>> clients;
  for (int i = 0; i < 50; ++i) {
    clients.push_back(std::make_unique<RawConnection>(server->port()));
    ASSERT_TRUE(clients.back()->send(watch_request()));
  }
  ASSERT_TRUE(test::wait_until([&] { return streams.size() == 50; }, kWait));
  EXPECT_EQ(testing::send(server->port(), "GET", "/healthz").body, "ok");
}

TEST(HttpStream, StopEndsOpenStreamsWithTheirLastChunk) {
  Streams streams;
  auto server = serve(streams);
  ASSERT_NE(server, nullptr);
  RawConnection client(server->port());
  ASSERT_TRUE(first_stream_delivers(streams, client, "before stop\n"));
  server->stop();
  EXPECT_TRUE(client.read_until("0\r\n\r\n", kWait));
  EXPECT_TRUE(client.wait_closed(kWait));
  EXPECT_FALSE(streams.at(0)->write("after stop\n"));
}

TEST(HttpStream, StopDoesNotWaitForAStreamWhoseClientDoesNotRead) {
  Streams streams;
  ServerOptions options;
  options.write_timeout = std::chrono::minutes(10);  // stop() must not wait for this
  options.max_stream_buffer_bytes = 256u << 20;
  auto server = serve(streams, options);
  ASSERT_NE(server, nullptr);
  RawConnection stalled(server->port());
  ASSERT_TRUE(stalled.send(watch_request()));
  ASSERT_TRUE(test::wait_until([&] { return streams.size() == 1; }, kWait));
  // Far more than loopback's socket buffers: a write stays pending.
  const std::string block(1u << 20, 'x');
  for (int i = 0; i < 64; ++i) ASSERT_TRUE(streams.at(0)->write(block));
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    server->stop();
    stopped = true;
  });
  EXPECT_TRUE(test::wait_until([&] { return stopped.load(); }, kWait));
  stopper.join();
  EXPECT_FALSE(streams.at(0)->open());
}

// A streamed head checks the handler's fields as a whole answer does: one that would split the
// head is not sent, and the server's own framing fields replace the handler's.
TEST(HttpStream, AStreamedHeadSendsOnlyTheHandlersSafeFields) {
  Streams streams;
  ServerOptions options;
  options.address = "127.0.0.1:0";
  HttpServer server(options);
  server.route("GET", "/fields", [&streams](const Request&) {
    Response r;
    r.headers.emplace("X-Split", "a\r\nX-Injected: yes");
    r.headers.emplace("Content-Length", "5");
    r.headers.emplace("Transfer-Encoding", "gzip");
    r.headers.emplace("X-Kept", "kept");
    r.stream = streams.start();
    return r;
  });
  ASSERT_EQ(server.start(), "");
  RawConnection client(server.port());
  ASSERT_TRUE(client.send("GET /fields HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(test::wait_until([&] { return streams.size() == 1; }, kWait));
  ASSERT_TRUE(streams.at(0)->write("first-event"));
  ASSERT_TRUE(client.read_until("first-event", kWait)) << client.received();
  const std::string head = client.received().substr(0, client.received().find("\r\n\r\n"));
  EXPECT_THAT(head, HasSubstr("X-Kept: kept"));
  EXPECT_THAT(head, Not(HasSubstr("X-Injected")));
  EXPECT_THAT(head, Not(HasSubstr("X-Split")));
  EXPECT_THAT(head, Not(HasSubstr("Content-Length")));
  EXPECT_THAT(head, Not(HasSubstr("gzip")));
  EXPECT_THAT(head, HasSubstr("Transfer-Encoding: chunked"));
  streams.at(0)->close();
}

TEST(HttpStream, HeadOfAStreamedRouteGetsTheHeadOnly) {
  Streams streams;
  auto server = serve(streams);
  ASSERT_NE(server, nullptr);
  RawConnection client(server->port());
  ASSERT_TRUE(client.send("HEAD /stream HTTP/1.1\r\nHost: x\r\n\r\n"));
  const auto answers = client.read_responses(1, kWait, /*head=*/true);
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].status, 200);
  EXPECT_EQ(streams.size(), 0u);
}

}  // namespace
}  // namespace kopiur::telemetry::http
