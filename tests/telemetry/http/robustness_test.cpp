// HttpServer against slow, hostile and demanding clients: trickling heads while a probe must be
// answered, deadlines (head, body rate, idle keep-alive), limits (431, 414, 413), the connection
// cap, pipelining and HEAD on kept-alive connections, and the refusal counters and summary.
#include <atomic>
#include <chrono>
#include <condition_variable>
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
using testing::RawConnection;
using testing::send;

constexpr auto kWait = 10s;  // failure bound for every wait; passing tests return much sooner

Response text(std::string body) {
  Response r;
  r.body = std::move(body);
  return r;
}

ServerOptions local(ServerOptions options = {}) {
  options.address = "127.0.0.1:0";
  return options;
}

// A server with /healthz, /echo (GET and POST) and /in (POST, answers the body's size).
std::unique_ptr<HttpServer> serve(ServerOptions options) {
  auto server = std::make_unique<HttpServer>(local(std::move(options)));
  server->route("GET", "/healthz", [](const Request&) { return text("ok"); });
  server->route("GET", "/echo",
                [](const Request& r) { return text("GET " + r.path + "?" + r.query); });
  server->route("POST", "/echo", [](const Request& r) { return text("POST " + r.body); });
  server->route("POST", "/in",
                [](const Request& r) { return text(std::to_string(r.body.size())); });
  if (std::string err = server->start(); !err.empty()) {
    ADD_FAILURE() << err;
    return nullptr;
  }
  return server;
}

std::string keep_alive_get(std::string_view path) {
  return "GET " + std::string(path) + " HTTP/1.1\r\nHost: x\r\n\r\n";
}

// Clients that send half a request and then one byte every 200 ms, for as long as they run.
class Tricklers {
 public:
  Tricklers(std::uint16_t port, int count) {
    for (int i = 0; i < count; ++i) {
      threads_.emplace_back([this, port] {
        RawConnection c(port);
        if (!c.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")) return;
        while (!stop_) {
          if (!c.send("a")) {
            ++cut_off_;
            return;
          }
          ++bytes_;
          std::this_thread::sleep_for(200ms);  // the client's pace, not synchronisation
        }
      });
    }
  }
  ~Tricklers() {
    stop_ = true;
    for (auto& t : threads_) t.join();
  }
  [[nodiscard]] int bytes() const { return bytes_.load(); }
  [[nodiscard]] int cut_off() const { return cut_off_.load(); }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> bytes_{0};
  std::atomic<int> cut_off_{0};
  std::vector<std::thread> threads_;
};

TEST(ServerSlowClients, TricklingHeadsDoNotDelayTheProbe) {
  ServerOptions options;
  options.worker_threads = 1;  // far fewer threads than stalled clients
  options.head_timeout = 60s;
  auto server = serve(options);
  ASSERT_TRUE(server);
  constexpr int kSlow = 6;
  Tricklers slow(server->port(), kSlow);
  ASSERT_TRUE(kopiur::test::wait_until([&] { return slow.bytes() >= 2 * kSlow; }, kWait));

  for (int i = 0; i < 10; ++i) {
    const auto started = std::chrono::steady_clock::now();
    const auto r = send(server->port(), "GET", "/healthz");
    EXPECT_EQ(r.status, 200);
    // A bound far above the real latency (milliseconds) and far below what a thread-per-
    // connection server shows here (the probe waits for a slow client's head_timeout).
    EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  }
  EXPECT_EQ(slow.cut_off(), 0);  // the slow clients were still being served, not dropped
  EXPECT_EQ(server->stats().head_timeouts, 0u);
}

TEST(ServerSlowClients, StopClosesHalfReceivedRequestsAtOnce) {
  ServerOptions options;
  options.head_timeout = 600s;
  auto server = serve(options);
  ASSERT_TRUE(server);
  Tricklers slow(server->port(), 4);
  ASSERT_TRUE(kopiur::test::wait_until([&] { return slow.bytes() >= 8; }, kWait));
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    server->stop();
    stopped = true;
  });
  EXPECT_TRUE(kopiur::test::wait_until([&] { return stopped.load(); }, kWait));
  stopper.join();
  EXPECT_TRUE(kopiur::test::wait_until([&] { return slow.cut_off() == 4; }, kWait));
}

