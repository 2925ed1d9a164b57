// The options every request gets, and what a failed transfer means (see curl_setup.hpp).
#include "kube/detail/curl_setup.hpp"

#include <string>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace kopiur::kube::detail {
namespace {

bool is_https(const std::string& url) { return url.rfind("https://", 0) == 0; }

// One failed setopt is enough to refuse the request: a half-configured TLS handle must never
// send anything.
class Options {
 public:
  explicit Options(CURL* handle) : handle_(handle) {}
  template <class T>
  void set(CURLoption option, T value, const char* what) {
    if (failed_ != nullptr) return;
    if (curl_easy_setopt(handle_, option, value) != CURLE_OK) failed_ = what;
  }
  Status status() const {
    if (failed_ == nullptr) return {};
    return Error{"", 0, "", std::string("libcurl refused the option for ") + failed_};
  }

 private:
  CURL* handle_;
  const char* failed_ = nullptr;
};

void set_method(Options& options, const HttpRequest& request) {
  if (request.method == "GET" && request.body.empty()) {
    options.set(CURLOPT_HTTPGET, 1L, "GET");
    return;
  }
  if (request.method == "HEAD") {
    options.set(CURLOPT_NOBODY, 1L, "HEAD");
    return;
  }
  options.set(CURLOPT_CUSTOMREQUEST, request.method.c_str(), "the method");
  const bool sends_body = !request.body.empty() || request.method == "POST" ||
                          request.method == "PUT" || request.method == "PATCH";
  if (sends_body) {
    // POSTFIELDS does not copy: the request outlives the transfer.
    options.set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()),
                "the body size");
    options.set(CURLOPT_POSTFIELDS, request.body.c_str(), "the body");
  }
}

void set_tls(Options& options, const TlsOptions& tls) {
  options.set(CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2), "TLS 1.2+");
  if (!tls.ca_pem.empty()) {
    // The kubeconfig's CA replaces the system trust store, as in client-go.
    curl_blob blob{const_cast<char*>(tls.ca_pem.data()), tls.ca_pem.size(), CURL_BLOB_COPY};
    options.set(CURLOPT_CAINFO_BLOB, &blob, "the CA bundle");
    options.set(CURLOPT_CAPATH, static_cast<const char*>(nullptr), "the CA path");
  }
  if (tls.insecure_skip_verify) {
    options.set(CURLOPT_SSL_VERIFYPEER, 0L, "insecure-skip-tls-verify");
    options.set(CURLOPT_SSL_VERIFYHOST, 0L, "insecure-skip-tls-verify");
  }
  if (!tls.client_cert_pem.empty()) {
    curl_blob cert{const_cast<char*>(tls.client_cert_pem.data()), tls.client_cert_pem.size(),
                   CURL_BLOB_COPY};
    curl_blob key{const_cast<char*>(tls.client_key_pem.data()), tls.client_key_pem.size(),
                  CURL_BLOB_COPY};
    options.set(CURLOPT_SSLCERTTYPE, "PEM", "the client certificate type");
    options.set(CURLOPT_SSLCERT_BLOB, &cert, "the client certificate");
    options.set(CURLOPT_SSLKEYTYPE, "PEM", "the client key type");
    options.set(CURLOPT_SSLKEY_BLOB, &key, "the client key");
  }
}

bool is_tls_failure(CURLcode code) {
  switch (code) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED:
      return true;
    default:
      return false;
  }
}

std::string tls_hint(CURLcode code) {
  switch (code) {
    case CURLE_PEER_FAILED_VERIFICATION:
      return " (the server's certificate is not signed by the trusted CA or does not name this "
             "host: check the kubeconfig's certificate-authority)";
    case CURLE_SSL_CERTPROBLEM:
      return " (check the client certificate and key)";
    case CURLE_SSL_CACERT_BADFILE:
      return " (the CA bundle holds no usable certificate)";
    case CURLE_SSL_CLIENTCERT:
      return " (the server wants a client certificate)";
    default:
      return "";
  }
}

std::string timeout_cause(CURL* handle, const HttpRequest& request, const std::string& url,
                          const std::string& detail) {
  curl_off_t connected = 0;
  curl_off_t tls_done = 0;
  curl_easy_getinfo(handle, CURLINFO_CONNECT_TIME_T, &connected);
  curl_easy_getinfo(handle, CURLINFO_APPCONNECT_TIME_T, &tls_done);
  const std::string deadline = seconds_text(request.connect_timeout);
  // curl does not always report the TCP connect of a transfer whose handshake then timed out;
  // its message ("SSL connection timeout") says so.
  const bool in_handshake = is_https(request.url) && tls_done == 0 &&
                            (connected != 0 || detail.find("SSL") != std::string::npos);
  if (in_handshake) return "TLS handshake with " + url + " timed out (connect deadline " + deadline;
  if (connected == 0) return "timed out connecting to " + url + " (connect deadline " + deadline;
  return "timed out waiting for " + url + " (request deadline " +
         seconds_text(request.total_timeout);
}

