#include "telemetry/http/detail/gzip.hpp"

#include <charconv>

#include <boost/beast/core/string.hpp>
#include <zlib.h>

namespace kopiur::telemetry::http::detail {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// q-value of one "coding;q=0.5" element: 1 when absent, 0 for "q=0", "q=0.0", ...
bool positive_q(std::string_view params) {
  while (!params.empty()) {
    const auto semi = params.find(';');
    std::string_view param = trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view{} : params.substr(semi + 1);
    if (param.size() < 2 || (param[0] != 'q' && param[0] != 'Q') || param[1] != '=') continue;
    std::string_view v = param.substr(2);
    return v.find_first_not_of("0.") != std::string_view::npos;
  }
  return true;
}

}  // namespace

bool accepts_gzip(std::string_view accept_encoding) noexcept {
  while (!accept_encoding.empty()) {
    const auto comma = accept_encoding.find(',');
    std::string_view element = accept_encoding.substr(0, comma);
    accept_encoding =
        comma == std::string_view::npos ? std::string_view{} : accept_encoding.substr(comma + 1);
    const auto semi = element.find(';');
    const std::string_view coding = trim(element.substr(0, semi));
    const std::string_view params =
        semi == std::string_view::npos ? std::string_view{} : element.substr(semi + 1);
    if ((boost::beast::iequals(coding, "gzip") || coding == "*") && positive_q(params)) return true;
  }
  return false;
}

std::optional<std::string> gzip_compress(std::string_view body) {
  if (body.size() > 0xffffffffu) return std::nullopt;  // one deflate() call takes a uInt length
  z_stream zs{};
  // windowBits 15 + 16 selects the gzip wrapper instead of zlib's.
  if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return std::nullopt;
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(body.size())));
  // zlib's API takes non-const input pointers but never writes through them.
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  zs.avail_in = static_cast<uInt>(body.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  const auto written = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return std::nullopt;
  out.resize(written);
  return out;
}

}  // namespace kopiur::telemetry::http::detail