TEST(ServerDeadlines, HeadNotFinishedInTimeIsCutOff) {
  ServerOptions options;
  options.head_timeout = 200ms;
  auto server = serve(options);
  ASSERT_TRUE(server);
  RawConnection c(server->port());
  ASSERT_TRUE(c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n"));
  EXPECT_TRUE(c.wait_closed(kWait));
  // The stream closes the socket on its deadline before the server's handler counts it.
  EXPECT_TRUE(kopiur::test::wait_until([&] { return server->stats().head_timeouts == 1; }, kWait));
  EXPECT_EQ(send(server->port(), "GET", "/healthz").status, 200);
}

TEST(ServerDeadlines, IdleKeepAliveConnectionIsClosed) {
  ServerOptions options;
  options.keep_alive_timeout = 200ms;
  auto server = serve(options);
  ASSERT_TRUE(server);
  RawConnection c(server->port());
  ASSERT_TRUE(c.send(keep_alive_get("/healthz")));
  const auto first = c.read_responses(1, kWait);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].status, 200);
  EXPECT_NE(first[0].header("connection"), "close");
  EXPECT_TRUE(c.wait_closed(kWait));
  EXPECT_EQ(server->stats().total(), 0u);  // an idle close is normal, not a refusal
}

TEST(ServerDeadlines, BodyBelowTheMinimumRateIsCutOff) {
  ServerOptions options;
  options.body_grace = 200ms;
  options.min_body_bytes_per_second = 1000;
  auto server = serve(options);
  ASSERT_TRUE(server);
  RawConnection c(server->port());
  ASSERT_TRUE(c.send("POST /in HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" +
                     std::string(10, 'b')));
  EXPECT_TRUE(c.wait_closed(kWait));
  // The stream closes the socket on its deadline before the server's handler counts it.
  EXPECT_TRUE(kopiur::test::wait_until([&] { return server->stats().body_timeouts == 1; }, kWait));
}

TEST(ServerLimits, HeaderFloodIs431) {
  auto server = serve({});
  ASSERT_TRUE(server);
  std::string many = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 200; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
  many += "Connection: close\r\n\r\n";
  auto r = testing::parse_response(testing::exchange(server->port(), many));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_THAT(r->body, HasSubstr("too many header fields"));

  const std::string huge =
      "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(100 << 10, 'a') +
      "\r\nConnection: close\r\n\r\n";
  r = testing::parse_response(testing::exchange(server->port(), huge));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(server->stats().head_too_large, 2u);
  EXPECT_EQ(send(server->port(), "GET", "/healthz").status, 200);
}

TEST(ServerLimits, LongRequestLineIs414) {
  auto server = serve({});
  ASSERT_TRUE(server);
  for (std::size_t length : {20u << 10, 100u << 10}) {  // below and above the head limit
    const auto r = send(server->port(), "GET", "/" + std::string(length, 'p'));
    EXPECT_EQ(r.status, 414) << length;
  }
  EXPECT_EQ(server->stats().request_line_too_long, 2u);
}

TEST(ServerLimits, OversizedBodyIs413WithoutReadingTheRest) {
  ServerOptions options;
  options.max_body_bytes = 4096;
  // Each refusal is reported with its path (no query), e.g. for a program's own counter.
  auto refused = std::make_shared<std::vector<std::string>>();
  auto refused_mu = std::make_shared<std::mutex>();
  options.on_body_too_large = [refused, refused_mu](std::string_view path) {
    const std::lock_guard lock(*refused_mu);
    refused->emplace_back(path);
  };
  auto server = serve(options);
  ASSERT_TRUE(server);
  // Announces 100 MB and sends 1 KB: the answer comes without the server waiting for the rest.
  RawConnection c(server->port());
  ASSERT_TRUE(c.send("POST /in HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n" +
                     std::string(1024, 'b')));
  const auto r = c.read_responses(1, kWait);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status, 413);
  EXPECT_EQ(r[0].header("connection"), "close");
  EXPECT_TRUE(c.wait_closed(kWait));

  // A chunked body is stopped where it passes the limit.
  RawConnection chunked(server->port());
  std::string request = "POST /in HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 5; ++i) request += "400\r\n" + std::string(1024, 'c') + "\r\n";
  ASSERT_TRUE(chunked.send(request));
  const auto r2 = chunked.read_responses(1, kWait);
  ASSERT_EQ(r2.size(), 1u);
  EXPECT_EQ(r2[0].status, 413);

  // GET routes take no body at all.
  EXPECT_EQ(send(server->port(), "GET", "/healthz", "", "x").status, 413);
  EXPECT_EQ(server->stats().body_too_large, 3u);
  {
    const std::lock_guard lock(*refused_mu);
    EXPECT_EQ(*refused, (std::vector<std::string>{"/in", "/in", "/healthz"}));
  }
  EXPECT_EQ(send(server->port(), "POST", "/in", "", std::string(4096, 'b')).body, "4096");
}

