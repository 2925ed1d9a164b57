// HttpServer over TLS: serving with a test CA's certificate, picking up rotated files, keeping
// the old certificate when a reload fails, and actionable errors for bad files at start.
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/ssl.h>

#include "kopiur/telemetry/http/server.hpp"

#include "support/temp_dir.hpp"
#include "support/test_pki.hpp"
#include "support/wait.hpp"
#include "telemetry/http/raw_client.hpp"

namespace kopiur::telemetry::http {
namespace {

using namespace std::chrono_literals;
using test::fetch_peer_certificate;
using test::write_file_atomically;
using ::testing::HasSubstr;

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file_atomically(ca_file_, ca_.cert_pem());
    install(ca_.issue("kopiur-webhook-1", 1001));
  }

  void install(const test::Pem& pem) {
    // Key first, then certificate: between the two renames the pair does not match, which the
    // server must ride out.
    write_file_atomically(key_file_, pem.key);
    write_file_atomically(cert_file_, pem.cert);
  }

  ServerOptions options() {
    ServerOptions o;
    o.address = "127.0.0.1:0";
    o.tls = TlsFiles{cert_file_, key_file_};
    o.tls_reload_check = 20ms;
    o.on_warning = [this](std::string_view w) {
      std::lock_guard lock(mu_);
      warnings_.emplace_back(w);
    };
    return o;
  }

  std::vector<std::string> warnings() {
    std::lock_guard lock(mu_);
    return warnings_;
  }

  // The serial the server presents to a new connection, or -1 if the handshake fails.
  std::int64_t serial_seen(std::uint16_t port) {
    try {
      return fetch_peer_certificate(port, ca_file_).serial;
    } catch (const std::exception&) {
      return -1;
    }
  }

  test::TempDir dir_;
  test::TestCa ca_;
  const std::string ca_file_ = dir_.file("ca.pem");
  const std::string cert_file_ = dir_.file("tls.crt");
  const std::string key_file_ = dir_.file("tls.key");
  std::mutex mu_;
  std::vector<std::string> warnings_;
};

TEST_F(TlsTest, ServesHttpsWithTheConfiguredCertificate) {
  HttpServer server(options());
  Health health;
  add_health_routes(server, health);
  ASSERT_EQ(server.start(), "");

  const auto peer = fetch_peer_certificate(server.port(), ca_file_);
  EXPECT_EQ(peer.serial, 1001);
  EXPECT_EQ(peer.common_name, "kopiur-webhook-1");

  httplib::SSLClient client("127.0.0.1", server.port());
  client.set_ca_cert_path(ca_file_.c_str());
  client.enable_server_certificate_verification(true);
  auto res = client.Get("/healthz");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "ok");
  res = client.Get("/missing");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
}

TEST_F(TlsTest, RotatedFilesAreServedToNewConnections) {
  HttpServer server(options());
  ASSERT_EQ(server.start(), "");
  ASSERT_EQ(serial_seen(server.port()), 1001);

  install(ca_.issue("kopiur-webhook-2", 1002));
  EXPECT_TRUE(test::wait_until([&] { return serial_seen(server.port()) == 1002; }, 10s));
  EXPECT_EQ(fetch_peer_certificate(server.port(), ca_file_).common_name, "kopiur-webhook-2");

  install(ca_.issue("kopiur-webhook-3", 1003));
  EXPECT_TRUE(test::wait_until([&] { return serial_seen(server.port()) == 1003; }, 10s));
}

TEST_F(TlsTest, FailedReloadKeepsTheOldCertificateAndWarns) {
  HttpServer server(options());
  ASSERT_EQ(server.start(), "");
  ASSERT_EQ(serial_seen(server.port()), 1001);

  write_file_atomically(cert_file_, "-----BEGIN CERTIFICATE-----\nnot base64\n");
  // Each handshake may trigger a check; the bad file is reported, never served.
  EXPECT_TRUE(test::wait_until(
      [&] {
        EXPECT_EQ(serial_seen(server.port()), 1001);
        return !warnings().empty();
      },
      10s));
  ASSERT_FALSE(warnings().empty());
  EXPECT_THAT(warnings().front(), HasSubstr("still serving the previous certificate"));
  EXPECT_THAT(warnings().front(), HasSubstr(cert_file_));
  const auto warned = warnings().size();
  // The same broken files are not reported again on every check.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(serial_seen(server.port()), 1001);
  EXPECT_EQ(warnings().size(), warned);

  // A mismatched pair (another certificate's key) is refused too.
  const auto other = ca_.issue("other", 2000);
  write_file_atomically(cert_file_, ca_.issue("kopiur-webhook-x", 1999).cert);
  write_file_atomically(key_file_, other.key);
  EXPECT_TRUE(test::wait_until(
      [&] {
        EXPECT_EQ(serial_seen(server.port()), 1001);
        const auto w = warnings();
        return w.size() > warned && w.back().find("does not match") != std::string::npos;
      },
      10s));

  install(ca_.issue("kopiur-webhook-4", 1004));
  EXPECT_TRUE(test::wait_until([&] { return serial_seen(server.port()) == 1004; }, 10s));
}

