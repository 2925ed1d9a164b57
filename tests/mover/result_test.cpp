// The result JSON: fields per operation, and the 4 KiB termination message bound.
#include "kopiur/mover/result.hpp"

#include <gtest/gtest.h>

#include "kopiur/support/json.hpp"

namespace kopiur::mover {
namespace {

using nlohmann::json;

OperationResult failed_with_tail(std::size_t tail_bytes) {
  OperationResult r;
  r.operation = "backup";
  r.result = Outcome::kFailed;
  FailureInfo f;
  f.error_class = ErrorClass::kRepositoryUnavailable;
  f.message = "kopia snapshot create: exit code 1: error connecting to storage";
  for (std::size_t i = 0; f.tail.size() < tail_bytes; ++i) {
    f.tail += "line " + std::to_string(i) + " é\n";
  }
  f.tail += "LAST LINE";
  f.kopia_exit = 1;
  r.failure = f;
  return r;
}

TEST(Result, SmallFailureIsComplete) {
  const auto r = failed_with_tail(100);
  const json j = json::parse(render(r));
  EXPECT_EQ(j["result"], "failed");
  EXPECT_EQ(j["error"]["class"], "RepositoryUnavailable");
  EXPECT_EQ(j["error"]["retryable"], true);
  EXPECT_EQ(j["error"]["kopiaExitCode"], 1);
  EXPECT_EQ(j["error"]["tail"], r.failure->tail);
  EXPECT_FALSE(j.contains("truncated"));
}

TEST(Result, LongTailIsTrimmedFromItsOldestEndToFit) {
  const auto r = failed_with_tail(20000);
  const std::string text = render(r);
  EXPECT_LT(text.size(), kTerminationMessageLimit);
  const json j = json::parse(text);  // still valid JSON (and UTF-8)
  EXPECT_EQ(j["truncated"], true);
  const std::string tail = j["error"]["tail"];
  EXPECT_EQ(tail.substr(tail.size() - 9), "LAST LINE") << "the newest lines survive";
  EXPECT_EQ(j["error"]["message"], r.failure->message);
}

TEST(Result, LongCatalogIsShortenedButCountsStayExact) {
  OperationResult r;
  r.operation = "catalog";
  r.result = Outcome::kSucceeded;
  r.catalog.emplace();
  for (int i = 0; i < 500; ++i) {
    SnapshotInfo s;
    s.id = std::string(32, 'a');
    s.host = "h";
    s.user_name = "u" + std::to_string(i % 7);
    s.path = "/data";
    s.start_time = "2026-01-01T00:00:00Z";
    s.size_bytes = 100;
    r.catalog->push_back(s);
  }
  const std::string text = render(r);
  EXPECT_LT(text.size(), kTerminationMessageLimit);
  const json j = json::parse(text);
  EXPECT_EQ(j["catalog"]["snapshotCount"], 500);
  EXPECT_EQ(j["catalog"]["sourceCount"], 7);
  EXPECT_EQ(j["catalog"]["logicalSizeBytes"], 700);
  EXPECT_EQ(j["catalog"]["truncated"], true);
  EXPECT_GT(j["catalog"]["snapshots"].size(), 5u);
  EXPECT_LT(j["catalog"]["snapshots"].size(), 500u);
}

TEST(Result, HugeMessageStillFits) {
  auto r = failed_with_tail(10);
  r.failure->message = std::string(10000, 'm');
  const std::string text = render(r);
  EXPECT_LT(text.size(), kTerminationMessageLimit);
  EXPECT_FALSE(json::parse(text, nullptr, false).is_discarded());
}

TEST(Result, AbsurdOperationNameStillGivesValidJson) {
  auto r = failed_with_tail(10);
  r.operation = std::string(9000, 'o');
  const std::string text = render(r);
  EXPECT_LT(text.size(), kTerminationMessageLimit);
  EXPECT_EQ(json::parse(text)["truncated"], true);
}

TEST(Result, ClassesAndRetry) {
  EXPECT_TRUE(retryable(ErrorClass::kKilled));
  EXPECT_FALSE(retryable(ErrorClass::kAuthFailure));
  EXPECT_FALSE(retryable(ErrorClass::kInvalidSpec));
  EXPECT_EQ(error_class_name(ErrorClass::kUnexpectedOutput), "UnexpectedOutput");
  EXPECT_EQ(outcome_name(Outcome::kCancelled), "cancelled");
}

}  // namespace
}  // namespace kopiur::mover
