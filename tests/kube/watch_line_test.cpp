// Decoding of one watch stream line (src/kube/detail/watch_line.hpp), as Client::watch does it.
#include "kube/detail/watch_line.hpp"

#include <gtest/gtest.h>

namespace kopiur::kube::detail {
namespace {

TEST(WatchLine, EventsDecodeWithTheirType) {
  const auto added = decode_watch_line(R"({"type":"ADDED","object":{"metadata":{"name":"b"}}})");
  ASSERT_TRUE(added.has_value());
  EXPECT_EQ(added->type, WatchEvent::Type::kAdded);
  EXPECT_EQ(added->object["metadata"]["name"], "b");
  const auto bookmark = decode_watch_line(R"({"type":"BOOKMARK","object":{}})");
  ASSERT_TRUE(bookmark.has_value());
  EXPECT_EQ(bookmark->type, WatchEvent::Type::kBookmark);
  const auto gone = decode_watch_line(R"({"type":"ERROR","object":{"code":410}})");
  ASSERT_TRUE(gone.has_value());
  EXPECT_EQ(gone->type, WatchEvent::Type::kError);
  EXPECT_EQ(gone->object["code"], 410);
}

TEST(WatchLine, GarbageLinesAreSkipped) {
  EXPECT_FALSE(decode_watch_line("not json").has_value());
  EXPECT_FALSE(decode_watch_line("[1,2]").has_value());
  EXPECT_FALSE(decode_watch_line("").has_value());
}

// A "type" that is not a string threw nlohmann::json::type_error (json::value() with a string
// default) inside the watch's stream callback; it now reads as an error event.
TEST(WatchLine, ATypeThatIsNotAStringIsAnErrorEvent) {
  for (const char* line :
       {R"({"type":5,"object":{}})", R"({"type":null})", R"({"type":["ADDED"],"object":1})"}) {
    const auto event = decode_watch_line(line);
    ASSERT_TRUE(event.has_value()) << line;
    EXPECT_EQ(event->type, WatchEvent::Type::kError) << line;
  }
}

}  // namespace
}  // namespace kopiur::kube::detail
