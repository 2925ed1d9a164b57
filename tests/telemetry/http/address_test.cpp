#include "kopiur/telemetry/http/address.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "telemetry/http/detail/gzip.hpp"

namespace kopiur::telemetry::http {
namespace {

using ::testing::HasSubstr;

TEST(ParseHostPort, AcceptsTheThreeForms) {
  HostPort a;
  EXPECT_EQ(parse_host_port("0.0.0.0:8080", a), "");
  EXPECT_EQ(a.host, "0.0.0.0");
  EXPECT_EQ(a.port, 8080);
  EXPECT_EQ(parse_host_port("[::1]:8443", a), "");
  EXPECT_EQ(a.host, "::1");
  EXPECT_EQ(a.port, 8443);
  EXPECT_EQ(parse_host_port(":9090", a), "");
  EXPECT_EQ(a.host, "0.0.0.0");
  EXPECT_EQ(a.port, 9090);
  EXPECT_EQ(parse_host_port("localhost:0", a), "");
  EXPECT_EQ(a.host, "localhost");
  EXPECT_EQ(a.port, 0);
  EXPECT_EQ(parse_host_port("127.0.0.1:65535", a), "");
  EXPECT_EQ(a.port, 65535);
}

TEST(ParseHostPort, RejectsWithAReason) {
  struct Case {
    const char* text;
    const char* reason;
  };
  for (const Case& c : {Case{"nohost", "expected host:port"}, Case{"", "expected host:port"},
                        Case{"1.2.3.4:99999", "out of range"}, Case{"1.2.3.4:", "missing port"},
                        Case{"1.2.3.4:-1", "not a number"}, Case{"h:80x", "not a number"},
                        Case{"::1:80", "must be bracketed"}, Case{"[::1]80", "expected ':port'"},
                        Case{"[::1:80", "missing ']'"}, Case{"[]:80", "empty IPv6 host"}}) {
    HostPort out{"unchanged", 7};
    const std::string err = parse_host_port(c.text, out);
    EXPECT_THAT(err, HasSubstr(c.reason)) << c.text;
    EXPECT_THAT(err, HasSubstr(std::string("'") + c.text + "'")) << c.text;
    EXPECT_EQ(out.host, "unchanged") << c.text;
    EXPECT_EQ(out.port, 7) << c.text;
  }
}

TEST(FormatHostPort, BracketsIPv6) {
  EXPECT_EQ(format_host_port({"::1", 80}), "[::1]:80");
  EXPECT_EQ(format_host_port({"127.0.0.1", 8080}), "127.0.0.1:8080");
}

TEST(AcceptsGzip, ParsesCodingsAndQValues) {
  EXPECT_TRUE(detail::accepts_gzip("gzip"));
  EXPECT_TRUE(detail::accepts_gzip("gzip, deflate, br"));
  EXPECT_TRUE(detail::accepts_gzip("deflate , GZip ;q=0.8"));
  EXPECT_TRUE(detail::accepts_gzip("*"));
  EXPECT_TRUE(detail::accepts_gzip("identity;q=1, gzip;q=0.001"));
  EXPECT_FALSE(detail::accepts_gzip(""));
  EXPECT_FALSE(detail::accepts_gzip("identity"));
  EXPECT_FALSE(detail::accepts_gzip("x-gzip2, deflate"));
  EXPECT_FALSE(detail::accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(detail::accepts_gzip("gzip;q=0.000"));
  EXPECT_FALSE(detail::accepts_gzip("br, *;q=0"));
}

}  // namespace
}  // namespace kopiur::telemetry::http
