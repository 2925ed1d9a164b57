#include "kopiur/telemetry/log/forwarder.hpp"

#include <gtest/gtest.h>

#include "kopiur/telemetry/log/log.hpp"

#include "telemetry/log/test_support.hpp"

namespace kopiur::telemetry::log {
namespace {

using testing::CaptureLogger;

constexpr std::string_view kOutput =
    "Snapshotting /data ...\n"
    "\n"
    " * 0 hashing, 12 hashed (1.2 MB)\r\n"
    "ERROR unable to open repository\n"
    "no newline at end";

TEST(Forwarder, AtInfoKopiaLinesAreHiddenButTheTailKeepsThem) {
  CaptureLogger logger("info");
  Dispatcher::ScopedDefault use(logger.dispatcher);
  ChildOutputForwarder forward;
  forward.feed(kOutput);
  forward.finish();
  EXPECT_EQ(logger.sink->size(), 0U);
  EXPECT_EQ(forward.line_count(), 4U);
  EXPECT_EQ(forward.tail(),
            "Snapshotting /data ...\n * 0 hashing, 12 hashed (1.2 MB)\n"
            "ERROR unable to open repository\nno newline at end");
}

TEST(Forwarder, WithKopiaDebugEveryLineIsAnEventUnderTheCallersSpan) {
  CaptureLogger logger("info,kopia=debug");
  Dispatcher::ScopedDefault use(logger.dispatcher);
  auto span = KOPIUR_INFO_SPAN("backup", kv("name", "nightly"));
  auto entered = span.enter();
  ChildOutputForwarder forward;
  // Split across chunks in awkward places, as reads from a pipe are.
  for (std::size_t i = 0; i < kOutput.size(); i += 7) forward.feed(kOutput.substr(i, 7));
  forward.finish();
  const auto lines = logger.sink->lines();
  ASSERT_EQ(lines.size(), 4U);
  const std::string prefix = "2026-01-02T03:04:05.000006Z DEBUG backup{name=nightly}: kopia: ";
  EXPECT_EQ(lines[0], prefix + "Snapshotting /data ...");
  EXPECT_EQ(lines[1], prefix + " * 0 hashing, 12 hashed (1.2 MB)");
  EXPECT_EQ(lines[2], prefix + "ERROR unable to open repository");
  EXPECT_EQ(lines[3], prefix + "no newline at end");
}

TEST(Forwarder, KeepsTheSpanWhenFedFromAReaderThread) {
  CaptureLogger logger("info,kopia=debug");
  Dispatcher::ScopedDefault use(logger.dispatcher);
  auto span = KOPIUR_INFO_SPAN("restore");
  auto entered = span.enter();
  ChildOutputForwarder forward;
  std::thread reader([&] { forward.feed("from reader\n"); });
  reader.join();
  ASSERT_EQ(logger.sink->size(), 1U);
  EXPECT_NE(logger.sink->lines()[0].find("restore: kopia: from reader"), std::string::npos);
}

TEST(Forwarder, TailIsBoundedByLinesAndBytes) {
  CaptureLogger logger("info");
  Dispatcher::ScopedDefault use(logger.dispatcher);
  ChildOutputForwarder by_lines({.tail_lines = 3, .tail_bytes = 4096});
  for (int i = 0; i < 10; ++i) by_lines.feed("line " + std::to_string(i) + "\n");
  EXPECT_EQ(by_lines.tail(), "line 7\nline 8\nline 9");
  EXPECT_EQ(by_lines.line_count(), 10U);

  ChildOutputForwarder by_bytes({.tail_lines = 100, .tail_bytes = 20});
  for (int i = 0; i < 10; ++i) by_bytes.feed("line " + std::to_string(i) + "\n");
  EXPECT_LE(by_bytes.tail().size(), 20U);
  EXPECT_EQ(by_bytes.tail(), "line 7\nline 8\nline 9");
}

TEST(Forwarder, LongLinesAreCutOnCharacterBoundaries) {
  CaptureLogger logger("info");
  Dispatcher::ScopedDefault use(logger.dispatcher);
  ChildOutputForwarder forward({.tail_lines = 5, .tail_bytes = 10});
  // "é" is two bytes: a cut at byte 10 from the end would split one.
  std::string line;
  for (int i = 0; i < 20; ++i) line += "\xc3\xa9";
  forward.feed(line + "x\n");
  const std::string tail = forward.tail();
  EXPECT_LE(tail.size(), 10U);
  EXPECT_EQ(tail, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9x");  // 9 bytes: never half a character
}

TEST(Forwarder, EndlessLineIsSplitToBoundMemory) {
  CaptureLogger logger("info,kopia=debug");
  Dispatcher::ScopedDefault use(logger.dispatcher);
  ChildOutputForwarder forward({.max_line_bytes = 100});
  for (int i = 0; i < 10; ++i) forward.feed(std::string(50, 'a'));
  EXPECT_EQ(forward.line_count(), 5U);
  forward.finish();
  EXPECT_EQ(logger.sink->size(), 5U);
}

TEST(Utf8Tail, NeverStartsInsideACharacter) {
  EXPECT_EQ(utf8_tail("abc", 10), "abc");
  EXPECT_EQ(utf8_tail("abcdef", 3), "def");
  EXPECT_EQ(utf8_tail("a\xe2\x82\xac", 2), "");  // € is 3 bytes
  EXPECT_EQ(utf8_tail("a\xe2\x82\xac", 3), "\xe2\x82\xac");
}

}  // namespace
}  // namespace kopiur::telemetry::log
