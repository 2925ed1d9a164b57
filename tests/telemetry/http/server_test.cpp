// HttpServer over plain HTTP: routing and status codes, HEAD, gzip, concurrency, bind errors,
// shutdown, malformed input.
#include "kopiur/telemetry/http/server.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include "support/wait.hpp"
#include "telemetry/http/raw_client.hpp"

namespace kopiur::telemetry::http {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using testing::send;

Response text(std::string body, int status = 200) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// A body large and repetitive enough to be worth compressing, different on every call.
std::string exposition(int series) {
  std::string out = "# HELP kopiur_test_series A test gauge.\n# TYPE kopiur_test_series gauge\n";
  for (int i = 0; i < series; ++i) {
    out +=
        "kopiur_test_series{index=\"" + std::to_string(i) + "\"} " + std::to_string(i * 7) + "\n";
  }
  return out;
}

ServerOptions local(ServerOptions options = {}) {
  options.address = "127.0.0.1:0";
  return options;
}

class ServerTest : public ::testing::Test {
 protected:
  void start(ServerOptions options = local()) {
    server_ = std::make_unique<HttpServer>(std::move(options));
    server_->route("GET", "/hello", [](const Request&) {
      Response r = text("hello\n");
      r.content_type = "text/x-greeting";
      r.headers.emplace("X-Kopiur-Test", "yes");
      return r;
    });
    server_->route("GET", "/big", [this](const Request&) { return text(big_); });
    server_->route("post", "/echo", [](const Request& req) {  // method names are upper-cased
      return text(req.method + " " + req.body + " " + req.header("X-CASE-Test"));
    });
    server_->route("GET", "/echo", [](const Request& req) { return text(req.method); });
    server_->route("GET", "/query",
                   [](const Request& req) { return text(req.path + "|" + req.query); });
    server_->route("GET", "/throws",
                   [](const Request&) -> Response { throw std::runtime_error("boom"); });
    ASSERT_EQ(server_->start(), "");
    port_ = server_->port();
  }

  std::string big_ = exposition(200);
  std::unique_ptr<HttpServer> server_;
  std::uint16_t port_ = 0;
};

TEST_F(ServerTest, PortIsZeroBeforeStartAndEphemeralAfter) {
  HttpServer unstarted(local());
  EXPECT_EQ(unstarted.port(), 0);
  start();
  EXPECT_NE(port_, 0);
  EXPECT_TRUE(testing::can_connect(port_));
}

TEST_F(ServerTest, GetReturnsTheHandlersStatusBodyTypeAndHeaders) {
  start();
  const auto r = send(port_, "GET", "/hello");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello\n");
  EXPECT_EQ(r.header("content-type"), "text/x-greeting");
  EXPECT_EQ(r.header("x-kopiur-test"), "yes");
  EXPECT_EQ(r.header("content-length"), "6");
}

TEST_F(ServerTest, HeadAnswersLikeGetWithoutABody) {
  start();
  const auto get = send(port_, "GET", "/big");
  const auto head = send(port_, "HEAD", "/big");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(head.header("content-length"), std::to_string(big_.size()));
  EXPECT_EQ(head.header("content-length"), get.header("content-length"));
  EXPECT_EQ(head.header("content-type"), get.header("content-type"));
  EXPECT_EQ(get.body, big_);
}

TEST_F(ServerTest, HeadReachesTheGetHandlerWithMethodHead) {
  start();
  const auto head = send(port_, "HEAD", "/echo");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("content-length"), "4");  // "HEAD"
}

