// Watches: a chunked stream of JSON lines ({"type": ADDED|MODIFIED|DELETED|BOOKMARK|ERROR,
// "object": ...}) from a resourceVersion on (or the current objects first, as ADDED, without
// one), filtered by namespace, name and selectors, ending after timeoutSeconds (or earlier, at
// random, under the test fault Options::max_watch_duration). A version older than the kept
// history gets one ERROR event with a 410 Expired Status, as from a real server.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <random>
#include <utility>

#include "localkube/detail/handlers.hpp"
#include "localkube/detail/stream_pump.hpp"

namespace kopiur::localkube::detail {
namespace {

using Clock = std::chrono::steady_clock;

// A random number in [0, below): where Options::max_watch_duration cuts a watch.
std::int64_t watch_jitter(std::int64_t below) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_int_distribution<std::int64_t>(0, below - 1)(rng);
}

struct WatchSpec {
  Target target;
  LabelSelector labels;
  FieldSelector fields;
  bool bookmarks = false;
  std::chrono::milliseconds bookmark_interval{5000};
  Clock::time_point deadline;
  bool abort_at_deadline = false;  // the test fault Options::abort_cut_watches
};

class WatchStream final : public StreamPump::Stream {
 public:
  WatchStream(LocalStore& store, WatchSpec spec, std::shared_ptr<http::StreamWriter> writer,
              std::int64_t cursor, bool initial, bool gone)
      : store_(store),
        spec_(std::move(spec)),
        writer_(std::move(writer)),
        cursor_(cursor),
        initial_pending_(initial),
        gone_(gone),
        next_bookmark_(Clock::now() + spec_.bookmark_interval) {}

  std::optional<Clock::time_point> pump() override {
    if (!writer_->open()) return std::nullopt;
    if (gone_) return expire();
    if (store_.is_shut_down()) return finish();
    if (initial_pending_ && !send_initial()) return std::nullopt;
    const auto snapshot_rv = store_.current_rv();
    auto events = store_.events_since(spec_.target.rt.key(), cursor_);
    if (!events) return expire();  // fell out of the history
    for (const auto& event : *events) {
      cursor_ = std::max(cursor_, event.rv);
      if (!matches(*event.object)) continue;
      // The line is serialised once in the store and shared by every watcher (a converted view,
      // events.k8s.io's Events, serialises its own).
      const bool sent = served_converted(spec_.target) ? send(event.type, *event.object)
                                                       : writer_->write(*event.line);
      if (!sent) return std::nullopt;
    }
    cursor_ = std::max(cursor_, snapshot_rv);
    const auto now = Clock::now();
    if (spec_.bookmarks && now >= next_bookmark_) {
      next_bookmark_ = now + spec_.bookmark_interval;
      if (!send("BOOKMARK", {{"kind", spec_.target.served.kind},
                             {"apiVersion", spec_.target.served.api_version()},
                             {"metadata", {{"resourceVersion", std::to_string(cursor_)}}}})) {
        return std::nullopt;
      }
    }
    if (now >= spec_.deadline) {
      if (spec_.abort_at_deadline) {
        writer_->abort();
        return std::nullopt;
      }
      return finish();
    }
    return spec_.bookmarks ? std::min(spec_.deadline, next_bookmark_) : spec_.deadline;
  }

  void close() override { writer_->close(); }

 private:
  bool matches(const json& object) const {
    const auto& meta = object["metadata"];
    if (!spec_.target.ns.empty() && meta.value("namespace", "") != spec_.target.ns) return false;
    if (!spec_.target.name.empty() && meta.value("name", "") != spec_.target.name) return false;
    return spec_.labels.matches(object) && spec_.fields.matches(object);
  }

  bool send(const std::string& type, const json& object) {
    const json served =
        type == "ERROR" || type == "BOOKMARK" ? object : to_served(spec_.target, object);
    return writer_->write(to_text({{"type", type}, {"object", served}}) + "\n");
  }

  bool send_initial() {
    initial_pending_ = false;
    auto [objects, rv] = store_.list_shared(spec_.target.rt, spec_.target.ns);
    for (const auto& stored : objects) {
      if (!matches(*stored.object)) continue;
      const bool sent =
          served_converted(spec_.target)
              ? send("ADDED", *stored.object)
              : writer_->write("{\"type\":\"ADDED\",\"object\":" + *stored.text + "}\n");
      if (!sent) return false;
    }
    cursor_ = rv;
    return true;
  }

  std::optional<Clock::time_point> expire() {
    send("ERROR", status_body(api_err(410, "Expired",
                                      "too old resource version: " + std::to_string(cursor_))));
    return finish();
  }

  std::optional<Clock::time_point> finish() {
    writer_->close();
    return std::nullopt;
  }

  LocalStore& store_;
  const WatchSpec spec_;
  std::shared_ptr<http::StreamWriter> writer_;
  std::int64_t cursor_;
  bool initial_pending_;
  bool gone_;
  Clock::time_point next_bookmark_;
};

}  // namespace

http::Response watch(Context& ctx, const Target& t, const ApiRequest& req, LabelSelector labels,
                     FieldSelector fields) {
  std::int64_t cursor = 0;
  bool initial = false;
  bool gone = false;
  const auto rv_text = req.param("resourceVersion");
  if (rv_text.empty() || rv_text == "0") {
    initial = true;
  } else {
    char* end = nullptr;
    cursor = std::strtoll(rv_text.c_str(), &end, 10);
    if (*end != '\0' || cursor < 0) {
      return error_response(
          api_err(400, "BadRequest", "invalid resourceVersion \"" + rv_text + "\""));
    }
    gone = !ctx.store.events_since(t.rt.key(), cursor).has_value();
  }
  long timeout = 1800;
  if (req.has_param("timeoutSeconds")) {
    timeout = std::strtol(req.param("timeoutSeconds").c_str(), nullptr, 10);
    if (timeout <= 0) timeout = 1800;
  }
  auto deadline = Clock::now() + std::chrono::seconds(timeout);
  bool abort_at_deadline = false;
  if (const auto cap = ctx.options.max_watch_duration.count(); cap > 0) {
    // A test fault: the watch is cut at a random time in [cap/2, cap].
    const auto cut = Clock::now() + std::chrono::milliseconds(cap / 2 + watch_jitter(cap / 2 + 1));
    abort_at_deadline = ctx.options.abort_cut_watches && cut < deadline;
    deadline = std::min(deadline, cut);
  }
  WatchSpec spec{t,
                 std::move(labels),
                 std::move(fields),
                 req.param("allowWatchBookmarks") == "true",
                 ctx.options.bookmark_interval,
                 deadline,
                 abort_at_deadline};
  http::Response response;
  response.content_type = "application/json";
  response.stream = [&store = ctx.store, &pump = ctx.streams, spec = std::move(spec), cursor,
                     initial, gone](std::shared_ptr<http::StreamWriter> writer) {
    pump.add(std::make_unique<WatchStream>(store, spec, std::move(writer), cursor, initial, gone));
  };
  return response;
}

}  // namespace kopiur::localkube::detail
