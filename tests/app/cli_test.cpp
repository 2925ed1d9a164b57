#include "kopiur/app/cli.hpp"

#include <gtest/gtest.h>

#include "kopiur/version.hpp"

namespace kopiur::app {
namespace {

ProgramSpec test_spec() {
  ProgramSpec spec;
  spec.name = "kopiur-test";
  spec.summary = "A program for tests.";
  spec.flags = {{"http-addr", "ADDR", "Where to serve", "0.0.0.0:8080"},
                {"leader-elect", "", "Take part in leader election", ""},
                {"kubeconfig", "PATH", "Kubeconfig file", ""}};
  spec.env = {{"RUST_LOG", "Log filter"}};
  return spec;
}

TEST(Cli, DefaultsApplyWhenFlagsAreAbsent) {
  auto r = parse_command_line(test_spec(), {});
  ASSERT_EQ(r.action, ParseResult::Action::Run);
  EXPECT_EQ(r.flags.get("http-addr"), "0.0.0.0:8080");
  EXPECT_FALSE(r.flags.given("http-addr"));
  EXPECT_FALSE(r.flags.enabled("leader-elect"));
}

TEST(Cli, ValuesInBothSpellings) {
  auto r = parse_command_line(test_spec(), {"--http-addr", "127.0.0.1:9", "--kubeconfig=/k"});
  ASSERT_EQ(r.action, ParseResult::Action::Run);
  EXPECT_EQ(r.flags.get("http-addr"), "127.0.0.1:9");
  EXPECT_EQ(r.flags.get("kubeconfig"), "/k");
  EXPECT_TRUE(r.flags.given("kubeconfig"));
}

TEST(Cli, RepeatedValueFlags) {
  auto spec = test_spec();
  spec.flags.push_back({"namespace", "NS", "Namespaces", "", true});
  auto r = parse_command_line(
      spec, {"--namespace", "a", "--http-addr=x:1", "--namespace=b,c", "--http-addr", "y:2"});
  ASSERT_EQ(r.action, ParseResult::Action::Run);
  EXPECT_EQ(r.flags.get("namespace"), "a,b,c");  // repeatable: joined
  EXPECT_EQ(r.flags.get("http-addr"), "y:2");    // not repeatable: the last one
}

TEST(Cli, BooleanFlags) {
  EXPECT_TRUE(parse_command_line(test_spec(), {"--leader-elect"}).flags.enabled("leader-elect"));
  EXPECT_TRUE(
      parse_command_line(test_spec(), {"--leader-elect=true"}).flags.enabled("leader-elect"));
  EXPECT_FALSE(
      parse_command_line(test_spec(), {"--leader-elect=false"}).flags.enabled("leader-elect"));
  auto bad = parse_command_line(test_spec(), {"--leader-elect=maybe"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.output.find("maybe"), std::string::npos);
}

TEST(Cli, UnknownFlagIsAUsageErrorWithExitCode2) {
  auto r = parse_command_line(test_spec(), {"--nope"});
  EXPECT_EQ(r.action, ParseResult::Action::Exit);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.output_is_error);
  EXPECT_NE(r.output.find("unknown flag '--nope'"), std::string::npos);
  EXPECT_NE(r.output.find("kopiur-test --help"), std::string::npos);
  EXPECT_EQ(parse_command_line(test_spec(), {"-x"}).exit_code, 2);
  EXPECT_EQ(parse_command_line(test_spec(), {"stray"}).exit_code, 2);
}

TEST(Cli, MissingValueIsAUsageError) {
  auto r = parse_command_line(test_spec(), {"--http-addr"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("needs a value (ADDR)"), std::string::npos);
}

TEST(Cli, HelpListsFlagsDefaultsAndEnvironment) {
  auto r = parse_command_line(test_spec(), {"--help"});
  EXPECT_EQ(r.action, ParseResult::Action::Exit);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_FALSE(r.output_is_error);
  for (const char* needle : {"--http-addr ADDR", "[default: 0.0.0.0:8080]", "--leader-elect",
                             "RUST_LOG", "A program for tests.", "SIGTERM"}) {
    EXPECT_NE(r.output.find(needle), std::string::npos) << needle;
  }
}

TEST(Cli, VersionComesFromTheProjectVersion) {
  auto r = parse_command_line(test_spec(), {"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.output, std::string("kopiur-test ") + kVersion + "\n");
}

TEST(Cli, PositionalArgumentsWhenAccepted) {
  auto spec = test_spec();
  spec.max_positional = 1;
  auto r = parse_command_line(spec, {"backup", "--http-addr=:1"});
  ASSERT_EQ(r.action, ParseResult::Action::Run);
  ASSERT_EQ(r.flags.positional().size(), 1u);
  EXPECT_EQ(r.flags.positional()[0], "backup");
  EXPECT_EQ(parse_command_line(spec, {"a", "b"}).exit_code, 2);
}

}  // namespace
}  // namespace kopiur::app
