// libcurl behind curl_http.hpp: options shared by every request, errors that say what failed,
// and the connection pool.
#include "kube/detail/curl_http.hpp"

#include <curl/curl.h>

#include "kube/detail/curl_setup.hpp"

namespace kopiur::kube::detail {
namespace {

std::size_t end_of_head(char* data, std::size_t size, std::size_t count, void* slot) {
  const std::size_t n = size * count;
  if (n == 2 && data[0] == '\r' && data[1] == '\n') acknowledge_now(*static_cast<int*>(slot));
  return n;
}

std::size_t append_body(char* data, std::size_t size, std::size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

}  // namespace

CurlEasy::CurlEasy() : handle_(nullptr) {
  ensure_curl_initialised();
  handle_ = curl_easy_init();
}

CurlEasy::~CurlEasy() {
  if (handle_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(handle_));
}

Result<HttpResponse> perform(CurlEasy& easy, const HttpRequest& request) {
  auto* handle = static_cast<CURL*>(easy.get());
  if (handle == nullptr) return Error{"", 0, "", "libcurl could not create a handle"};
  curl_easy_reset(handle);  // keeps the open connections, the DNS and TLS session caches
  CurlExchange exchange;
  if (auto configured = configure_curl(handle, request, exchange); !configured.ok()) {
    return configured.error();
  }
  HttpResponse response;
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &response.body);
  track_socket(handle, easy.socket_slot());
  curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, end_of_head);
  curl_easy_setopt(handle, CURLOPT_HEADERDATA, easy.socket_slot());
  const CURLcode code = curl_easy_perform(handle);
  long status = 0;
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  Result<HttpResponse> result =
      code == CURLE_OK ? Result<HttpResponse>(std::move(response))
                       : Result<HttpResponse>(curl_failure(handle, code, exchange, request));
  // Drop the pointers into this call's buffers; the handle's connection stays open.
  curl_easy_reset(handle);
  return result;
}

Result<HttpResponse> CurlPool::perform(const HttpRequest& request) {
  auto easy = acquire();
  auto response = detail::perform(*easy, request);
  release(std::move(easy));
  return response;
}

std::unique_ptr<CurlEasy> CurlPool::acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      auto easy = std::move(idle_.back());
      idle_.pop_back();
      return easy;
    }
  }
  return std::make_unique<CurlEasy>();
}

void CurlPool::release(std::unique_ptr<CurlEasy> easy) {
  std::lock_guard lock(mu_);
  if (idle_.size() < max_idle_) idle_.push_back(std::move(easy));
}

std::string describe_url(const std::string& url) { return url.substr(0, url.find('?')); }

}  // namespace kopiur::kube::detail
