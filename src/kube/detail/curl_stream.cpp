// CurlStream (see curl_http.hpp): one transfer on its own multi handle, so the waiting thread
// sleeps in curl_multi_poll, which cancel() interrupts with curl_multi_wakeup, and the idle
// deadline is checked between polls.
#include <algorithm>
#include <chrono>

#include "kube/detail/curl_http.hpp"
#include "kube/detail/curl_setup.hpp"

namespace kopiur::kube::detail {
namespace {

using Clock = std::chrono::steady_clock;

struct Sink {
  CURL* handle = nullptr;
  const int* socket = nullptr;
  const CurlStream::OnData* on_data = nullptr;
  Clock::time_point last_byte;
  int status = 0;
  bool stopped = false;
};

std::size_t deliver(char* data, std::size_t size, std::size_t count, void* user) {
  auto& sink = *static_cast<Sink*>(user);
  sink.last_byte = Clock::now();
  acknowledge_now(*sink.socket);  // the server may hold the next event until this is acked
  if (sink.status == 0) {
    long status = 0;
    curl_easy_getinfo(sink.handle, CURLINFO_RESPONSE_CODE, &status);
    sink.status = static_cast<int>(status);
  }
  if (!(*sink.on_data)(sink.status, std::string_view(data, size * count))) {
    sink.stopped = true;
    return 0;  // ends the transfer (CURLE_WRITE_ERROR), reported as kStoppedByCaller
  }
  return size * count;
}

std::size_t note_header(char* /*data*/, std::size_t size, std::size_t count, void* user) {
  static_cast<Sink*>(user)->last_byte = Clock::now();
  return size * count;
}

// Detaches the easy handle before either handle is cleaned up.
class Attached {
 public:
  Attached(CURLM* multi, CURL* easy) : multi_(multi), easy_(easy) {
    ok_ = curl_multi_add_handle(multi, easy) == CURLM_OK;
  }
  ~Attached() {
    if (ok_) curl_multi_remove_handle(multi_, easy_);
  }
  Attached(const Attached&) = delete;
  Attached& operator=(const Attached&) = delete;
  bool ok() const { return ok_; }

 private:
  CURLM* multi_;
  CURL* easy_;
  bool ok_ = false;
};

Error multi_error(CURLMcode code) {
  return Error{"", 0, "", std::string("libcurl: ") + curl_multi_strerror(code)};
}

}  // namespace

std::shared_ptr<CurlStream> CurlStream::create() { return std::make_shared<CurlStream>(Private{}); }

CurlStream::CurlStream(Private /*only create()*/) : multi_(nullptr) {
  ensure_curl_initialised();
  multi_ = curl_multi_init();
}

CurlStream::~CurlStream() {
  if (multi_ != nullptr) curl_multi_cleanup(static_cast<CURLM*>(multi_));
}

void CurlStream::cancel() {
  cancelled_.store(true);
  if (multi_ != nullptr) curl_multi_wakeup(static_cast<CURLM*>(multi_));
}

Result<CurlStream::Outcome> CurlStream::run(const HttpRequest& request,
                                            std::chrono::milliseconds idle_timeout,
                                            const OnData& on_data) {
  auto* multi = static_cast<CURLM*>(multi_);
  // What the handle points into is declared first, so it outlives the handle's cleanup.
  CurlExchange exchange;
  Sink sink{nullptr, nullptr, &on_data, Clock::now()};
  CurlEasy easy;
  auto* handle = static_cast<CURL*>(easy.get());
  if (multi == nullptr || handle == nullptr) {
    return Error{"", 0, "", "libcurl could not create a handle"};
  }
  sink.handle = handle;
  sink.socket = easy.socket_slot();
  if (auto configured = configure_curl(handle, request, exchange); !configured.ok()) {
    return configured.error();
  }
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, deliver);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, note_header);
  curl_easy_setopt(handle, CURLOPT_HEADERDATA, &sink);
  track_socket(handle, easy.socket_slot());
  // A watch's connection is not kept: it closes with the transfer, while `easy` (whose socket
  // slot the close callback writes) is alive, not later in the multi handle's cache.
  curl_easy_setopt(handle, CURLOPT_FORBID_REUSE, 1L);
  Attached attached(multi, handle);
  if (!attached.ok()) return Error{"", 0, "", "libcurl could not start the transfer"};
  const auto outcome = [&](End end) {
    long status = 0;
    curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
    return Outcome{end, static_cast<int>(status)};
  };
  while (true) {
    if (cancelled_.load()) return outcome(End::kCancelled);
    int running = 0;
    if (const CURLMcode code = curl_multi_perform(multi, &running); code != CURLM_OK) {
      return multi_error(code);
    }
    if (sink.stopped) return outcome(End::kStoppedByCaller);
    if (running == 0) {
      int queued = 0;
      const CURLMsg* message = curl_multi_info_read(multi, &queued);
      const CURLcode result = message != nullptr ? message->data.result : CURLE_OK;
      if (result == CURLE_OK) return outcome(End::kComplete);
      return curl_failure(handle, result, exchange, request);
    }
    if (cancelled_.load()) return outcome(End::kCancelled);
    const auto quiet =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - sink.last_byte);
    if (idle_timeout.count() > 0 && quiet >= idle_timeout) {
      return Error{"", 0, "",
                   "no data from " + describe_url(request.url) + " for " + seconds_text(quiet) +
                       " (idle deadline " + seconds_text(idle_timeout) +
                       "): the server or the network stalled"};
    }
    // curl shortens the wait for its own timers (connect deadline); cancel() ends it at once.
    const auto wait = idle_timeout.count() > 0 ? (idle_timeout - quiet).count() : 1000;
    if (const CURLMcode code = curl_multi_poll(
            multi, nullptr, 0, static_cast<int>(std::min<long long>(wait, 1000)), nullptr);
        code != CURLM_OK) {
      return multi_error(code);
    }
  }
}

}  // namespace kopiur::kube::detail
