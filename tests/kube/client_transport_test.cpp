// The client's transport against peers that misbehave on cue (ScriptedServer) and against a TLS
// server (kopiur_http with a test CA): watch events delivered one at a time (also when the server
// compresses unasked), the idle and request deadlines, prompt cancellation, connection reuse,
// refused connections, TLS trust and the bearer token (re-read when its file rotates).
#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>
#include <zlib.h>

#include "kopiur/kube/client.hpp"
#include "kopiur/telemetry/http/server.hpp"

#include "kube/scripted_server.hpp"
#include "support/temp_dir.hpp"
#include "support/test_pki.hpp"

namespace kopiur::kube {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::ScriptedConnection;
using testing::ScriptedServer;

constexpr const char* kStreamHead =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";

// Names delivered by the client, with a way for the server's thread to wait for them.
class Delivered {
 public:
  void add(std::string name) {
    std::lock_guard lock(mu_);
    names_.push_back(std::move(name));
    cv_.notify_all();
  }
  bool wait_for(std::size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return names_.size() >= count; });
  }
  std::vector<std::string> names() {
    std::lock_guard lock(mu_);
    return names_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> names_;
};

std::string event_line(const std::string& name, int rv) {
  return json{{"type", "ADDED"},
              {"object", {{"metadata", {{"name", name}, {"resourceVersion", std::to_string(rv)}}}}}}
             .dump() +
         "\n";
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

Config config_for(const std::string& url) {
  Config config;
  config.server = url;
  config.timeout = 5s;
  config.connect_timeout = 5s;
  config.watch_idle_timeout = 30s;
  return config;
}

Status watch_names(Client& client, Delivered& delivered, CancelToken* cancel = nullptr) {
  return client.watch(
      resources::kConfigMaps, "default", {},
      [&](WatchEvent&& event) {
        delivered.add(event.object["metadata"].value("name", ""));
        return true;
      },
      cancel);
}

TEST(ClientTransport, WatchDeliversEachEventBeforeTheServerSendsTheNext) {
  Delivered delivered;
  std::atomic<bool> each_event_alone{true};
  std::mutex head_mu;
  std::string head;
  ScriptedServer server([&](ScriptedConnection& connection) {
    {
      std::lock_guard lock(head_mu);
      head = connection.read_head();
    }
    connection.write(kStreamHead);
    for (int i = 1; i <= 3; ++i) {
      connection.write_chunk(event_line("cm-" + std::to_string(i), i));
      // The next event is written only once the client has handed this one over.
      if (!delivered.wait_for(static_cast<std::size_t>(i), 10s)) {
        each_event_alone = false;
        return;
      }
    }
    connection.write_chunk("");
  });
  ASSERT_TRUE(server.listening());
  Client client(config_for(server.url()));
  auto status = watch_names(client, delivered);
  ASSERT_TRUE(status.ok()) << status.error().to_string();
  EXPECT_TRUE(each_event_alone) << "an event was held back until more bytes arrived";
  EXPECT_EQ(delivered.names(), (std::vector<std::string>{"cm-1", "cm-2", "cm-3"}));
  std::lock_guard lock(head_mu);
  EXPECT_NE(head.find("GET /api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=290"),
            std::string::npos)
      << head;
  EXPECT_EQ(lower(head).find("accept-encoding: gzip"), std::string::npos)
      << "a watch does not ask for compression: " << head;
}

// gzip with a sync flush after each event: what a server that compresses streams must do.
class Gzip {
 public:
  Gzip() { ok_ = deflateInit2(&z_, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK; }
  ~Gzip() { deflateEnd(&z_); }
  Gzip(const Gzip&) = delete;
  Gzip& operator=(const Gzip&) = delete;
  bool ok() const { return ok_; }
  std::string compress(const std::string& text, int flush) {
    std::string out;
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
    z_.avail_in = static_cast<uInt>(text.size());
    do {
      char buffer[4096];
      z_.next_out = reinterpret_cast<Bytef*>(buffer);
      z_.avail_out = sizeof(buffer);
      deflate(&z_, flush);
      out.append(buffer, sizeof(buffer) - z_.avail_out);
    } while (z_.avail_out == 0);
    return out;
  }

 private:
  z_stream z_{};
  bool ok_ = false;
};

TEST(ClientTransport, WatchDecodesAServerThatCompressesUnaskedEventByEvent) {
  Delivered delivered;
  std::atomic<bool> each_event_alone{true};
  ScriptedServer server([&](ScriptedConnection& connection) {
    (void)connection.read_head();
    Gzip gzip;
    if (!gzip.ok()) return;
    connection.write(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
        "Transfer-Encoding: chunked\r\n\r\n");
    for (int i = 1; i <= 3; ++i) {
      connection.write_chunk(gzip.compress(event_line("gz-" + std::to_string(i), i), Z_SYNC_FLUSH));
      if (!delivered.wait_for(static_cast<std::size_t>(i), 10s)) {
        each_event_alone = false;
        return;
      }
    }
    connection.write_chunk(gzip.compress("", Z_FINISH));
    connection.write_chunk("");
  });
  ASSERT_TRUE(server.listening());
  Client client(config_for(server.url()));
  auto status = watch_names(client, delivered);
  ASSERT_TRUE(status.ok()) << status.error().to_string();
  EXPECT_TRUE(each_event_alone) << "a compressed event was held back";
  EXPECT_EQ(delivered.names(), (std::vector<std::string>{"gz-1", "gz-2", "gz-3"}));
}

TEST(ClientTransport, StalledWatchTripsTheIdleDeadline) {
  Delivered delivered;
  ScriptedServer server([&](ScriptedConnection& connection) {
    (void)connection.read_head();
    connection.write(kStreamHead);
    connection.write_chunk(event_line("only", 1));
    (void)connection.read_head();  // then silence, until the client hangs up
  });
  ASSERT_TRUE(server.listening());
  auto config = config_for(server.url());
  config.watch_idle_timeout = 300ms;
  Client client(config);
  auto status = watch_names(client, delivered);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(delivered.names(), std::vector<std::string>{"only"});
  const auto& message = status.error().message;
  EXPECT_EQ(status.error().step, "watch /api/v1/namespaces/default/configmaps");
  EXPECT_NE(message.find("no data from " + server.url() + "/api/v1/namespaces/default/configmaps"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("(idle deadline 0.3 s): the server or the network stalled"),
            std::string::npos)
      << message;
}

TEST(ClientTransport, CancelledWatchReturnsPromptly) {
  Delivered asked;
  ScriptedServer server([&](ScriptedConnection& connection) {
    (void)connection.read_head();
    asked.add("watch");
    (void)connection.read_head();  // never answers; the client hangs up when cancelled
  });
  ASSERT_TRUE(server.listening());
  auto config = config_for(server.url());
  config.watch_idle_timeout = 120s;
  Client client(config);
  CancelToken cancel;
  Delivered delivered;
  std::optional<Status> status;
  std::chrono::steady_clock::time_point returned;
  std::thread watch([&] {
    status = watch_names(client, delivered, &cancel);
    returned = std::chrono::steady_clock::now();
  });
  ASSERT_TRUE(asked.wait_for(1, 10s));
  const auto cancelled = std::chrono::steady_clock::now();
  cancel.cancel();
  watch.join();
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(status->ok()) << status->error().to_string();
  // The bound is generous for a loaded machine and far below the 120 s idle deadline and the
  // server's 290 s timeout, the only other ways the watch could have ended.
  EXPECT_LT(returned - cancelled, 5s);
}

TEST(ClientTransport, RequestWithoutAnswerTripsTheRequestDeadline) {
  ScriptedServer server([&](ScriptedConnection& connection) {
    (void)connection.read_head();
    (void)connection.read_head();  // no answer, until the client hangs up
  });
  ASSERT_TRUE(server.listening());
  auto config = config_for(server.url());
  config.timeout = 1s;
  Client client(config);
  auto r = client.get(resources::kConfigMaps, "default", "x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().step, "GET /api/v1/namespaces/default/configmaps/x");
  EXPECT_EQ(r.error().http_status, 0);
  EXPECT_NE(
      r.error().message.find("timed out waiting for " + server.url() +
                             "/api/v1/namespaces/default/configmaps/x (request deadline 1 s)"),
      std::string::npos)
      << r.error().message;
}

TEST(ClientTransport, TlsHandshakeThatNeverEndsTripsTheConnectDeadline) {
  ScriptedServer server([&](ScriptedConnection& connection) {
    (void)connection.read_head();  // reads the ClientHello's bytes, answers nothing
  });
  ASSERT_TRUE(server.listening());
  const std::string url = "https://127.0.0.1:" + std::to_string(server.port());
  auto config = config_for(url);
  config.connect_timeout = 500ms;
  Delivered delivered;
  Client client(config);
  auto status = watch_names(client, delivered);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("TLS handshake with " + url +
                                        "/api/v1/namespaces/default/configmaps timed out "
                                        "(connect deadline 0.5 s)"),
            std::string::npos)
      << status.error().message;
}

TEST(ClientTransport, RefusedConnectionIsNamed) {
  const std::string url = "http://127.0.0.1:" + std::to_string(testing::free_port());
  Client client(config_for(url));
  auto r = client.get(resources::kNamespaces, "", "default");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("connection to " + url + "/api/v1/namespaces/default refused"),
            std::string::npos)
      << r.error().message;
}

TEST(ClientTransport, SequentialRequestsReuseOneConnection) {
  const std::string body = R"({"kind":"ConfigMap","metadata":{"name":"x"}})";
  ScriptedServer server([&](ScriptedConnection& connection) {
    for (auto head = connection.read_head(); !head.empty(); head = connection.read_head()) {
      if (lower(head).find("content-length: ") != std::string::npos) {
        const auto at = lower(head).find("content-length: ") + 16;
        (void)connection.read_body(std::stoul(head.substr(at)));
      }
      connection.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                       std::to_string(body.size()) + "\r\n\r\n" + body);
    }
  });
  ASSERT_TRUE(server.listening());
  Client client(config_for(server.url()));
  Client copy = client;  // copies share the connections
  for (int i = 0; i < 3; ++i) {
    auto got = (i % 2 == 0 ? client : copy).get(resources::kConfigMaps, "default", "x");
    ASSERT_TRUE(got.ok()) << got.error().to_string();
    EXPECT_EQ((*got)["metadata"]["name"], "x");
  }
  auto patched = client.patch(resources::kConfigMaps, "default", "x", {{"data", {{"a", "b"}}}},
                              PatchType::kMerge);
  ASSERT_TRUE(patched.ok()) << patched.error().to_string();
  EXPECT_EQ(server.accepted(), 1);
}

TEST(ClientTransport, WatchAnsweredWithAnHttpErrorKeepsItsStatus) {
  const std::string body =
      R"({"kind":"Status","status":"Failure","reason":"Expired","message":"too old","code":410})";
  ScriptedServer server([&](ScriptedConnection& connection) {
    (void)connection.read_head();
    connection.write("HTTP/1.1 410 Gone\r\nContent-Type: application/json\r\nContent-Length: " +
                     std::to_string(body.size()) + "\r\n\r\n" + body);
  });
  ASSERT_TRUE(server.listening());
  Client client(config_for(server.url()));
  Delivered delivered;
  auto status = watch_names(client, delivered);
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(status.error().is_gone()) << status.error().to_string();
  EXPECT_EQ(status.error().reason, "Expired");
  EXPECT_TRUE(delivered.names().empty());
}

// An HTTPS server with a certificate from a test CA, answering GET of the default Namespace and
// recording the Authorization header of each request.
class TlsPeer {
 public:
  TlsPeer() : leaf_(ca_.issue("localhost", 7)), server_(options(dir_, leaf_)) {
    server_.route("GET", "/api/v1/namespaces/default",
                  [this](const telemetry::http::Request& request) {
                    {
                      std::lock_guard lock(mu_);
                      authorizations_.push_back(request.header("authorization"));
                    }
                    telemetry::http::Response response;
                    response.content_type = "application/json";
                    response.body = R"({"kind":"Namespace","metadata":{"name":"default"}})";
                    return response;
                  });
    error_ = server_.start();
  }
  const std::string& error() const { return error_; }
  const test::TestCa& ca() const { return ca_; }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(server_.port()); }
  std::vector<std::string> authorizations() {
    std::lock_guard lock(mu_);
    return authorizations_;
  }
  const test::TempDir& dir() const { return dir_; }

 private:
  static telemetry::http::ServerOptions options(const test::TempDir& dir, const test::Pem& leaf) {
    test::write_file_atomically(dir.file("tls.crt"), leaf.cert);
    test::write_file_atomically(dir.file("tls.key"), leaf.key);
    telemetry::http::ServerOptions options;
    options.address = "127.0.0.1:0";
    options.tls = telemetry::http::TlsFiles{dir.file("tls.crt"), dir.file("tls.key")};
    return options;
  }

  test::TempDir dir_;
  test::TestCa ca_;
  test::Pem leaf_;
  std::mutex mu_;  // before server_: handlers may run until server_ is destroyed
  std::vector<std::string> authorizations_;
  telemetry::http::HttpServer server_;
  std::string error_;
};

