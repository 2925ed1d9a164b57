// Shared by the curl transport's sources (see curl_http.hpp): one-time library setup, the options
// every request gets, and the translation of a failed transfer into an Error.
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <string>

#include <curl/curl.h>

#include "kopiur/kube/result.hpp"

#include "kube/detail/curl_http.hpp"

namespace kopiur::kube::detail {

// seconds_text(): "10 s", "0.25 s".
std::string seconds_text(std::chrono::milliseconds duration);

// ensure_curl_initialised(): curl_global_init once per process, before the first handle.
void ensure_curl_initialised();

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

// CurlExchange: what curl reads from while a transfer runs, so it must outlive it.
struct CurlExchange {
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  std::array<char, CURL_ERROR_SIZE> error{};
};

// configure_curl(): sets URL, method, body, headers, deadlines and TLS on a fresh (or reset)
// handle. An Error when libcurl refuses an option (a build without a needed feature).
Status configure_curl(CURL* handle, const HttpRequest& request, CurlExchange& exchange);

// track_socket(): keeps *slot the fd of the connection the handle opens (-1 once it closes).
// acknowledge_now(): sends a pending TCP ACK at once (fd -1: nothing). Together they keep a
// server that writes an answer in several segments without TCP_NODELAY (the current
// kopiur-localkube) from waiting on Linux's 40 ms delayed ACK of each segment on a kept-alive
// connection; Nagle holds the next segment back until the previous one is acknowledged.
void track_socket(CURL* handle, int* slot);
void acknowledge_now(int fd);

// curl_failure(): the Error for a failed transfer, naming the URL and the cause.
Error curl_failure(CURL* handle, CURLcode code, const CurlExchange& exchange,
                   const HttpRequest& request);

}  // namespace kopiur::kube::detail