// The server writes Content-Type, Content-Length, Transfer-Encoding and Connection itself: a
// handler's own fields of those names are not sent (one of each, the server's), and a field that
// would split the head (CR or LF in its value, a name that is not a token) is not sent at all.
TEST(ServerFields, ServerOwnedAndHeadSplittingFieldsAreNotSent) {
  HttpServer server(local());
  server.route("GET", "/fields", [](const Request&) {
    Response r = text("four");
    r.content_type = "text/x-own";
    r.headers.emplace("Content-Type", "text/x-handler");
    r.headers.emplace("content-length", "999");
    r.headers.emplace("Transfer-Encoding", "chunked");
    r.headers.emplace("Connection", "upgrade");
    r.headers.emplace("X-Split", "a\r\nX-Injected: yes");
    r.headers.emplace("Bad Name", "x");
    r.headers.emplace("X-Kept", "kept");
    return r;
  });
  ASSERT_EQ(server.start(), "");
  const auto raw = testing::exchange(server.port(), testing::make_request("GET", "/fields"));
  const auto r = testing::parse_response(raw);
  ASSERT_TRUE(r.has_value()) << raw;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "four");
  EXPECT_EQ(r->count("content-type"), 1u);
  EXPECT_EQ(r->header("content-type"), "text/x-own");
  EXPECT_EQ(r->count("content-length"), 1u);
  EXPECT_EQ(r->header("content-length"), "4");
  EXPECT_EQ(r->count("transfer-encoding"), 0u);
  EXPECT_EQ(r->header("connection"), "close");  // the request asked for close
  EXPECT_EQ(r->count("x-split"), 0u);
  EXPECT_EQ(r->count("x-injected"), 0u);
  EXPECT_EQ(raw.find("Bad Name"), std::string::npos) << raw;
  EXPECT_EQ(r->header("x-kept"), "kept");
}

// A status HTTP cannot carry (three digits) answers 500 instead of a broken status line; a known
// status gets its reason phrase, an unknown three-digit one an empty reason.
TEST(ServerFields, StatusLineCarriesThreeDigitsAndTheReason) {
  HttpServer server(local());
  server.route("GET", "/busy", [](const Request&) { return text("later", 503); });
  server.route("GET", "/teapot", [](const Request&) { return text("short and stout", 418); });
  server.route("GET", "/huge", [](const Request&) { return text("no", 1000); });
  server.route("GET", "/tiny", [](const Request&) { return text("no", 42); });
  ASSERT_EQ(server.start(), "");
  const auto busy = testing::exchange(server.port(), testing::make_request("GET", "/busy"));
  EXPECT_EQ(busy.rfind("HTTP/1.1 503 Service Unavailable\r\n", 0), 0u) << busy;
  const auto teapot = testing::exchange(server.port(), testing::make_request("GET", "/teapot"));
  EXPECT_EQ(teapot.rfind("HTTP/1.1 418 \r\n", 0), 0u) << teapot;
  EXPECT_EQ(testing::send(server.port(), "GET", "/huge").status, 500);
  EXPECT_EQ(testing::send(server.port(), "GET", "/tiny").status, 500);
}

TEST_F(ServerTest, UnknownPathIs404) {
  start();
  const auto r = send(port_, "GET", "/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_THAT(r.body, HasSubstr("/nope"));
  // Routes are exact paths: no prefix or trailing-slash matching.
  EXPECT_EQ(send(port_, "GET", "/hello/").status, 404);
  EXPECT_EQ(send(port_, "GET", "/hell").status, 404);
  EXPECT_EQ(send(port_, "POST", "/nope", "", "x").status, 404);
}

TEST_F(ServerTest, KnownPathWithAnotherMethodIs405WithAllow) {
  start();
  const auto r = send(port_, "POST", "/hello", "", "x");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("allow"), "GET, HEAD");
  EXPECT_THAT(r.body, HasSubstr("POST"));

  const auto del = send(port_, "DELETE", "/echo");
  EXPECT_EQ(del.status, 405);
  EXPECT_EQ(del.header("allow"), "GET, HEAD, POST");

  // Methods without any route on the path (TRACE, OPTIONS) are answered the same way.
  const auto trace = send(port_, "TRACE", "/hello");
  EXPECT_EQ(trace.status, 405);
  EXPECT_EQ(trace.header("allow"), "GET, HEAD");
  EXPECT_EQ(send(port_, "OPTIONS", "/hello").status, 405);
  EXPECT_EQ(send(port_, "PUT", "/hello", "", "x").status, 405);
}

