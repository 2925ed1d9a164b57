// The local API server's streams on kopiur_http, checked byte by byte over raw sockets: 1,000
// open watches while a GET still answers at once, a watch asking for gzip gets each event as it
// happens, stop() ends open watches cleanly, a watcher that never reads is dropped while another
// keeps its events, and a 100 MB body is refused without being read.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kopiur/localkube/server.hpp"
#include "kopiur/support/json.hpp"

#include "kube/test_util.hpp"
#include "localkube/stream_util.hpp"
#include "support/wait.hpp"
#include "telemetry/http/raw_client.hpp"

namespace kopiur::localkube {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using telemetry::http::testing::RawConnection;
namespace raw = telemetry::http::testing;
using kube::testing::start_server;
using namespace localkube::testing;  // kWait, kConfigMaps, post, config_map

std::string watch_request(const std::string& path) {
  return "GET " + path + " HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n";
}

// Peak resident memory of this process (the server runs in it) since the last reset_peak_rss().
std::size_t peak_rss_kb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

void reset_peak_rss() { std::ofstream("/proc/self/clear_refs") << "5"; }

TEST(LocalStreaming, AThousandOpenWatchesLeaveGetsFast) {
  auto server = start_server();
  ASSERT_NE(server, nullptr);
  const auto port = static_cast<std::uint16_t>(server->port());
  std::vector<std::unique_ptr<RawConnection>> watches;
  for (int i = 0; i < 1000; ++i) {
    watches.push_back(std::make_unique<RawConnection>(port));
    ASSERT_TRUE(watches.back()->send(watch_request(std::string(kConfigMaps) + "?watch=true")));
  }
  for (auto& w : watches) ASSERT_TRUE(w->read_until("\r\n\r\n", kWait)) << "a watch got no answer";

  std::vector<std::chrono::steady_clock::duration> took;
  for (int i = 0; i < 5; ++i) {
    const auto begin = std::chrono::steady_clock::now();
    const auto list = raw::send(port, "GET", kConfigMaps);
    took.push_back(std::chrono::steady_clock::now() - begin);
    ASSERT_EQ(list.status, 200);
  }
  std::sort(took.begin(), took.end());
  ::testing::Test::RecordProperty(
      "median_get_us",
      static_cast<int>(std::chrono::duration_cast<std::chrono::microseconds>(took[2]).count()));
  EXPECT_LT(took[2], 50ms) << "median GET with 1,000 watches open";

  ASSERT_EQ(post(port, kConfigMaps, config_map("after-1000")).status, 201);
  for (auto& w : watches) EXPECT_TRUE(w->read_until("after-1000", kWait));
}

TEST(LocalStreaming, AGzipWatchDeliversEachEventBeforeTheNextChange) {
  auto server = start_server();
  ASSERT_NE(server, nullptr);
  RawConnection watch(static_cast<std::uint16_t>(server->port()));
  ASSERT_TRUE(watch.send(watch_request(std::string(kConfigMaps) + "?watch=true")));
  ASSERT_TRUE(watch.read_until("\r\n\r\n", kWait));
  EXPECT_EQ(watch.received().find("Content-Encoding"), std::string::npos);
  EXPECT_NE(watch.received().find("Transfer-Encoding: chunked"), std::string::npos);
  for (int i = 0; i < 5; ++i) {
    const auto name = "event-" + std::to_string(i);
    ASSERT_EQ(post(server->port(), kConfigMaps, config_map(name)).status, 201);
    // Read as plain text: an uncompressed stream shows the name as soon as the event is sent.
    ASSERT_TRUE(watch.read_until("\"name\":\"" + name + "\"", kWait)) << name << " held back";
  }
}

TEST(LocalStreaming, StopEndsOpenWatchesWithTheirLastChunk) {
  auto server = start_server();
  ASSERT_NE(server, nullptr);
  RawConnection watch(static_cast<std::uint16_t>(server->port()));
  ASSERT_TRUE(watch.send(watch_request(std::string(kConfigMaps) + "?watch=true")));
  ASSERT_TRUE(watch.read_until("\r\n\r\n", kWait));
  server->stop();
  EXPECT_TRUE(watch.read_until("\r\n0\r\n\r\n", kWait)) << watch.received();
  EXPECT_TRUE(watch.wait_closed(kWait));
}

TEST(LocalStreaming, AWatcherThatNeverReadsIsDroppedAndAnotherKeepsItsEvents) {
  LocalApiServer::Options options;
  options.max_watch_buffer_bytes = 256u << 10;
  options.watch_history = 20;
  auto server = start_server(options);
  ASSERT_NE(server, nullptr);
  const auto port = static_cast<std::uint16_t>(server->port());
  ASSERT_EQ(post(port, kConfigMaps, config_map("big")).status, 201);
  RawConnection stalled(port, 4096);  // a small window: the kernel holds little for it
  RawConnection reader(port);
  const auto path = std::string(kConfigMaps) + "?watch=true&resourceVersion=0";
  ASSERT_TRUE(stalled.send(watch_request(path)));
  ASSERT_TRUE(reader.send(watch_request(path)));
  ASSERT_TRUE(reader.read_until("\"name\":\"big\"", kWait));

  // 60 events of 100 KB: twice what it takes to pass the bound plus what loopback buffers for
  // a client that does not read (with its 4 KB receive buffer, the stalled watcher was dropped
  // after 26 to 30 events; with the default, autotuned one, after 41 to 50). Fewer bytes keep
  // the test short under the sanitizers (150 events took 41 s under TSan).
  const std::string payload(100u << 10, 'x');
  for (int i = 0; i < 60; ++i) {
    const auto marker = "m" + std::to_string(i) + "-";
    json patch = {{"data", {{"k", marker + payload}}}};
    const auto answer = raw::send(port, "PATCH", std::string(kConfigMaps) + "/big",
                                  "Content-Type: application/merge-patch+json\r\n", patch.dump());
    ASSERT_EQ(answer.status, 200) << answer.body;
    ASSERT_TRUE(reader.read_until("\"k\":\"" + marker, kWait)) << "event " << i;
    reader.discard_received();
  }
  EXPECT_TRUE(stalled.wait_closed(kWait)) << "the stalled watcher was not dropped";
}

TEST(LocalStreaming, AHundredMegabyteBodyIsRefusedUnread) {
  auto server = start_server();
  ASSERT_NE(server, nullptr);
  const auto port = static_cast<std::uint16_t>(server->port());
  reset_peak_rss();
  const auto before = peak_rss_kb();

  RawConnection declared(port);
  ASSERT_TRUE(declared.send("POST " + std::string(kConfigMaps) +
                            " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            "Content-Length: 104857600\r\n\r\n"));
  const auto refused = declared.read_responses(1, kWait);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].status, 413);

  // Chunked, so the server cannot know the size up front: it stops at its limit.
  RawConnection chunked(port);
  ASSERT_TRUE(chunked.send("POST " + std::string(kConfigMaps) +
                           " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                           "Transfer-Encoding: chunked\r\n\r\n"));
  const std::string megabyte(1u << 20, ' ');
  char size_line[32];
  std::snprintf(size_line, sizeof size_line, "%zx\r\n", megabyte.size());
  for (int i = 0; i < 100 && !chunked.read_until(" 413 ", 50ms); ++i) {
    if (!chunked.send(size_line + megabyte + "\r\n")) break;
  }
  EXPECT_TRUE(chunked.read_until(" 413 ", kWait));
  const auto grew_kb = peak_rss_kb() - std::min(before, peak_rss_kb());
  ::testing::Test::RecordProperty("peak_rss_growth_kb", static_cast<int>(grew_kb));
  EXPECT_LT(grew_kb, 64u << 10) << "KB more at the peak";
}

}  // namespace
}  // namespace kopiur::localkube
