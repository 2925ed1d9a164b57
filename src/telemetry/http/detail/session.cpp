#include "telemetry/http/detail/session.hpp"

#include <algorithm>
#include <array>
#include <iterator>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "telemetry/http/detail/ascii.hpp"
#include "telemetry/http/detail/stream_channel.hpp"
#include "telemetry/http/detail/wire_answer.hpp"

namespace kopiur::telemetry::http::detail {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using Clock = std::chrono::steady_clock;
using BeastRequest = bhttp::request<bhttp::string_body>;
using StreamHead = bhttp::response<bhttp::empty_body>;
using TcpStream = beast::basic_stream<asio::ip::tcp, LoopExecutor>;
using LoopTimer = asio::basic_waitable_timer<Clock, asio::wait_traits<Clock>, LoopExecutor>;

// How long a stream's client has at stop() to take the rest and the last chunk.
constexpr std::chrono::seconds kStreamStopGrace{2};

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes a path; a malformed escape is kept as written.
std::string decode_path(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      const int hi = hex_digit(in[i + 1]);
      const int lo = hex_digit(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(in[i]);
  }
  return out;
}

Request to_request(BeastRequest&& in) {
  Request out;
  out.method = std::string(in.method_string());
  const std::string_view target = in.target();
  const auto q = target.find('?');
  out.path = decode_path(target.substr(0, q));
  if (q != std::string_view::npos) out.query = std::string(target.substr(q + 1));
  for (const auto& field : in) {
    out.headers.emplace(ascii_lower(field.name_string()), std::string(field.value()));
  }
  out.body = std::move(in.body());
  return out;
}

// The head of a streamed response: chunked, uncompressed, and the connection closes after it.
// The handler's fields are checked as a whole answer's are (wire_answer.hpp).
StreamHead stream_head(const Response& response) {
  StreamHead out;
  out.version(11);
  out.result(static_cast<unsigned>(response.status));
  for (const auto& [name, value] : response.headers) {
    if (handler_field_sendable(name, value)) out.insert(name, value);
  }
  out.set(bhttp::field::content_type, response.content_type);
  out.chunked(true);
  out.keep_alive(false);
  return out;
}

template <class Stream>
class Session final : public SessionBase {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, TcpStream>;

  template <class... Args>
  explicit Session(ServerCore& core, Args&&... args)
      : core_(core),
        options_(core.options()),
        stream_(std::forward<Args>(args)...),
        stop_timer_(stream_.get_executor()) {}
  ~Session() override {
    if (channel_) channel_->end();
    core_.forget(*this);
  }

  void start() {
    if constexpr (kTls) {
      set_phase(Phase::kHandshake);
      tcp().expires_after(options_.handshake_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = self()](beast::error_code ec) { self->on_handshake(ec); });
    } else {
      read_head();
    }
  }

  void close_soon() override {
    asio::post(stream_.get_executor(), [self = self()] {
      if (self->streaming_) {
        // The stream ends cleanly: what is queued, then the last chunk. A client that does not
        // read cannot take it: it gets a moment, then the connection closes, so stop() never
        // waits a whole write_timeout for it.
        self->channel_->close();
        self->pump_stream();
        self->stop_timer_.expires_after(kStreamStopGrace);
        self->stop_timer_.async_wait([self](beast::error_code ec) {
          if (!ec && self->streaming_) self->end_stream({});
        });
      } else if (self->busy_) {
        self->close_after_write_ = true;
        self->close_requested_ = true;
      } else {
        self->close();
      }
    });
  }

 private:
  std::shared_ptr<Session> self() { return std::static_pointer_cast<Session>(shared_from_this()); }
  TcpStream& tcp() { return beast::get_lowest_layer(stream_); }

  void on_handshake(beast::error_code ec) {
    if (ec) {
      core_.count(ec == beast::error::timeout ? Refusal::kHandshakeTimeout
                                              : Refusal::kHandshakeFailure);
      return close();
    }
    read_head();
  }