TEST_F(ServerTest, PostDeliversBodyAndCaseInsensitiveHeaders) {
  start();
  const auto r = send(port_, "POST", "/echo", "x-Case-TEST: v1\r\n", "payload");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "POST payload v1");
}

TEST_F(ServerTest, QueryStringIsSeparateFromThePath) {
  start();
  EXPECT_EQ(send(port_, "GET", "/query?timeout=10s&x=%2F").body, "/query|timeout=10s&x=%2F");
  EXPECT_EQ(send(port_, "GET", "/query").body, "/query|");
}

TEST_F(ServerTest, ThrowingHandlerGives500AndServerKeepsServing) {
  start();
  const auto r = send(port_, "GET", "/throws");
  EXPECT_EQ(r.status, 500);
  EXPECT_THAT(r.body, HasSubstr("boom"));
  EXPECT_EQ(send(port_, "GET", "/hello").status, 200);
}

TEST_F(ServerTest, GzipWhenAcceptedRoundTrips) {
  start();
  const auto r = send(port_, "GET", "/big", "Accept-Encoding: gzip\r\n");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-encoding"), "gzip");
  EXPECT_EQ(r.header("vary"), "Accept-Encoding");
  EXPECT_EQ(r.header("content-length"), std::to_string(r.body.size()));
  EXPECT_LT(r.body.size(), big_.size() / 2);
  const auto plain = testing::gunzip(r.body);
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(*plain, big_);

  // HEAD announces the same compressed length.
  const auto head = send(port_, "HEAD", "/big", "Accept-Encoding: gzip\r\n");
  EXPECT_EQ(head.header("content-encoding"), "gzip");
  EXPECT_EQ(head.header("content-length"), r.header("content-length"));
  EXPECT_EQ(head.body, "");
}

TEST_F(ServerTest, GzipHonoursAcceptEncodingVariants) {
  start();
  const auto listed = send(port_, "GET", "/big", "Accept-Encoding: deflate, GZIP;q=0.5\r\n");
  EXPECT_EQ(listed.header("content-encoding"), "gzip");
  EXPECT_EQ(testing::gunzip(listed.body).value_or(""), big_);

  for (const char* header : {"", "Accept-Encoding: identity\r\n", "Accept-Encoding: gzip;q=0\r\n",
                             "Accept-Encoding: br, deflate\r\n"}) {
    const auto r = send(port_, "GET", "/big", header);
    EXPECT_EQ(r.header("content-encoding"), "") << header;
    EXPECT_EQ(r.body, big_) << header;
  }
}

TEST_F(ServerTest, SmallBodiesAreNotCompressed) {
  start();
  const auto r = send(port_, "GET", "/hello", "Accept-Encoding: gzip\r\n");
  EXPECT_EQ(r.header("content-encoding"), "");
  EXPECT_EQ(r.body, "hello\n");
}

TEST_F(ServerTest, GzipCanBeSwitchedOff) {
  ServerOptions options = local();
  options.gzip = false;
  start(options);
  const auto r = send(port_, "GET", "/big", "Accept-Encoding: gzip\r\n");
  EXPECT_EQ(r.header("content-encoding"), "");
  EXPECT_EQ(r.body, big_);
}

TEST_F(ServerTest, HandlerSetContentEncodingIsNotCompressedAgain) {
  server_ = std::make_unique<HttpServer>(local());
  const std::string payload(4096, 'z');
  server_->route("GET", "/pre", [&](const Request&) {
    Response r = text(payload);
    r.headers.emplace("Content-Encoding", "identity");
    return r;
  });
  ASSERT_EQ(server_->start(), "");
  const auto r = send(server_->port(), "GET", "/pre", "Accept-Encoding: gzip\r\n");
  EXPECT_EQ(r.header("content-encoding"), "identity");
  EXPECT_EQ(r.count("content-encoding"), 1u);
  EXPECT_EQ(r.body, payload);
}

