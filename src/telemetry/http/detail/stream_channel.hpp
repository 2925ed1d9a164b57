// StreamChannel: the queue between a streamed response's producer (any thread) and its
// connection (the event loop). The producer's write() never waits: it appends and, when the
// queue was empty, asks the connection to write once. The connection takes everything queued as
// one batch of chunks, so each event goes out as soon as the socket can take it. Over the byte
// bound the stream is dropped instead of growing (the client is not reading).
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>

#include "kopiur/telemetry/http/server.hpp"

namespace kopiur::telemetry::http::detail {

class StreamChannel final : public StreamWriter {
 public:
  // `wake` is called (at most once until the next take()) when there is something to write or
  // the stream changed state; it must not block and must not call back into the channel.
  StreamChannel(std::size_t max_queued_bytes, std::function<void()> wake);

  bool write(std::string chunk) override;
  void close() override;
  void abort() override;
  [[nodiscard]] bool open() const override;
  [[nodiscard]] std::size_t queued_bytes() const override;

  // The connection's side.
  struct Batch {
    std::string wire;         // chunk-framed bytes to write (may be empty)
    std::size_t payload = 0;  // the chunks' own bytes in `wire`, for written()
    bool last = false;        // `wire` ends with the last chunk: the response is complete
  };
  // Everything queued, framed as chunks; once the producer has closed and nothing is left, the
  // last chunk. Empty when nothing is queued.
  [[nodiscard]] Batch take();
  // `payload` bytes of a taken batch reached the socket.
  void written(std::size_t payload);
  // The connection ended (client gone, server stopping, write failed): no more chunks are
  // accepted and `wake` is never called again.
  void end();
  // Whether the stream was dropped for queuing more than the bound.
  [[nodiscard]] bool dropped() const;
  // Whether the producer aborted it: the connection is reset, not finished.
  [[nodiscard]] bool aborted() const;

 private:
  const std::size_t max_queued_bytes_;
  std::function<void()> wake_;
  mutable std::mutex mu_;
  std::deque<std::string> queue_;
  std::size_t queued_bytes_ = 0;  // queued plus taken and not yet written
  bool wake_pending_ = false;
  bool closed_ = false;  // the producer is done: the last chunk follows what is queued
  bool last_taken_ = false;
  bool ended_ = false;  // the connection is gone
  bool dropped_ = false;
  bool aborted_ = false;
};

}  // namespace kopiur::telemetry::http::detail