TEST(ServerHttp11, PipelinedRequestsAreAnsweredInOrder) {
  auto server = serve({});
  ASSERT_TRUE(server);
  RawConnection c(server->port());
  std::string batch;
  for (int i = 0; i < 5; ++i) batch += keep_alive_get("/echo?n=" + std::to_string(i));
  batch += "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody";
  batch += "GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  ASSERT_TRUE(c.send(batch));
  const auto r = c.read_responses(7, kWait);
  ASSERT_EQ(r.size(), 7u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(r[i].body, "GET /echo?n=" + std::to_string(i));
  EXPECT_EQ(r[5].body, "POST body");
  EXPECT_EQ(r[6].status, 404);
  EXPECT_EQ(r[6].header("connection"), "close");
  EXPECT_TRUE(c.wait_closed(kWait));
}

TEST(ServerHttp11, HeadOnAKeptAliveConnectionSendsNoBody) {
  auto server = serve({});
  ASSERT_TRUE(server);
  RawConnection c(server->port());
  ASSERT_TRUE(c.send("HEAD /echo HTTP/1.1\r\nHost: x\r\n\r\n"));
  const auto head = c.read_responses(1, kWait, /*head=*/true);
  ASSERT_EQ(head.size(), 1u);
  EXPECT_EQ(head[0].status, 200);
  EXPECT_EQ(head[0].header("content-length"), "10");  // the GET answer's, "GET /echo?"
  ASSERT_TRUE(c.send(keep_alive_get("/echo?after")));
  const auto get = c.read_responses(1, kWait);
  ASSERT_EQ(get.size(), 1u);
  EXPECT_EQ(get[0].body, "GET /echo?after");  // no stray HEAD body in front of it

  ASSERT_TRUE(c.send("PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"));
  const auto put = c.read_responses(1, kWait);
  ASSERT_EQ(put.size(), 1u);
  EXPECT_EQ(put[0].status, 405);
  EXPECT_EQ(put[0].header("allow"), "GET, HEAD, POST");
}

TEST(ServerHttp11, ExpectContinueGetsAnInterimAnswerBeforeTheBody) {
  ServerOptions options;
  options.max_body_bytes = 100;
  auto server = serve(options);
  ASSERT_TRUE(server);
  RawConnection c(server->port());
  ASSERT_TRUE(c.send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  const auto interim = c.read_responses(1, kWait);
  ASSERT_EQ(interim.size(), 1u);
  EXPECT_EQ(interim[0].status, 100);
  ASSERT_TRUE(c.send("hello"));
  const auto final = c.read_responses(1, kWait);
  ASSERT_EQ(final.size(), 1u);
  EXPECT_EQ(final[0].body, "POST hello");

  // Too large: refused at once, the body is never asked for.
  ASSERT_TRUE(c.send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\nExpect: 100-continue\r\n\r\n"));
  const auto refused = c.read_responses(1, kWait);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].status, 413);
}

TEST(ServerHttp11, ChunkedRequestBodyReachesTheHandler) {
  auto server = serve({});
  ASSERT_TRUE(server);
  RawConnection c(server->port());
  ASSERT_TRUE(
      c.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
             "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
  const auto r = c.read_responses(1, kWait);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].body, "POST hello world");
}

TEST(ServerHttp11, Http10ClosesUnlessAskedToKeepAlive) {
  auto server = serve({});
  ASSERT_TRUE(server);
  RawConnection c(server->port());
  ASSERT_TRUE(c.send("GET /healthz HTTP/1.0\r\n\r\n"));
  const auto r = c.read_responses(1, kWait);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].body, "ok");
  EXPECT_TRUE(c.wait_closed(kWait));

  RawConnection kept(server->port());
  ASSERT_TRUE(kept.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  const auto first = kept.read_responses(1, kWait);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].header("connection"), "keep-alive");
  ASSERT_TRUE(kept.send("GET /echo HTTP/1.0\r\n\r\n"));
  const auto second = kept.read_responses(1, kWait);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].body, "GET /echo?");
  EXPECT_TRUE(kept.wait_closed(kWait));
}

