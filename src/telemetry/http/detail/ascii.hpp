// ASCII lower-casing for HTTP field names, which are ASCII tokens: the server keys a request's
// fields by it and Request::header() looks them up with it (std::tolower would consult the locale
// for every character). Case-insensitive comparison is boost::beast::iequals.
#pragma once

#include <string>
#include <string_view>

namespace kopiur::telemetry::http::detail {

inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace kopiur::telemetry::http::detail