TEST(ClientTransport, TlsWithTheClusterCaAndARotatingBearerToken) {
  TlsPeer peer;
  ASSERT_EQ(peer.error(), "");
  auto config = config_for(peer.url());
  config.ca_pem = peer.ca().cert_pem();
  config.token_file = peer.dir().file("token");
  test::write_file_atomically(config.token_file, "first-token\n");
  Client client(config);
  auto got = client.get(resources::kNamespaces, "", "default");
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  EXPECT_EQ((*got)["metadata"]["name"], "default");

  test::write_file_atomically(config.token_file, "rotated-token\n");
  got = client.get(resources::kNamespaces, "", "default");
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  EXPECT_EQ(peer.authorizations(),
            (std::vector<std::string>{"Bearer first-token", "Bearer rotated-token"}));
}

TEST(ClientTransport, TlsWithAnotherCaFailsNamingTls) {
  TlsPeer peer;
  ASSERT_EQ(peer.error(), "");
  test::TestCa other("another CA");
  auto config = config_for(peer.url());
  config.ca_pem = other.cert_pem();
  config.token = "static-token";
  auto got = Client(config).get(resources::kNamespaces, "", "default");
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.error().message.find("TLS failure talking to " + peer.url() +
                                     "/api/v1/namespaces/default"),
            std::string::npos)
      << got.error().message;
  EXPECT_NE(got.error().message.find("certificate-authority"), std::string::npos)
      << got.error().message;
  EXPECT_TRUE(peer.authorizations().empty()) << "the token must not reach an untrusted server";

  // insecure-skip-tls-verify, only when the kubeconfig says so, accepts any certificate.
  config.insecure_skip_tls_verify = true;
  got = Client(config).get(resources::kNamespaces, "", "default");
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  EXPECT_EQ(peer.authorizations(), std::vector<std::string>{"Bearer static-token"});
}

TEST(ClientTransport, ClientCertificateIsLoadedFromPemAndBadPemIsNamed) {
  TlsPeer peer;
  ASSERT_EQ(peer.error(), "");
  auto config = config_for(peer.url());
  config.ca_pem = peer.ca().cert_pem();
  const auto client_pair = peer.ca().issue("kopiur-client", 9);
  config.client_cert_pem = client_pair.cert;
  config.client_key_pem = client_pair.key;
  auto got = Client(config).get(resources::kNamespaces, "", "default");
  ASSERT_TRUE(got.ok()) << got.error().to_string();

  config.client_cert_pem = "not a certificate";
  got = Client(config).get(resources::kNamespaces, "", "default");
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.error().message.find("TLS failure talking to " + peer.url()), std::string::npos)
      << got.error().message;
  EXPECT_NE(got.error().message.find("check the client certificate and key"), std::string::npos)
      << got.error().message;
}

}  // namespace
}  // namespace kopiur::kube