TEST(ServerConcurrency, EightClientsGetTheirOwnAnswersOnBoundedWorkers) {
  constexpr int kClients = 8;
  constexpr int kRequests = 40;
  ServerOptions options = local();
  options.worker_threads = 3;
  HttpServer server(options);
  std::atomic<int> in_flight{0};
  std::atomic<int> max_in_flight{0};
  std::atomic<int> handled{0};
  server.route("GET", "/id", [&](const Request& req) {
    const int now = ++in_flight;
    int seen = max_in_flight.load();
    while (now > seen && !max_in_flight.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::yield();
    Response r = text(exposition(40) + req.header("x-client") + "/" + req.header("x-seq"));
    ++handled;
    --in_flight;
    return r;
  });
  ASSERT_EQ(server.start(), "");

  std::atomic<int> correct{0};
  std::vector<std::thread> clients;
  clients.reserve(kClients);
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      httplib::Client client("127.0.0.1", server.port());
      client.set_keep_alive(c % 2 == 0);  // half reuse connections, half reconnect
      for (int i = 0; i < kRequests; ++i) {
        const std::string expected = exposition(40) + std::to_string(c) + "/" + std::to_string(i);
        auto res =
            client.Get("/id", {{"X-Client", std::to_string(c)}, {"X-Seq", std::to_string(i)}});
        if (res && res->status == 200 && res->body == expected) ++correct;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(correct.load(), kClients * kRequests);
  EXPECT_EQ(handled.load(), kClients * kRequests);
  EXPECT_GE(max_in_flight.load(), 1);
  EXPECT_LE(max_in_flight.load(), options.worker_threads);
}

TEST(ServerBind, AddressInUseIsReported) {
  HttpServer first(local());
  ASSERT_EQ(first.start(), "");
  ServerOptions options;
  options.address = "127.0.0.1:" + std::to_string(first.port());
  HttpServer second(options);
  const std::string err = second.start();
  EXPECT_THAT(err, HasSubstr("cannot bind 127.0.0.1:" + std::to_string(first.port())));
  EXPECT_THAT(err, HasSubstr("Address already in use"));
  EXPECT_EQ(second.port(), 0);
}

TEST(ServerBind, BadAddressesAreReported) {
  struct Case {
    const char* address;
    const char* expected;
  };
  for (const Case& c :
       {Case{"nohost", "expected host:port"}, Case{"1.2.3.4:99999", "out of range"},
        Case{"127.0.0.1:http", "not a number"},
        Case{"no-such-host.invalid:8080", "cannot resolve host 'no-such-host.invalid'"},
        Case{"192.0.2.1:8080", "Cannot assign requested address"}}) {
    ServerOptions options;
    options.address = c.address;
    HttpServer server(options);
    EXPECT_THAT(server.start(), HasSubstr(c.expected)) << c.address;
    EXPECT_EQ(server.port(), 0) << c.address;
  }
}

TEST(ServerBind, ZeroWorkersIsAnError) {
  ServerOptions options = local();
  options.worker_threads = 0;
  HttpServer server(options);
  EXPECT_THAT(server.start(), HasSubstr("worker_threads"));
}

TEST(ServerBind, IPv6LoopbackAndAllInterfaces) {
  ServerOptions v6;
  v6.address = "[::1]:0";
  HttpServer server6(v6);
  ASSERT_EQ(server6.start(), "");
  EXPECT_NE(server6.port(), 0);

  ServerOptions any;
  any.address = ":0";
  HttpServer server_any(any);
  server_any.route("GET", "/x", [](const Request&) { return text("x"); });
  ASSERT_EQ(server_any.start(), "");
  EXPECT_EQ(send(server_any.port(), "GET", "/x").body, "x");  // reached through 127.0.0.1
}

TEST(ServerLifecycle, StopIsIdempotentAndClosesThePort) {
  HttpServer server(local());
  ASSERT_EQ(server.start(), "");
  const auto port = server.port();
  EXPECT_NE(server.start(), "");  // a second start is refused, the first keeps serving
  EXPECT_TRUE(testing::can_connect(port));
  server.stop();
  EXPECT_FALSE(testing::can_connect(port));
  server.stop();  // and the destructor a third time
}

TEST(ServerLifecycle, StopBeforeStartIsHarmless) {
  HttpServer server(local());
  server.stop();
  EXPECT_EQ(server.port(), 0);
}

TEST(ServerLifecycle, StopLetsInFlightRequestsFinish) {
  HttpServer server(local());
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false;
  bool release = false;
  server.route("GET", "/slow", [&](const Request&) {
    std::unique_lock lock(mu);
    entered = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
    return text("finished");
  });
  ASSERT_EQ(server.start(), "");
  const auto port = server.port();

  testing::RawResponse response;
  std::thread client([&] { response = send(port, "GET", "/slow"); });
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return entered; }));
  }
  std::thread stopper([&] { server.stop(); });
  // stop() has closed the listener while the request is still inside its handler.
  EXPECT_TRUE(kopiur::test::wait_until([&] { return !testing::can_connect(port); }, 10s));
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  client.join();
  stopper.join();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "finished");
}

