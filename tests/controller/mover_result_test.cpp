// The mover's termination message as the controller reads it (interpret_result).
#include "kopiur/controller/mover_result.hpp"

#include <gtest/gtest.h>

namespace kopiur::controller {
namespace {

TEST(MoverResult, SucceededAndFailedResults) {
  const auto ok = interpret_result(
      R"({"operation":"backup","result":"succeeded","timing":{"startTime":"t0","endTime":"t1"}})");
  EXPECT_EQ(ok.state, MoverState::kSucceeded);
  EXPECT_EQ(ok.start_time, "t0");
  EXPECT_EQ(ok.end_time, "t1");
  const auto failed = interpret_result(
      R"({"result":"failed","error":{"class":"RepositoryUnavailable","message":"no route",)"
      R"("retryable":true,"tail":"last line"}})");
  EXPECT_EQ(failed.state, MoverState::kFailed);
  EXPECT_EQ(failed.failure, "RepositoryUnavailable: no route");
  EXPECT_TRUE(failed.retryable);
  EXPECT_EQ(failed.log_tail, "last line");
  EXPECT_EQ(interpret_result(R"({"result":"cancelled"})").failure,
            "Unknown: the mover reported cancelled");
  const auto garbage = interpret_result("panic: out of memory");
  EXPECT_EQ(garbage.state, MoverState::kFailed);
  EXPECT_EQ(garbage.failure, "the mover left no result; its last output: panic: out of memory");
}

// Found while writing kopiur_mover_io_fuzz (tests/fuzz): members of the wrong JSON type ("timing":
// 5, "result": 1, "error": "x") threw nlohmann::json::type_error out of interpret_result
// (json::value() on a non-object, or with a default of another type). They now count as absent: a
// failure with a reason, never an exception.
TEST(MoverResult, MembersOfTheWrongTypeAreFailuresNotExceptions) {
  for (const char* message :
       {R"({"result":1})", R"({"result":"failed","timing":5})",
        R"({"result":"failed","error":"disk full"})",
        R"({"result":"failed","error":{"class":7,"message":[],"tail":{},"retryable":"yes"}})",
        R"({"result":null,"timing":{"startTime":1,"endTime":null}})"}) {
    const auto r = interpret_result(message);
    EXPECT_EQ(r.state, MoverState::kFailed) << message;
    EXPECT_FALSE(r.failure.empty()) << message;
    EXPECT_FALSE(r.retryable) << message;
    EXPECT_EQ(r.start_time, "") << message;
  }
  EXPECT_EQ(interpret_result(R"({"result":1})").failure, "Unknown: the mover reported failure");
}

// A run killed before it wrote a result has a null `result`: the flows read its error class
// through mover_error_class, which threw (json::value() on null) and left such a Backup Running.
TEST(MoverResult, ErrorClassOfARunWithoutAResultIsTheFallback) {
  const auto killed = interpret_result("2026-12-01T15:11:03Z  INFO mover operation starting\n");
  EXPECT_TRUE(killed.result.is_null());
  EXPECT_EQ(mover_error_class(killed, "MoverFailed"), "MoverFailed");
  EXPECT_EQ(mover_error_class(interpret_result(R"({"result":"failed","error":"x"})"), "F"), "F");
  EXPECT_EQ(mover_error_class(
                interpret_result(R"({"result":"failed","error":{"class":"NotFound"}})"), ""),
            "NotFound");
}

}  // namespace
}  // namespace kopiur::controller