curl_socket_t open_socket(void* slot, curlsocktype purpose, curl_sockaddr* address) {
  const int fd = ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
  if (fd < 0) return CURL_SOCKET_BAD;
  if (purpose == CURLSOCKTYPE_IPCXN) *static_cast<int*>(slot) = fd;
  return fd;
}

// curl copies the close callback into a connection when it opens it, so this runs for that
// connection even after the handle was reset.
int close_socket(void* slot, curl_socket_t fd) {
  if (*static_cast<int*>(slot) == fd) *static_cast<int*>(slot) = -1;
  return ::close(fd);
}

}  // namespace

void track_socket(CURL* handle, int* slot) {
  curl_easy_setopt(handle, CURLOPT_OPENSOCKETFUNCTION, open_socket);
  curl_easy_setopt(handle, CURLOPT_OPENSOCKETDATA, slot);
  curl_easy_setopt(handle, CURLOPT_CLOSESOCKETFUNCTION, close_socket);
  curl_easy_setopt(handle, CURLOPT_CLOSESOCKETDATA, slot);
}

void acknowledge_now(int fd) {
  if (fd < 0) return;
  const int on = 1;
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof(on));
}

std::string seconds_text(std::chrono::milliseconds duration) {
  const auto ms = duration.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  std::string fraction = std::to_string(1000 + ms % 1000).substr(1);
  while (fraction.back() == '0') fraction.pop_back();
  return std::to_string(ms / 1000) + "." + fraction + " s";
}

void ensure_curl_initialised() {
  // A function-local static: initialised exactly once, thread-safely, before any handle.
  static const CURLcode initialised = curl_global_init(CURL_GLOBAL_DEFAULT);
  (void)initialised;
}

Status configure_curl(CURL* handle, const HttpRequest& request, CurlExchange& exchange) {
  Options options(handle);
  options.set(CURLOPT_URL, request.url.c_str(), "the URL");
  options.set(CURLOPT_PROTOCOLS_STR, "http,https", "the protocols");
  options.set(CURLOPT_NOSIGNAL, 1L, "no signals");  // required with threads
  options.set(CURLOPT_PROXY, "", "no proxy");       // the API server is dialled directly
  options.set(CURLOPT_ERRORBUFFER, exchange.error.data(), "the error buffer");
  options.set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connect_timeout.count()),
              "the connect deadline");
  options.set(CURLOPT_TIMEOUT_MS, static_cast<long>(request.total_timeout.count()),
              "the request deadline");
  // Keep-alive probes find a peer that vanished (a node that died) on long idle connections.
  options.set(CURLOPT_TCP_KEEPALIVE, 1L, "TCP keep-alive");
  options.set(CURLOPT_TCP_KEEPIDLE, 30L, "TCP keep-alive");
  options.set(CURLOPT_TCP_KEEPINTVL, 10L, "TCP keep-alive");
  // "identity" still makes curl decode (incrementally) a server that compresses regardless.
  options.set(CURLOPT_ACCEPT_ENCODING, request.accept_gzip ? "gzip" : "identity",
              "Accept-Encoding");
  set_method(options, request);
  curl_slist* headers = nullptr;
  for (const auto& header : request.headers) {
    curl_slist* next = curl_slist_append(headers, header.c_str());
    if (next == nullptr) break;
    headers = next;
  }
  // No "Expect: 100-continue" round trip for large bodies: the API server reads them anyway.
  if (curl_slist* next = curl_slist_append(headers, "Expect:"); next != nullptr) headers = next;
  exchange.headers.reset(headers);
  options.set(CURLOPT_HTTPHEADER, headers, "the headers");
  if (is_https(request.url)) set_tls(options, request.tls);
  return options.status();
}

Error curl_failure(CURL* handle, CURLcode code, const CurlExchange& exchange,
                   const HttpRequest& request) {
  const std::string url = describe_url(request.url);
  const std::string detail =
      exchange.error[0] != '\0' ? exchange.error.data() : curl_easy_strerror(code);
  std::string cause;
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
      cause = "cannot resolve the host of " + url;
      break;
    case CURLE_COULDNT_CONNECT:
      cause = "connection to " + url + " refused or unreachable";
      break;
    case CURLE_OPERATION_TIMEDOUT:
      cause = timeout_cause(handle, request, url, detail) + ")";
      break;
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
      cause = "the connection to " + url + " was closed or reset";
      break;
    default:
      cause = is_tls_failure(code) ? "TLS failure talking to " + url + tls_hint(code)
                                   : "request to " + url + " failed";
  }
  return Error{"", 0, "", cause + ": " + detail};
}

}  // namespace kopiur::kube::detail
