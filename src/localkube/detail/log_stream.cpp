// pods/log: a container's output file sent from the first line wanted (tailLines) up to
// limitBytes, and with follow=true kept open while the container runs, each new piece sent as it
// is written. The file is read in pieces, never whole, and only while the client keeps up.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "localkube/detail/handlers.hpp"
#include "localkube/detail/json_access.hpp"
#include "localkube/detail/kubelet.hpp"
#include "localkube/detail/log_files.hpp"
#include "localkube/detail/stream_pump.hpp"

namespace kopiur::localkube::detail {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kPiece = 64u << 10;
// More than this queued for the client and the stream waits for it to read (a large log must not
// run into the HTTP server's drop bound).
constexpr std::size_t kMaxQueued = 1u << 20;
constexpr auto kFilePoll = std::chrono::milliseconds(100);  // a followed file is a plain file
constexpr auto kDrainPoll = std::chrono::milliseconds(20);

struct LogSpec {
  std::string path;
  std::string pod_uid;
  std::string container;
  std::uint64_t offset = 0;
  std::uint64_t left = std::numeric_limits<std::uint64_t>::max();  // limitBytes
  bool follow = false;
};

class LogStream final : public StreamPump::Stream {
 public:
  LogStream(const LocalStore& store, const LocalKubelet& kubelet, LogSpec spec,
            std::shared_ptr<http::StreamWriter> writer)
      : store_(store), kubelet_(kubelet), spec_(std::move(spec)), writer_(std::move(writer)) {}

  std::optional<Clock::time_point> pump() override {
    while (writer_->open()) {
      if (writer_->queued_bytes() >= kMaxQueued) return Clock::now() + kDrainPoll;
      // Whether it still runs is asked before reading, so no output written just before it
      // ended is missed.
      const bool running =
          spec_.follow && kubelet_.container_running(spec_.pod_uid, spec_.container);
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(spec_.left, kPiece));
      auto piece = want == 0 ? std::string() : read_range(spec_.path, spec_.offset, want);
      if (piece.empty()) {
        if (running && spec_.left > 0 && !store_.is_shut_down()) return Clock::now() + kFilePoll;
        writer_->close();
        return std::nullopt;
      }
      spec_.offset += piece.size();
      spec_.left -= piece.size();
      if (!writer_->write(std::move(piece))) return std::nullopt;
    }
    return std::nullopt;
  }

  void close() override { writer_->close(); }

 private:
  const LocalStore& store_;
  const LocalKubelet& kubelet_;
  LogSpec spec_;
  std::shared_ptr<http::StreamWriter> writer_;
};

// The container a log request means: ?container=, or the pod's only one.
Result<std::string> container_of(const json& pod, const Target& t, const ApiRequest& req) {
  std::vector<std::string> names;
  for (const auto& c : pod["spec"].value("containers", json::array())) {
    names.push_back(c.value("name", ""));
  }
  std::string container = req.param("container");
  if (container.empty()) {
    if (names.size() != 1) {
      std::string list;
      for (const auto& n : names) list += (list.empty() ? "" : " ") + n;
      return api_err(400, "BadRequest",
                     "a container name must be specified for pod " + t.name + ", choose one of: [" +
                         list + "]");
    }
    container = names[0];
  }
  if (std::find(names.begin(), names.end(), container) == names.end()) {
    return api_err(400, "BadRequest", "container " + container + " is not valid for pod " + t.name);
  }
  if (req.param("previous") == "true") {
    return api_err(
        400, "BadRequest",
        "previous terminated container \"" + container + "\" in pod \"" + t.name + "\" not found");
  }
  return container;
}

Error waiting_to_start(const json& pod, const Target& t, const std::string& container) {
  std::string reason = "ContainerCreating";
  for (const auto& cs : field::list(field::map(pod, "status"), "containerStatuses")) {
    const auto& waiting = field::map(field::map(cs, "state"), "waiting");
    if (field::text(cs, "name") == container && !waiting.empty()) {
      reason = field::text(waiting, "reason", reason);
    }
  }
  return api_err(
      400, "BadRequest",
      "container \"" + container + "\" in pod \"" + t.name + "\" is waiting to start: " + reason);
}

// A non-negative integer parameter; nullopt when absent, -1 when malformed.
std::optional<long long> number_param(const ApiRequest& req, const char* name) {
  if (!req.has_param(name)) return std::nullopt;
  const auto text = req.param(name);
  char* end = nullptr;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || value < 0) return -1;
  return value;
}

// Where the stream starts and how much it may send (tailLines, limitBytes).
Status read_window(const ApiRequest& req, LogSpec& spec) {
  const auto tail_lines = number_param(req, "tailLines");
  const auto limit_bytes = number_param(req, "limitBytes");
  for (const auto& [name, value] :
       {std::pair{"tailLines", tail_lines}, std::pair{"limitBytes", limit_bytes}}) {
    if (value && *value < 0) {
      return api_err(400, "BadRequest", std::string(name) + " must be a non-negative integer");
    }
  }
  if (tail_lines) spec.offset = tail_offset(spec.path, static_cast<std::size_t>(*tail_lines));
  if (limit_bytes) spec.left = static_cast<std::uint64_t>(*limit_bytes);
  return {};
}

}  // namespace

http::Response logs(Context& ctx, const Target& t, const ApiRequest& req) {
  auto pod = ctx.store.get(t.rt, t.ns, t.name);
  if (!pod.ok()) return error_response(pod.error());
  auto container = container_of(*pod, t, req);
  if (!container.ok()) return error_response(container.error());
  if (ctx.kubelet == nullptr) {
    return error_response(api_err(400, "BadRequest",
                                  "pods are not run by this server; start kopiur-localkube with "
                                  "--run-jobs to run them and keep their logs"));
  }
  LogSpec spec;
  spec.path = ctx.kubelet->log_file(*pod, *container);
  if (!std::filesystem::exists(spec.path)) {
    return error_response(waiting_to_start(*pod, t, *container));
  }
  if (auto window = read_window(req, spec); !window.ok()) return error_response(window.error());
  spec.pod_uid = field::text(field::map(*pod, "metadata"), "uid");
  spec.container = *container;
  spec.follow = req.param("follow") == "true";
  http::Response response;
  response.content_type = "text/plain";
  response.stream = [&ctx, spec = std::move(spec)](std::shared_ptr<http::StreamWriter> writer) {
    ctx.streams.add(std::make_unique<LogStream>(ctx.store, *ctx.kubelet, spec, std::move(writer)));
  };
  return response;
}

}  // namespace kopiur::localkube::detail