TEST(ServerLimits, ConnectionCapClosesTheLongestIdleFirst) {
  ServerOptions options;
  options.max_connections = 3;
  auto server = serve(options);
  ASSERT_TRUE(server);
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < 3; ++i) {
    idle.push_back(std::make_unique<RawConnection>(server->port()));
    ASSERT_TRUE(idle.back()->send(keep_alive_get("/healthz")));
    ASSERT_EQ(idle.back()->read_responses(1, kWait).size(), 1u);
  }
  // A fourth connection is served; the first (longest idle) makes room for it.
  EXPECT_EQ(send(server->port(), "GET", "/healthz").status, 200);
  EXPECT_TRUE(idle[0]->wait_closed(kWait));
  EXPECT_EQ(server->stats().connections_evicted, 1u);
  ASSERT_TRUE(idle[2]->send(keep_alive_get("/healthz")));
  const auto still = idle[2]->read_responses(1, kWait);
  ASSERT_EQ(still.size(), 1u);
  EXPECT_EQ(still[0].status, 200);
}

TEST(ServerLimits, AtTheCapWithEveryConnectionBusyTheNewOneIsRefused) {
  ServerOptions options;
  options.max_connections = 1;
  auto server = std::make_unique<HttpServer>(local(options));
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false;
  bool release = false;
  server->route("GET", "/busy", [&](const Request&) {
    std::unique_lock lock(mu);
    entered = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
    return text("done");
  });
  ASSERT_EQ(server->start(), "");
  RawConnection busy(server->port());
  ASSERT_TRUE(busy.send(keep_alive_get("/busy")));
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, kWait, [&] { return entered; }));
  }
  RawConnection extra(server->port());
  EXPECT_TRUE(extra.wait_closed(kWait));
  EXPECT_EQ(server->stats().connections_refused, 1u);
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  const auto r = busy.read_responses(1, kWait);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].body, "done");
}

TEST(ServerDeadlines, AClientThatDoesNotReadItsAnswerIsCutOff) {
  ServerOptions options;
  options.write_timeout = 300ms;
  auto server = std::make_unique<HttpServer>(local(options));
  const std::string huge(16u << 20, 'x');  // far more than the socket buffers of a non-reader
  server->route("GET", "/huge", [&](const Request&) { return text(huge); });
  server->route("GET", "/healthz", [](const Request&) { return text("ok"); });
  ASSERT_EQ(server->start(), "");
  RawConnection reader_that_never_reads(server->port());
  ASSERT_TRUE(reader_that_never_reads.send(keep_alive_get("/huge")));
  EXPECT_TRUE(kopiur::test::wait_until([&] { return server->stats().write_timeouts == 1; }, kWait));
  EXPECT_EQ(send(server->port(), "GET", "/healthz").body, "ok");
}

TEST(ServerLimits, RefusalsAreSummarisedPerIntervalNotLoggedPerRequest) {
  std::mutex mu;
  std::vector<std::string> warnings;
  ServerOptions options;
  options.refusal_log_interval = 500ms;
  options.on_warning = [&](std::string_view w) {
    std::lock_guard lock(mu);
    warnings.emplace_back(w);
  };
  auto server = serve(options);
  ASSERT_TRUE(server);
  constexpr int kRefused = 20;
  for (int i = 0; i < kRefused; ++i) {
    EXPECT_EQ(send(server->port(), "GET", "/" + std::string(20000, 'x')).status, 414);
  }
  // Every refusal shows up in some summary, and summaries are far fewer than refusals.
  auto reported = [&] {
    std::lock_guard lock(mu);
    int sum = 0;
    for (const auto& w : warnings) {
      const auto at = w.find("414 request line too long: ");
      if (at != std::string::npos) sum += std::stoi(w.substr(at + 27));
    }
    return sum;
  };
  ASSERT_TRUE(kopiur::test::wait_until([&] { return reported() == kRefused; }, kWait));
  std::lock_guard lock(mu);
  EXPECT_LT(warnings.size(), static_cast<std::size_t>(kRefused));
  EXPECT_THAT(warnings[0], HasSubstr("since the last report"));
}

TEST(ServerOptionsCheck, NonsenseIsAnErrorNamingTheField) {
  ServerOptions options = local();
  options.io_threads = 0;
  EXPECT_THAT(HttpServer(options).start(), HasSubstr("io_threads"));
  options = local();
  options.max_connections = 0;
  EXPECT_THAT(HttpServer(options).start(), HasSubstr("max_connections"));
  options = local();
  options.head_timeout = 0ms;
  EXPECT_THAT(HttpServer(options).start(), HasSubstr("head_timeout"));
}

}  // namespace
}  // namespace kopiur::telemetry::http
