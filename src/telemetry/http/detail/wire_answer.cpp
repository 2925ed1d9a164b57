#include "telemetry/http/detail/wire_answer.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <string_view>
#include <utility>

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/status.hpp>

#include "telemetry/http/detail/gzip.hpp"

namespace kopiur::telemetry::http::detail {
namespace {

namespace bhttp = boost::beast::http;
using boost::beast::iequals;

// RFC 9110 token characters: a field name is one or more of them.
bool token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool sendable(std::string_view name, std::string_view value) {
  if (name.empty() || !std::all_of(name.begin(), name.end(), token_char)) return false;
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

// Fields the server writes itself.
bool server_owned(std::string_view name) {
  return iequals(name, "content-type") || iequals(name, "content-length") ||
         iequals(name, "transfer-encoding") || iequals(name, "connection");
}

void add_field(std::string& head, std::string_view name, std::string_view value) {
  head.append(name).append(": ").append(value).append("\r\n");
}

void add_length(std::string& head, std::size_t length) {
  std::array<char, 24> digits{};
  const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), length).ptr;
  add_field(head, "Content-Length", std::string_view(digits.data(), end - digits.data()));
}

// "HTTP/1.1 200 OK\r\n": a server answers with its own version, also to 1.0 clients.
std::string status_line(int status) {
  std::string line = "HTTP/1.1 " + std::to_string(status) + " ";
  const auto known = bhttp::int_to_status(static_cast<unsigned>(status));
  if (known != bhttp::status::unknown) line.append(bhttp::obsolete_reason(known));
  line.append("\r\n");
  return line;
}

}  // namespace

WireAnswer wire_answer(const ServerOptions& options, const Request& request, Response response) {
  if (response.status < 100 || response.status > 999) return wire_text(500, "internal error\n");
  WireAnswer out;
  out.head = status_line(response.status);
  const bool encoded =
      std::any_of(response.headers.begin(), response.headers.end(),
                  [](const auto& f) { return iequals(f.first, "content-encoding"); });
  const bool negotiates = options.gzip && !encoded && response.body.size() >= kMinGzipBytes;
  for (const auto& [name, value] : response.headers) {
    if (!handler_field_sendable(name, value)) continue;
    if (negotiates && iequals(name, "vary")) continue;  // replaced by ours below
    add_field(out.head, name, value);
  }
  if (negotiates) {
    add_field(out.head, "Vary", "Accept-Encoding");
    if (accepts_gzip(request.header("accept-encoding"))) {
      if (auto packed = gzip_compress(response.body);
          packed && packed->size() < response.body.size()) {
        response.body = std::move(*packed);
        add_field(out.head, "Content-Encoding", "gzip");
      }
    }
  }
  if (sendable("Content-Type", response.content_type)) {
    add_field(out.head, "Content-Type", response.content_type);
  }
  add_length(out.head, response.body.size());
  if (request.method != "HEAD") out.body = std::move(response.body);
  return out;
}

bool handler_field_sendable(std::string_view name, std::string_view value) {
  return !server_owned(name) && sendable(name, value);
}

WireAnswer wire_text(int status, std::string text) {
  WireAnswer out;
  out.head = status_line(status);
  add_field(out.head, "Content-Type", "text/plain; charset=utf-8");
  add_length(out.head, text.size());
  out.body = std::move(text);
  return out;
}

void end_head(std::string& head, bool close, bool http10) {
  if (close) {
    add_field(head, "Connection", "close");
  } else if (http10) {
    add_field(head, "Connection", "keep-alive");
  }
  head.append("\r\n");
}

}  // namespace kopiur::telemetry::http::detail