  // Waits for the first byte of the next request for up to keep_alive_timeout.
  void wait_idle() {
    if (buffer_.size() > 0) return read_head();  // pipelined: the next request is here
    set_phase(Phase::kIdle);
    tcp().expires_after(options_.keep_alive_timeout);
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = self()](beast::error_code ec, std::size_t n) {
                              if (ec) return self->close();
                              self->buffer_.commit(n);
                              self->read_head();
                            });
  }

  void read_head() {
    set_phase(Phase::kHead);
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(options_.max_head_bytes, std::numeric_limits<std::uint32_t>::max())));
    parser_->body_limit(std::max(options_.max_body_bytes, options_.max_get_body_bytes));
    tcp().expires_after(options_.head_timeout);
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        [self = self()](beast::error_code ec, std::size_t) { self->on_head(ec); });
  }

  void on_head(beast::error_code ec) {
    if (ec) return on_read_error(ec, Refusal::kHeadTimeout);
    const BeastRequest& head = parser_->get();
    if (static_cast<std::size_t>(std::distance(head.begin(), head.end())) >
        options_.max_header_count) {
      return refuse(
          Refusal::kHeadTooLarge, 431,
          "too many header fields (at most " + std::to_string(options_.max_header_count) + ")\n");
    }
    if (head.method_string().size() + head.target().size() + 10 > options_.max_request_line_bytes) {
      return refuse(Refusal::kRequestLineTooLong, 414,
                    "request line longer than " + std::to_string(options_.max_request_line_bytes) +
                        " bytes\n");
    }
    const bool bodiless = head.method() == bhttp::verb::get || head.method() == bhttp::verb::head;
    const std::size_t limit = bodiless ? options_.max_get_body_bytes : options_.max_body_bytes;
    if (const auto length = parser_->content_length(); length && *length > limit) {
      return refuse_body(limit);
    }
    parser_->body_limit(limit);
    if (parser_->is_done()) return dispatch();
    if (beast::iequals(head[bhttp::field::expect], "100-continue")) return send_continue();
    start_body();
  }

  // The client waits for this before sending its body (and would otherwise wait a second or so).
  void send_continue() {
    auto interim =
        std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, 11);
    tcp().expires_after(options_.write_timeout);
    bhttp::async_write(stream_, *interim,
                       [self = self(), interim](beast::error_code ec, std::size_t) {
                         if (ec) return self->close();
                         self->start_body();
                       });
  }

  void start_body() {
    set_phase(Phase::kBody);
    body_start_ = Clock::now();
    body_read_ = 0;
    read_body();
  }

  // The body must keep up with min_body_bytes_per_second after body_grace: each read's deadline
  // is the time by which the bytes so far (plus one) were due.
  void read_body() {
    const auto rate = std::max<std::size_t>(1, options_.min_body_bytes_per_second);
    const auto due = std::chrono::milliseconds((body_read_ + 1) * 1000 / rate);
    tcp().expires_at(body_start_ + options_.body_grace + due);
    bhttp::async_read_some(stream_, buffer_, *parser_,
                           [self = self()](beast::error_code ec, std::size_t n) {
                             self->body_read_ += n;
                             if (ec) return self->on_read_error(ec, Refusal::kBodyTimeout);
                             if (self->parser_->is_done()) return self->dispatch();
                             self->read_body();
                           });
  }

  void on_read_error(beast::error_code ec, Refusal on_timeout) {
    if (ec == beast::error::timeout) {
      core_.count(on_timeout);
      return close();
    }
    if (ec == bhttp::error::header_limit) {
      // Beast applies the limit to the request line first; until that is complete, the
      // message has no target yet.
      if (parser_->get().target().empty()) {
        return refuse(Refusal::kRequestLineTooLong, 414,
                      "request line longer than " +
                          std::to_string(options_.max_request_line_bytes) + " bytes\n");
      }
      return refuse(
          Refusal::kHeadTooLarge, 431,
          "request head larger than " + std::to_string(options_.max_head_bytes) + " bytes\n");
    }
    if (ec == bhttp::error::body_limit) {
      const auto& head = parser_->get();
      const bool bodiless = head.method() == bhttp::verb::get || head.method() == bhttp::verb::head;
      return refuse_body(bodiless ? options_.max_get_body_bytes : options_.max_body_bytes);
    }
    // A parse error is the client's fault and gets a 400; end of stream, resets and aborts end
    // the connection quietly.
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
        ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
      return refuse(Refusal::kBadRequest, 400, "malformed request: " + ec.message() + "\n");
    }
    close();
  }

  void refuse_body(std::size_t limit) {
    if (options_.on_body_too_large) {
      const std::string_view target = parser_->get().target();
      options_.on_body_too_large(target.substr(0, target.find('?')));
    }
    refuse(Refusal::kBodyTooLarge, 413,
           "request body larger than " + std::to_string(limit) + " bytes\n");
  }

  void refuse(Refusal why, int status, std::string text) {
    core_.count(why);
    close_after_write_ = true;
    write(std::make_shared<WireAnswer>(wire_text(status, std::move(text))));
  }

  // Runs the handler inline when its route asks for it (Execution), else on the worker pool with
  // the answer coming back to this connection's event loop.
  void dispatch() {
    set_phase(Phase::kBusy);
    busy_ = true;
    BeastRequest message = parser_->release();
    parser_.reset();
    const bool keep_alive = message.keep_alive();
    http10_ = message.version() == 10;
    auto request = std::make_shared<Request>(to_request(std::move(message)));
    if (!keep_alive) close_after_write_ = true;
    if (core_.runs_inline(*request)) {
      if (auto response = answer(*request)) write(response);
      return;
    }
    asio::post(core_.pool(), [self = self(), request,
                              guard = asio::make_work_guard(stream_.get_executor())] {
      if (auto response = self->answer(*request)) {
        asio::post(self->stream_.get_executor(), [self, response] { self->write(response); });
      }
    });
  }

  // The handler's answer on the wire, or null when it streams (open_stream took it over).
  std::shared_ptr<WireAnswer> answer(const Request& request) {
    try {
      Response answer = core_.handle(request);
      if (answer.stream && request.method != "HEAD") {
        open_stream(std::move(answer));
        return nullptr;
      }
      answer.stream = nullptr;
      return std::make_shared<WireAnswer>(wire_answer(options_, request, std::move(answer)));
    } catch (...) {
      return std::make_shared<WireAnswer>(wire_text(500, "internal error\n"));
    }
  }

  // On the handler's thread: hands the producer its writer, then lets the event loop send the head.
  // Chunks written meanwhile wait in the channel.
  void open_stream(Response answer) {
    std::weak_ptr<Session> weak = self();
    auto channel = std::make_shared<StreamChannel>(options_.max_stream_buffer_bytes,
                                                   [weak, executor = stream_.get_executor()] {
                                                     asio::post(executor, [weak] {
                                                       if (auto s = weak.lock()) s->pump_stream();
                                                     });
                                                   });
    auto head = std::make_shared<StreamHead>(stream_head(answer));
    try {
      answer.stream(channel);
    } catch (...) {
      channel->close();  // what the producer queued, then the end
    }
    asio::post(stream_.get_executor(),
               [self = self(), head, channel] { self->start_stream(head, channel); });
  }

  void start_stream(const std::shared_ptr<StreamHead>& head,
                    const std::shared_ptr<StreamChannel>& channel) {
    channel_ = channel;
    streaming_ = true;
    if (core_.stopping() || close_requested_) channel->close();
    auto serializer = std::make_shared<bhttp::response_serializer<bhttp::empty_body>>(*head);
    tcp().expires_after(options_.write_timeout);
    bhttp::async_write_header(stream_, *serializer,
                              [self = self(), head, serializer](beast::error_code ec, std::size_t) {
                                if (ec) return self->end_stream(ec);
                                self->head_written_ = true;
                                self->watch_peer();
                                self->pump_stream();
                              });
  }

  // A streaming client sends nothing more: readable means it closed (or misbehaves), and either
  // way the stream ends now rather than at its next event.
  void watch_peer() {
    tcp().socket().async_wait(asio::socket_base::wait_read, [self = self()](beast::error_code ec) {
      if (!self->streaming_ || ec == asio::error::operation_aborted) return;
      self->end_stream({});
    });
  }

  // Writes whatever the producer queued as one batch of chunks; called on the event loop whenever
  // the channel wakes the connection and after each write.
  void pump_stream() {
    if (!streaming_ || !head_written_) return;
    // An abort does not wait for a write in flight (a client that does not read would hold it
    // until write_timeout): the write's handler then sees the closed socket.
    if (channel_->aborted()) return reset_stream();
    if (stream_writing_) return;
    if (channel_->dropped()) {
      core_.count(Refusal::kStreamDropped);
      return end_stream({});
    }
    auto batch = std::make_shared<StreamChannel::Batch>(channel_->take());
    if (batch->wire.empty()) return;
    stream_writing_ = true;
    tcp().expires_after(options_.write_timeout);
    asio::async_write(stream_, asio::buffer(batch->wire),
                      [self = self(), batch](beast::error_code ec, std::size_t) {
                        self->stream_writing_ = false;
                        if (ec) return self->end_stream(ec);
                        self->channel_->written(batch->payload);
                        if (!batch->last) return self->pump_stream();
                        self->leave_stream();
                        beast::error_code ignored;
                        self->tcp().socket().cancel(ignored);  // the peer watch
                        self->finish();
                      });
  }

  // The producer cut the stream: the socket closes with a reset (SO_LINGER 0), so the client
  // gets ECONNRESET in the middle of the body rather than an orderly end.
  void reset_stream() {
    beast::error_code ignored;
    tcp().socket().set_option(asio::socket_base::linger(true, 0), ignored);
    leave_stream();
    set_phase(Phase::kClosing);
    tcp().close();  // no shutdown first: that would send an orderly FIN
  }

  void end_stream(beast::error_code ec) {
    if (ec == beast::error::timeout) core_.count(Refusal::kWriteTimeout);
    leave_stream();
    close();
  }

  // The stream is over on this connection, however it ended: the producer's writer closes and
  // the stop() grace timer is no longer needed.
  void leave_stream() {
    streaming_ = false;
    busy_ = false;
    if (channel_) channel_->end();
    stop_timer_.cancel();
  }

  void write(std::shared_ptr<WireAnswer> response) {
    set_phase(Phase::kBusy);
    busy_ = true;
    if (core_.stopping()) close_after_write_ = true;
    end_head(response->head, close_after_write_, http10_);
    tcp().expires_after(options_.write_timeout);
    const std::array<asio::const_buffer, 2> wire{asio::buffer(response->head),
                                                 asio::buffer(response->body)};
    asio::async_write(stream_, wire, [self = self(), response](beast::error_code ec, std::size_t) {
      self->busy_ = false;
      if (ec) {
        if (ec == beast::error::timeout) {
          self->core_.count(Refusal::kWriteTimeout);
        }
        return self->close();
      }
      if (self->close_after_write_ || self->core_.stopping()) {
        return self->finish();
      }
      self->wait_idle();
    });
  }

  // Ends a connection after its last answer. Plain TCP: half-close and drain what the client
  // still sends for a moment, so its unread request bytes do not turn into a reset that would
  // destroy the answer before it is read. TLS: close_notify, briefly.
  void finish() {
    set_phase(Phase::kClosing);
    tcp().expires_after(std::chrono::seconds(2));
    if constexpr (kTls) {
      stream_.async_shutdown([self = self()](beast::error_code) { self->close(); });
    } else {
      beast::error_code ignored;
      tcp().socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
      drain();
    }
  }

  void drain() {
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(16384),
                            [self = self()](beast::error_code ec, std::size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > (1u << 20)) return self->close();
                              self->drain();
                            });
  }

  void close() {
    set_phase(Phase::kClosing);
    beast::error_code ignored;
    tcp().socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    tcp().close();
  }

  ServerCore& core_;
  const ServerOptions& options_;
  Stream stream_;
  LoopTimer stop_timer_;  // bounds a stream's clean end at stop()
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Clock::time_point body_start_;
  std::size_t body_read_ = 0;
  std::size_t drained_ = 0;
  bool busy_ = false;
  bool http10_ = false;
  std::shared_ptr<StreamChannel> channel_;  // set while a streamed response is sent
  bool streaming_ = false;
  bool close_requested_ = false;  // close_soon() came while the handler ran
  bool head_written_ = false;
  bool stream_writing_ = false;
  bool close_after_write_ = false;
};

template <class Stream, class... Args>
void launch(ServerCore& core, Args&&... args) {
  auto session = std::make_shared<Session<Stream>>(core, std::forward<Args>(args)...);
  if (!core.admit(session)) return;  // the socket closes with the session
  session->start();
}

}  // namespace

void serve_connection(LoopSocket socket, ServerCore& core, asio::ssl::context* tls) {
  beast::error_code ignored;
  socket.set_option(asio::ip::tcp::no_delay(true), ignored);
  if (tls != nullptr) {
    launch<beast::ssl_stream<TcpStream>>(core, TcpStream(std::move(socket)), *tls);
  } else {
    launch<TcpStream>(core, std::move(socket));
  }
}

}  // namespace kopiur::telemetry::http::detail
