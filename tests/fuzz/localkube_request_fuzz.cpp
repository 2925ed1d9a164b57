// libFuzzer target for the local API server's request decoding (src/localkube/detail/routing.cpp
// and the handlers behind it): the URL's path and query (resources, subresources, selectors,
// limit and continue tokens, dryRun, fieldValidation, fieldManager), the content type and the
// body (JSON, YAML, protobuf, the patch types). The input is a request as text:
//
//   METHOD /path?query
//   Header: value
//   (empty line)
//   body
//
// Requests go straight to detail::serve() over one in-memory store that has kopiur's CRDs (from
// deploy/crds) and keeps what earlier inputs created. serve() answers every request; a 500
// (an exception escaped a handler) or a status outside 200-599 is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "localkube/detail/api.hpp"
#include "localkube/detail/local_store.hpp"
#include "localkube/detail/routing.hpp"
#include "localkube/detail/stream_pump.hpp"

namespace {

namespace detail = kopiur::localkube::detail;
namespace http = kopiur::telemetry::http;

// The server's state, built once: a store with the CRDs, its stream pump and the context.
struct LocalkubeFuzzServer {
  kopiur::localkube::LocalApiServer::Options options;
  detail::LocalStore store{detail::LocalStore::Options{}};
  detail::StreamPump streams{store};
  detail::Context context{options, store, streams};

  LocalkubeFuzzServer() {
    kopiur::fuzz::fuzz_require(store.load().ok());
    for (const char* crd : {"backups", "backupconfigs", "backupschedules", "clusterrepositories",
                            "maintenances", "repositories", "restores"}) {
      std::ifstream in(std::string(KOPIUR_SOURCE_DIR "/deploy/crds/") + crd + ".yaml");
      std::stringstream text;
      text << in.rdbuf();
      http::Request request;
      request.method = "POST";
      request.path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
      request.headers.emplace("content-type", "application/yaml");
      request.body = text.str();
      kopiur::fuzz::fuzz_require(detail::serve(context, request).status == 201);
    }
  }
};

std::string_view next_line(std::string_view& rest) {
  const auto end = rest.find('\n');
  std::string_view line = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

std::string lower_name(std::string_view name) {
  std::string out(name);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

// The request the text describes; false when its first line has no method and target.
bool parse_request(std::string_view text, http::Request& request) {
  const std::string_view first = next_line(text);
  const auto space = first.find(' ');
  if (space == std::string_view::npos || space == 0) return false;
  request.method = std::string(first.substr(0, space));
  const std::string_view target = first.substr(space + 1);
  const auto query = target.find('?');
  request.path = std::string(target.substr(0, query));
  if (query != std::string_view::npos) request.query = std::string(target.substr(query + 1));
  while (!text.empty()) {
    const std::string_view line = next_line(text);
    if (line.empty()) break;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    request.headers.emplace(lower_name(line.substr(0, colon)), std::string(value));
  }
  request.body = std::string(text);
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static LocalkubeFuzzServer server;
  http::Request request;
  if (!parse_request({reinterpret_cast<const char*>(data), size}, request)) return 0;
  const http::Response response = detail::serve(server.context, request);
  if (response.status < 200 || response.status >= 600 || response.status == 500) {
    std::fprintf(stderr, "%s %s?%s answered %d: %s\n", request.method.c_str(), request.path.c_str(),
                 request.query.c_str(), response.status, response.body.c_str());
    std::abort();
  }
  return 0;
}
