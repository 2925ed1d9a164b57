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

// A run that ended without a result (SIGKILL, OOM, an exit before writing): the failure names the
// Job, the signal and the exit code, and quotes the log tail the pod kept; a signal makes the
// class MoverKilled (controller/flows/backup_test.cpp kills a real mover this way).
TEST(MoverResult, ARunWithoutAResultSaysHowItEnded) {
  const auto killed =
      interpret_lost_run(nlohmann::json::parse(R"({"exitCode":137,"signal":9,"reason":"Error",
          "finishedAt":"2026-12-01T15:11:04Z","message":"INFO mover operation starting\n"})"),
                         "b1-backup");
  EXPECT_EQ(killed.state, MoverState::kFailed);
  EXPECT_EQ(killed.failure,
            "the mover of Job b1-backup was killed by SIGKILL (signal 9, exit code 137, reason "
            "Error) before it wrote a result; its last output: INFO mover operation starting\n");
  EXPECT_EQ(mover_error_class(killed, "MoverFailed"), "MoverKilled");
  EXPECT_EQ(killed.log_tail, "INFO mover operation starting\n");
  EXPECT_EQ(killed.end_time, "2026-12-01T15:11:04Z");
  // A runtime that reports only the exit code: 128 + the signal.
  const auto oom =
      interpret_lost_run(nlohmann::json::parse(R"({"exitCode":137,"reason":"OOMKilled"})"), "j");
  EXPECT_EQ(oom.failure,
            "the mover of Job j was killed by SIGKILL (signal 9, exit code 137, reason OOMKilled) "
            "before it wrote a result; raise the mover's memory limit");
  EXPECT_EQ(mover_error_class(oom, "MoverFailed"), "MoverKilled");
  const auto exited = interpret_lost_run(nlohmann::json::parse(R"({"exitCode":2})"), "j");
  EXPECT_EQ(exited.failure, "the mover of Job j ended (exit code 2) without writing a result");
  EXPECT_EQ(mover_error_class(exited, "MoverFailed"), "MoverFailed");
  // Members of the wrong type count as absent, never an exception.
  const auto odd =
      interpret_lost_run(nlohmann::json::parse(R"({"exitCode":"x","message":5,"signal":[]})"), "j");
  EXPECT_EQ(odd.failure, "the mover of Job j ended (exit code 0) without writing a result");
}

// The quoted head of a log tail is cut at a character boundary: a cut inside a UTF-8 sequence
// made a status that nlohmann::json::dump() refuses (type_error 316), so it could not be written.
TEST(MoverResult, TheQuotedHeadIsValidUtf8) {
  const std::string log = std::string(299, 'x') + "\u00e9 and more";  // é spans bytes 299-300
  for (const auto& seen :
       {interpret_result(log),
        interpret_lost_run(nlohmann::json{{"exitCode", 1}, {"message", log}}, "j")}) {
    EXPECT_NO_THROW((void)nlohmann::json(seen.failure).dump()) << seen.failure;
    EXPECT_NE(seen.failure.find(std::string(299, 'x')), std::string::npos);
    EXPECT_EQ(seen.failure.find("\u00e9"), std::string::npos);
  }
}

// The result's members, read without trusting their types (the result may be null).
TEST(MoverResult, MembersAreReadWithoutTrustingTheirTypes) {
  const nlohmann::json null_result;
  EXPECT_TRUE(result_member(null_result, "snapshot").empty());
  EXPECT_EQ(result_string(null_result, "id", "none"), "none");
  const auto doc = nlohmann::json::parse(R"({"snapshot":"abc","id":5,"source":{"host":"h"}})");
  EXPECT_TRUE(result_member(doc, "snapshot").is_object());
  EXPECT_TRUE(result_member(doc, "snapshot").empty());
  EXPECT_EQ(result_string(doc, "id"), "");
  EXPECT_EQ(result_string(result_member(doc, "source"), "host"), "h");
  EXPECT_EQ(result_int(null_result, "n", 7), 7);
  EXPECT_EQ(result_int(doc, "id"), 5);
  EXPECT_EQ(result_int(doc, "snapshot", -1), -1);
  EXPECT_FALSE(result_bool(doc, "id"));
  EXPECT_TRUE(result_bool(nlohmann::json{{"t", true}}, "t"));
}

}  // namespace
}  // namespace kopiur::controller
