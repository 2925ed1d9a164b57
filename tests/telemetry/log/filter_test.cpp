#include "kopiur/telemetry/log/filter.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace kopiur::telemetry::log {
namespace {

TEST(ParseLevel, AcceptsNamesAnyCaseAndDigits) {
  EXPECT_EQ(parse_level("info"), Level::Info);
  EXPECT_EQ(parse_level("INFO"), Level::Info);
  EXPECT_EQ(parse_level(" Debug "), Level::Debug);
  EXPECT_EQ(parse_level("TrAcE"), Level::Trace);
  EXPECT_EQ(parse_level("warn"), Level::Warn);
  EXPECT_EQ(parse_level("error"), Level::Error);
  EXPECT_EQ(parse_level("off"), Level::Off);
  EXPECT_EQ(parse_level("0"), Level::Off);
  EXPECT_EQ(parse_level("5"), Level::Trace);
  EXPECT_FALSE(parse_level("warning").has_value());
  EXPECT_FALSE(parse_level("6").has_value());
  EXPECT_FALSE(parse_level("").has_value());
}

struct MatchCase {
  std::string spec;
  std::string target;
  Level expected;  // static_level(target)
};

class FilterMatch : public ::testing::TestWithParam<MatchCase> {};

TEST_P(FilterMatch, MostSpecificTargetWins) {
  const auto& c = GetParam();
  FilterParse parsed = Filter::parse(c.spec);
  EXPECT_TRUE(parsed.warnings.empty()) << parsed.warnings.front();
  EXPECT_EQ(parsed.filter.static_level(c.target), c.expected)
      << "spec=" << c.spec << " target=" << c.target;
}

INSTANTIATE_TEST_SUITE_P(
    Table, FilterMatch,
    ::testing::Values(
        MatchCase{"", "anything", Level::Info},               // empty: info, not silence
        MatchCase{"   ", "anything", Level::Info},            // blank too
        MatchCase{"info", "kopiur_controller", Level::Info},  //
        MatchCase{"DEBUG", "x", Level::Debug},                // case-insensitive
        MatchCase{"off", "kopiur_controller", Level::Off},    //
        MatchCase{"info,kopia=debug", "kopia", Level::Debug},
        MatchCase{"info,kopia=debug", "kopiur_controller", Level::Info},
        MatchCase{"info,kopia=debug", "kopia::snapshot", Level::Debug},  // prefix
        MatchCase{"kopia=debug", "kopiur_controller", Level::Off},       // no default
        MatchCase{"kopia", "kopia", Level::Trace},                       // bare target
        MatchCase{"warn,kopiur=info,kopiur::backup=trace", "kopiur::backup::x", Level::Trace},
        MatchCase{"warn,kopiur=info,kopiur::backup=trace", "kopiur::restore", Level::Info},
        MatchCase{"warn,kopiur=info,kopiur::backup=trace", "other", Level::Warn},
        MatchCase{"kopiur::backup=trace,kopiur=info,warn", "kopiur::backup", Level::Trace},
        MatchCase{"info,kopia=debug,kopia=error", "kopia", Level::Error},  // later wins
        MatchCase{"info,,kopia=debug,", "kopia", Level::Debug},            // empty pieces
        MatchCase{" info , kopia = debug ", "kopia", Level::Debug},        // blanks
        MatchCase{"kopia=4", "kopia", Level::Debug},                       // numeric
        MatchCase{"kopia=", "kopia", Level::Trace},                        // empty level
        MatchCase{"warn,trace=info", "kopia", Level::Info},  // a level-named target: default
        MatchCase{"warn,ünï::cödé=debug", "ünï::cödé::x", Level::Debug},   // non-ASCII
        MatchCase{"warn,[]=debug", "x", Level::Debug},                     // `[]`: default
        MatchCase{"warn,[reconcile]kopia=debug", "kopia", Level::Warn}));  // span, then target

struct InvalidCase {
  std::string spec;
  std::string bad_directive;  // must be named in the warning
  std::string reason_word;    // a word of the reason
  std::string target;         // still filtered by the valid directives
  Level expected;
};

class FilterInvalid : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(FilterInvalid, SkipsTheBadDirectiveAndKeepsTheRest) {
  const auto& c = GetParam();
  FilterParse parsed = Filter::parse(c.spec);
  ASSERT_FALSE(parsed.warnings.empty()) << c.spec;
  EXPECT_NE(parsed.warnings.front().find("`" + c.bad_directive + "`"), std::string::npos)
      << parsed.warnings.front();
  EXPECT_NE(parsed.warnings.front().find(c.reason_word), std::string::npos)
      << parsed.warnings.front();
  EXPECT_EQ(parsed.filter.static_level(c.target), c.expected) << c.spec;
}

INSTANTIATE_TEST_SUITE_P(
    Table, FilterInvalid,
    ::testing::Values(
        InvalidCase{"info,kopia=loud", "kopia=loud", "not a level", "kopia", Level::Info},
        InvalidCase{"kopia=debug,=info", "=info", "nothing before", "kopia", Level::Debug},
        InvalidCase{"debug,kopia=x", "kopia=x", "not a level", "x", Level::Debug},
        InvalidCase{"warn,my target=info", "my target=info", "not a target", "x", Level::Warn},
        InvalidCase{"warn,a[span=debug", "a[span=debug", "not closed", "a", Level::Warn},
        InvalidCase{"warn,a[s{k=B(}]=debug", "a[s{k=B(}]=debug", "regular expression", "a",
                    Level::Warn},
        InvalidCase{"warn,a[s{k=^B}]=debug", "a[s{k=^B}]=debug", "anchors", "a", Level::Warn},
        InvalidCase{"warn,a[s{x]=debug", "a[s{x]=debug", "not closed", "a", Level::Warn},
        InvalidCase{"warn,a[x][y]=debug", "a[x][y]=debug", "more than one", "a", Level::Warn},
        InvalidCase{"kopia=verbose", "kopia=verbose", "not a level", "x", Level::Info}));

TEST(Filter, AllInvalidFallsBackToInfoAndSaysSo) {
  FilterParse parsed = Filter::parse("kopia=loud,=x");
  ASSERT_EQ(parsed.warnings.size(), 3U);
  EXPECT_NE(parsed.warnings[2].find("using `info`"), std::string::npos);
  EXPECT_EQ(parsed.filter.static_level("x"), Level::Info);
  EXPECT_EQ(parsed.filter.to_string(), "info");
}

TEST(Filter, OneWarningPerBadDirective) {
  FilterParse parsed = Filter::parse("info,a=x,b=y,c=debug");
  ASSERT_EQ(parsed.warnings.size(), 2U);
  EXPECT_NE(parsed.warnings[0].find("`a=x`"), std::string::npos);
  EXPECT_NE(parsed.warnings[1].find("`b=y`"), std::string::npos);
  EXPECT_EQ(parsed.filter.static_level("c"), Level::Debug);
  EXPECT_EQ(parsed.filter.to_string(), "info,c=debug");
}

TEST(Filter, MaxLevelCoversTargetAndSpanDirectives) {
  EXPECT_EQ(Filter::parse("info").filter.max_level(), Level::Info);
  EXPECT_EQ(Filter::parse("warn,kopia=debug").filter.max_level(), Level::Debug);
  EXPECT_EQ(Filter::parse("off").filter.max_level(), Level::Off);
  const Filter f = Filter::parse("warn,[reconcile]=trace").filter;
  EXPECT_EQ(f.max_level(), Level::Trace);
  EXPECT_TRUE(f.has_span_directives());
  EXPECT_EQ(f.span_directive_max(), Level::Trace);
  EXPECT_EQ(f.static_level("x"), Level::Warn);  // span directives are not target directives
}

std::vector<OwnedField> span_fields() {
  std::vector<OwnedField> fields(3);
  fields[0].name = "kind";
  fields[0].value = std::string("Backup");
  fields[1].name = "name";
  fields[1].value = std::string("nightly");
  fields[2].name = "attempt";
  fields[2].value = std::int64_t{3};
  return fields;
}

TEST(Filter, SpanDirectivesMatchNameTargetAndFields) {
  const auto fields = span_fields();
  struct Case {
    std::string spec;
    std::string target;
    std::string span;
    std::optional<Level> expected;
  };
  const std::vector<Case> cases = {
      {"[reconcile]=debug", "kopiur_controller", "reconcile", Level::Debug},
      {"[reconcile]=debug", "kopiur_controller", "other", std::nullopt},
      {"kopiur_controller[reconcile]=trace", "kopiur_controller::backup", "reconcile",
       Level::Trace},
      {"kopiur_webhook[reconcile]=trace", "kopiur_controller", "reconcile", std::nullopt},
      {"[reconcile{kind=Backup}]=debug", "t", "reconcile", Level::Debug},
      {"[reconcile{kind=\"Backup\"}]=debug", "t", "reconcile", Level::Debug},
      // A directive about the span whose values differ: the span exists, enables nothing.
      {"[reconcile{kind=Restore}]=debug", "t", "reconcile", Level::Off},
      // Values are regexes matching a suffix, numbers and bools are typed (as tracing).
      {"[reconcile{kind=B.*}]=debug", "t", "reconcile", Level::Debug},
      {"[reconcile{name=x|nightly}]=debug", "t", "reconcile", Level::Debug},
      {"[reconcile{kind=up}]=debug", "t", "reconcile", Level::Debug},
      {"[reconcile{kind=Back}]=debug", "t", "reconcile", Level::Off},
      {"[reconcile{attempt=3.0}]=debug", "t", "reconcile", Level::Off},
      {"[reconcile{kind}]=debug", "t", "reconcile", Level::Debug},
      {"[reconcile{}]=debug", "t", "reconcile", Level::Debug},
      // The later directive for the same span wins, even when less verbose.
      {"[reconcile]=trace,[reconcile]=error", "t", "reconcile", Level::Error},
      {"[reconcile{kind=Backup,name=nightly}]=debug", "t", "reconcile", Level::Debug},
      {"[reconcile{kind=Backup,name=other}]=debug", "t", "reconcile", Level::Off},
      {"[reconcile{attempt=3}]=debug", "t", "reconcile", Level::Debug},
      {"[{kind}]=debug", "t", "anything", Level::Debug},
      {"[{missing}]=debug", "t", "anything", std::nullopt},
      {"[reconcile]=debug,[{kind=Backup}]=trace", "t", "reconcile", Level::Trace},
  };
  for (const auto& c : cases) {
    const FilterParse parsed = Filter::parse(c.spec);
    ASSERT_TRUE(parsed.warnings.empty()) << c.spec << ": " << parsed.warnings.front();
    EXPECT_EQ(parsed.filter.span_scope_level(c.target, c.span, fields), c.expected) << c.spec;
  }
}

TEST(Filter, RegexFieldValueOnALongValueNeitherCrashesNorMisses) {
  // A depth-first matcher would recurse once per character here.
  std::vector<OwnedField> fields(1);
  fields[0].name = "name";
  fields[0].value = std::string(1 << 20, 'a') + "-nightly";
  const FilterParse parsed = Filter::parse("[reconcile{name=a+-ni.*}]=debug");
  ASSERT_TRUE(parsed.warnings.empty()) << parsed.warnings.front();
  EXPECT_EQ(parsed.filter.span_scope_level("t", "reconcile", fields), Level::Debug);
  const FilterParse backref = Filter::parse("warn,[reconcile{name=(a)\\1}]=debug");
  ASSERT_EQ(backref.warnings.size(), 1U);
  EXPECT_NE(backref.warnings[0].find("back-references"), std::string::npos) << backref.warnings[0];
}

TEST(Filter, CommasInsideSpanFieldsDoNotSplitDirectives) {
  const FilterParse parsed = Filter::parse("info,[reconcile{kind=Backup,name=nightly}]=debug");
  ASSERT_TRUE(parsed.warnings.empty());
  ASSERT_EQ(parsed.filter.span_directives().size(), 1U);
  EXPECT_EQ(parsed.filter.span_directives()[0].fields.size(), 2U);
  EXPECT_EQ(parsed.filter.to_string(), "info,[reconcile{kind=Backup,name=nightly}]=debug");
}

}  // namespace
}  // namespace kopiur::telemetry::log