TEST(ServerLifecycle, StopDoesNotWaitOutIdleKeepAliveConnections) {
  ServerOptions options = local();
  options.keep_alive_timeout = std::chrono::seconds(600);
  HttpServer server(options);
  server.route("GET", "/ok", [](const Request&) { return text("ok"); });
  ASSERT_EQ(server.start(), "");
  // A client that got its answer and keeps the connection open, as scrapers do.
  httplib::Client client("127.0.0.1", server.port());
  client.set_keep_alive(true);
  auto res = client.Get("/ok");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);

  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    server.stop();
    stopped = true;
  });
  // Without waking the idle connection, stop() would wait for the 600 s keep-alive timeout.
  const bool prompt = kopiur::test::wait_until([&] { return stopped.load(); }, 30s);
  EXPECT_TRUE(prompt);
  if (!prompt) client.stop();  // unblock the server so the test can end
  stopper.join();
}

TEST(ServerLifecycle, RoutesAddedAfterStartAreIgnoredWithAWarning) {
  std::mutex mu;
  std::vector<std::string> warnings;
  ServerOptions options = local();
  options.on_warning = [&](std::string_view w) {
    std::lock_guard lock(mu);
    warnings.emplace_back(w);
  };
  HttpServer server(options);
  ASSERT_EQ(server.start(), "");
  server.route("GET", "/late", [](const Request&) { return text("late"); });
  EXPECT_EQ(send(server.port(), "GET", "/late").status, 404);
  std::lock_guard lock(mu);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_THAT(warnings[0], HasSubstr("/late"));
}

