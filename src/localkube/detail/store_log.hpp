// The local API server's write-ahead log and snapshot files (docs/kubernetes.md, "Persistence").
//
// StoreLog appends one framed record per write to DATA-DIR/state.log and makes it durable with
// group commit: a writer thread takes every record that arrived while the previous fdatasync ran
// and writes them with one more, so a write waits for at most two syncs however many clients
// write at once. A frame is a 4-byte length and a 4-byte CRC-32C (both little-endian) before the
// payload; a frame cut short by a crash, or whose checksum fails at the end of the file, is
// dropped on reading with a warning and truncated away before the next append, never misread.
//
// write_store_snapshot() writes the live state to state.json (through a temporary file, fsync and
// rename), after which StoreLog::drop_before() removes the records the snapshot covers.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "kopiur/support/json.hpp"

#include "localkube/detail/kube_types.hpp"

namespace kopiur::localkube::detail {

// CRC-32C (Castagnoli) of `data`, as the log's frames carry it.
std::uint32_t store_log_crc32c(std::string_view data);
// One frame: length, checksum, payload.
std::string store_log_frame(std::string_view payload);

// What reading a log found: the payloads of the whole frames, where the good part ends and, when
// a torn tail was dropped, a warning saying what and where.
struct StoreLogContent {
  std::vector<std::string> payloads;
  std::uint64_t good_bytes = 0;  // the length the file is truncated to before appending
  std::string warning;
};

class StoreLog {
 public:
  static constexpr std::string_view kHeader = "KPRLOG1\n";  // the first 8 bytes of every log

  // read(): the records of the log at `path` (none when it does not exist). An error when the
  // file is not a log, or when a damaged record is followed by intact ones (not a torn tail).
  static Result<StoreLogContent> read(const std::filesystem::path& path);
  // open(): truncates the file to `good_bytes` (or creates it) and starts the writer thread.
  static Result<std::unique_ptr<StoreLog>> open(const std::filesystem::path& path,
                                                std::uint64_t good_bytes);

  StoreLog(const StoreLog&) = delete;
  StoreLog& operator=(const StoreLog&) = delete;
  ~StoreLog();  // writes and syncs what is pending, then stops the writer

  // append(): queues one record; the answer is its ticket for wait(). Records reach the file in
  // the order they were appended.
  std::uint64_t append(std::string_view payload);
  std::uint64_t last_ticket() const;
  // wait(): blocks until the record with `ticket` (and every earlier one) is synced to disk, or
  // the log failed (the error names the file and the reason).
  Status wait(std::uint64_t ticket);
  // failure(): the error that stopped the log, if any (no write is accepted after it).
  std::optional<Error> failure() const;
  // size(): the log's length in bytes counting the records still queued.
  std::uint64_t size() const;
  // drop_before(): after a snapshot covering every record before `offset` (a size() taken
  // between two appends), rewrites the log to keep only what follows, and waits for it.
  Status drop_before(std::uint64_t offset);

 private:
  StoreLog(std::filesystem::path path, int fd, std::uint64_t size);
  void run();
  Status write_batch(const std::string& bytes);
  Status rewrite_from(std::uint64_t offset);

  const std::filesystem::path path_;
  int fd_;
  mutable std::mutex mu_;
  std::condition_variable work_;    // the writer waits for records or a drop request
  std::condition_variable synced_;  // appenders wait for their ticket
  std::string pending_;             // framed records not yet written
  std::uint64_t appended_ = 0;      // tickets handed out
  std::uint64_t durable_ = 0;       // tickets synced
  std::uint64_t size_ = 0;          // file length plus pending_
  std::uint64_t drop_offset_ = 0;   // a requested drop_before(), 0 for none
  std::uint64_t drops_done_ = 0;    // completed drop_before() calls
  std::optional<Error> failure_;
  bool stop_ = false;
  std::thread writer_;
};

// One stored object as a snapshot lists it: its key and its JSON text.
using SnapshotEntry = std::pair<std::string, std::shared_ptr<const std::string>>;

// write_store_snapshot(): DATA-DIR/state.json holding `objects` at resourceVersion `rv`, written
// through state.json.tmp, fsynced and renamed, so a crash leaves either the old or the new one.
// Returns the file's size.
Result<std::uint64_t> write_store_snapshot(const std::filesystem::path& dir, std::int64_t rv,
                                           const std::vector<SnapshotEntry>& objects);

}  // namespace kopiur::localkube::detail
