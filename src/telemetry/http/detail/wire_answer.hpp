// A handler's answer as the bytes a connection writes: the head (status line and fields) rendered
// by hand into one string, then the body, sent together as one gather write. Beast's response
// serializer did the same through layers of buffer views, which cost more CPU than parsing the
// request on a small /metrics scrape. Streamed answers and 100 Continue keep using Beast's
// serializer (session.cpp), with the same check of a handler's fields.
#pragma once

#include <string>
#include <string_view>

#include "kopiur/telemetry/http/server.hpp"

namespace kopiur::telemetry::http::detail {

struct WireAnswer {
  std::string head;  // status line and fields, without Connection and the blank line (end_head)
  std::string body;  // empty for HEAD, which gets the GET's Content-Length
};

// The wire form of `response` to `request`: gzip when it pays (see docs/http.md). The server owns
// Content-Type (from response.content_type), Content-Length, Transfer-Encoding and Connection, so
// a handler's own fields of those names are not sent; nor is a field whose name is not an HTTP
// token or whose value holds CR, LF or NUL (it would split the head). A status outside 100-999
// answers 500.
WireAnswer wire_answer(const ServerOptions& options, const Request& request, Response response);

// Whether a handler's field goes on the wire: not one the server writes itself (above), a token
// for a name, no CR, LF or NUL in the value. Streamed heads (session.cpp) use it too.
bool handler_field_sendable(std::string_view name, std::string_view value);

// A plain-text answer the server gives itself (a refused request, a handler that threw).
WireAnswer wire_text(int status, std::string text);

// Completes `head`: the Connection field the connection's fate calls for (close; keep-alive
// spelled out for an HTTP/1.0 client, which otherwise assumes close), then the blank line.
void end_head(std::string& head, bool close, bool http10);

}  // namespace kopiur::telemetry::http::detail