TEST(ServerHealth, ReadyzIs503WithReasonUntilReady) {
  HttpServer server(local());
  Health health;
  add_health_routes(server, health);
  ASSERT_EQ(server.start(), "");
  const auto port = server.port();

  const auto live = send(port, "GET", "/healthz");
  EXPECT_EQ(live.status, 200);
  EXPECT_EQ(live.body, "ok");

  auto ready = send(port, "GET", "/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_THAT(ready.body, HasSubstr("starting"));

  health.set_ready(false, "waiting for the informer cache to sync");
  ready = send(port, "GET", "/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_THAT(ready.body, HasSubstr("waiting for the informer cache to sync"));
  EXPECT_EQ(send(port, "HEAD", "/readyz").status, 503);

  health.set_ready(true);
  ready = send(port, "GET", "/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.body, "ok");
  EXPECT_EQ(send(port, "HEAD", "/readyz").status, 200);
  EXPECT_TRUE(health.ready());

  health.set_ready(false, "shutting down");
  EXPECT_EQ(send(port, "GET", "/readyz").status, 503);
  EXPECT_EQ(health.reason(), "shutting down");
  EXPECT_EQ(send(port, "POST", "/healthz", "", "x").status, 405);
}

TEST(ServerMetricsRoute, PassesAcceptAndUsesTheReturnedContentType) {
  HttpServer server(local());
  std::mutex mu;
  std::string seen_accept;
  bool fail = false;
  add_metrics_route(server, "/metrics", [&](std::string_view accept) -> ScrapeResult {
    std::lock_guard lock(mu);
    if (fail) throw std::runtime_error("collector broke");
    seen_accept = accept;
    return {"application/openmetrics-text; version=1.0.0; charset=utf-8", "# EOF\n"};
  });
  ASSERT_EQ(server.start(), "");
  const auto r = send(server.port(), "GET", "/metrics",
                      "Accept: application/openmetrics-text;version=1.0.0\r\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "application/openmetrics-text; version=1.0.0; charset=utf-8");
  EXPECT_EQ(r.body, "# EOF\n");
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(seen_accept, "application/openmetrics-text;version=1.0.0");
    fail = true;
  }
  const auto broken = send(server.port(), "GET", "/metrics");
  EXPECT_EQ(broken.status, 500);
  EXPECT_THAT(broken.body, HasSubstr("collector broke"));
}

// Malformed input gets an error or a closed connection, never a crash, and the server goes on.
TEST(ServerMalformed, GarbageAndHugeRequestsDoNotHurtTheServer) {
  HttpServer server(local());
  server.route("GET", "/ok", [](const Request&) { return text("ok"); });
  ASSERT_EQ(server.start(), "");
  const auto port = server.port();

  std::string garbage;
  for (int i = 0; i < 8192; ++i) garbage.push_back(static_cast<char>((i * 131 + 7) % 256));
  const std::string huge_header =
      "GET /ok HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(1 << 20, 'a') +
      "\r\nConnection: close\r\n\r\n";
  std::string many_headers = "GET /ok HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 5000; ++i) many_headers += "X-H" + std::to_string(i) + ": v\r\n";
  many_headers += "Connection: close\r\n\r\n";
  const std::vector<std::string> inputs = {
      garbage,
      std::string("\0\0\0\0\r\n\r\n", 8),
      "GET\r\n\r\n",
      "GET /ok HTTP/9.9\r\n\r\n",
      "FROB /ok HTTP/1.1\r\nConnection: close\r\n\r\n",
      "GET /" + std::string(100000, 'p') + " HTTP/1.1\r\nConnection: close\r\n\r\n",
      huge_header,
      many_headers,
      "POST /ok HTTP/1.1\r\nContent-Length: nope\r\nConnection: close\r\n\r\nabc",
      "POST /ok HTTP/1.1\r\nContent-Length: 99999999999999999999\r\nConnection: close\r\n\r\n",
      "POST /ok HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n",
      "GET /ok HTTP/1.1\r\nHost: x",  // truncated head
  };
  for (const auto& input : inputs) {
    const std::string raw = testing::exchange(port, input, /*half_close=*/true);
    if (const auto r = testing::parse_response(raw)) {
      EXPECT_GE(r->status, 400) << "input of " << input.size() << " bytes";
    }
    const auto after = send(port, "GET", "/ok");
    EXPECT_EQ(after.status, 200) << "after input of " << input.size() << " bytes";
  }
}

TEST(ServerMalformed, OversizedBodyIsRejected) {
  ServerOptions options = local();
  options.max_body_bytes = 1024;
  HttpServer server(options);
  server.route("POST", "/in",
               [](const Request& req) { return text(std::to_string(req.body.size())); });
  ASSERT_EQ(server.start(), "");
  EXPECT_EQ(send(server.port(), "POST", "/in", "", std::string(100, 'b')).body, "100");
  EXPECT_EQ(send(server.port(), "POST", "/in", "", std::string(4096, 'b')).status, 413);
}

}  // namespace
}  // namespace kopiur::telemetry::http