TEST_F(TlsTest, BadFilesAtStartAreActionableErrors) {
  {
    ServerOptions o = options();
    o.tls->cert_file = dir_.file("absent.crt");
    HttpServer server(o);
    const std::string err = server.start();
    EXPECT_THAT(err, HasSubstr(dir_.file("absent.crt")));
    EXPECT_THAT(err, HasSubstr("No such file or directory"));
    EXPECT_EQ(server.port(), 0);
  }
  {
    write_file_atomically(dir_.file("junk.crt"), "hello");
    ServerOptions o = options();
    o.tls->cert_file = dir_.file("junk.crt");
    HttpServer server(o);
    EXPECT_THAT(server.start(), HasSubstr("holds no PEM certificate"));
  }
  {
    write_file_atomically(dir_.file("junk.key"), "hello");
    ServerOptions o = options();
    o.tls->key_file = dir_.file("junk.key");
    HttpServer server(o);
    EXPECT_THAT(server.start(), HasSubstr("holds no unencrypted PEM private key"));
  }
  {
    write_file_atomically(dir_.file("other.key"), ca_.issue("other", 5).key);
    ServerOptions o = options();
    o.tls->key_file = dir_.file("other.key");
    HttpServer server(o);
    EXPECT_THAT(server.start(), HasSubstr("does not match the certificate"));
  }
  {
    ServerOptions o = options();
    o.tls->key_file.clear();
    HttpServer server(o);
    EXPECT_THAT(server.start(), HasSubstr("key file"));
  }
}

// The first bytes of a ClientHello whose record announces 512 bytes: a client stuck mid-handshake.
const std::string kHalfClientHello("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);

TEST_F(TlsTest, StalledHandshakesDoNotHoldUpOtherClients) {
  ServerOptions o = options();
  o.worker_threads = 1;
  HttpServer server(o);
  Health health;
  add_health_routes(server, health);
  ASSERT_EQ(server.start(), "");
  std::vector<std::unique_ptr<testing::RawConnection>> stalled;
  for (int i = 0; i < 6; ++i) {
    stalled.push_back(std::make_unique<testing::RawConnection>(server.port()));
    ASSERT_TRUE(stalled.back()->send(kHalfClientHello));
  }
  EXPECT_EQ(serial_seen(server.port()), 1001);
  httplib::SSLClient client("127.0.0.1", server.port());
  client.set_ca_cert_path(ca_file_.c_str());
  client.enable_server_certificate_verification(true);
  auto res = client.Get("/healthz");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  // The stalled clients are still waiting on their handshakes, not refused.
  EXPECT_EQ(server.stats().handshake_timeouts, 0u);
  EXPECT_EQ(server.stats().handshake_failures, 0u);
  for (auto& c : stalled) EXPECT_FALSE(c->wait_closed(0ms));
}

TEST_F(TlsTest, StalledHandshakeIsCutOffAtItsDeadline) {
  ServerOptions o = options();
  o.handshake_timeout = 200ms;
  HttpServer server(o);
  ASSERT_EQ(server.start(), "");
  testing::RawConnection stalled(server.port());
  ASSERT_TRUE(stalled.send(kHalfClientHello));
  EXPECT_TRUE(stalled.wait_closed(10s));
  EXPECT_TRUE(test::wait_until([&] { return server.stats().handshake_timeouts == 1; }, 10s));
  EXPECT_EQ(serial_seen(server.port()), 1001);
}

TEST_F(TlsTest, OnlyTls12AndNewerAreSpoken) {
  HttpServer server(options());
  ASSERT_EQ(server.start(), "");
  const auto port = server.port();
  // Clients that would accept TLS 1.0 or 1.1 and nothing newer get no session. Debian's OpenSSL
  // default (security level 2) refuses them as well; the server's own minimum keeps it so on a
  // system whose configuration allows them.
  for (const int old : {TLS1_VERSION, TLS1_1_VERSION}) {
    EXPECT_THROW((void)fetch_peer_certificate(port, ca_file_, old), std::runtime_error) << old;
  }
  EXPECT_EQ(fetch_peer_certificate(port, ca_file_, TLS1_2_VERSION).serial, 1001);
  EXPECT_EQ(fetch_peer_certificate(port, ca_file_, TLS1_3_VERSION).serial, 1001);
  EXPECT_EQ(server.stats().handshake_failures, 2u);
}

TEST_F(TlsTest, PlainTextAndGarbageOnTheTlsPortDoNotHurtTheServer) {
  HttpServer server(options());
  ASSERT_EQ(server.start(), "");
  const auto port = server.port();
  (void)testing::exchange(port, "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n", true);
  (void)testing::exchange(port, std::string(4096, '\x16'), true);
  (void)testing::exchange(port, "", true);
  EXPECT_EQ(serial_seen(port), 1001);
}

}  // namespace
}  // namespace kopiur::telemetry::http
