#include "localkube/detail/store_log.hpp"

#include <array>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kopiur::localkube::detail {
namespace {

constexpr std::size_t kStoreLogFrameHeader = 8;  // length + CRC-32C
// A record larger than this is not a record: the length field is garbage from a torn write.
constexpr std::uint32_t kStoreLogMaxRecord = 256U << 20;

constexpr std::array<std::uint32_t, 256> store_log_crc_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1U) != 0 ? 0x82F63B78U : 0U);
    table[i] = crc;
  }
  return table;
}

constexpr auto kStoreLogCrcTable = store_log_crc_table();

void store_log_put_u32(std::string& out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xffU));
}

std::uint32_t store_log_get_u32(std::string_view in) {
  std::uint32_t value = 0;
  for (int i = 3; i >= 0; --i) {
    value = (value << 8) | static_cast<unsigned char>(in[static_cast<std::size_t>(i)]);
  }
  return value;
}

Error store_log_io_error(const std::string& step, int err) {
  return Error{step, 500, "InternalError", std::strerror(err)};
}

Status store_log_write_all(int fd, std::string_view bytes, const std::string& what) {
  while (!bytes.empty()) {
    const auto n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return store_log_io_error("write " + what, errno);
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Status store_log_sync_dir(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return store_log_io_error("open " + dir.string(), errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return store_log_io_error("fsync " + dir.string(), err);
  return {};
}

// The file's bytes from `from` on.
Result<std::string> store_log_read_file(const std::filesystem::path& path, std::uint64_t from = 0) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return store_log_io_error("open " + path.string(), errno);
  if (::lseek(fd, static_cast<off_t>(from), SEEK_SET) < 0) {
    const int err = errno;
    ::close(fd);
    return store_log_io_error("seek " + path.string(), err);
  }
  std::string out;
  std::array<char, 1 << 16> buf{};
  while (true) {
    const auto n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return store_log_io_error("read " + path.string(), err);
    }
    if (n == 0) break;
    out.append(buf.data(), static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

// The payload of a whole frame with a good checksum at `offset`, or nullopt.
std::optional<std::string_view> store_log_frame_at(std::string_view data, std::size_t offset) {
  if (data.size() - offset < kStoreLogFrameHeader) return std::nullopt;
  const auto length = store_log_get_u32(data.substr(offset, 4));
  const auto crc = store_log_get_u32(data.substr(offset + 4, 4));
  if (length > kStoreLogMaxRecord || data.size() - offset - kStoreLogFrameHeader < length) {
    return std::nullopt;
  }
  const auto payload = data.substr(offset + kStoreLogFrameHeader, length);
  if (store_log_crc32c(payload) != crc) return std::nullopt;
  return payload;
}

}  // namespace

std::uint32_t store_log_crc32c(std::string_view data) {
  std::uint32_t crc = 0xffffffffU;
  for (const char c : data) {
    crc = kStoreLogCrcTable[(crc ^ static_cast<unsigned char>(c)) & 0xffU] ^ (crc >> 8);
  }
  return ~crc;
}

std::string store_log_frame(std::string_view payload) {
  std::string out;
  out.reserve(kStoreLogFrameHeader + payload.size());
  store_log_put_u32(out, static_cast<std::uint32_t>(payload.size()));
  store_log_put_u32(out, store_log_crc32c(payload));
  out.append(payload);
  return out;
}

Result<StoreLogContent> StoreLog::read(const std::filesystem::path& path) {
  StoreLogContent content;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return content;
  auto data = store_log_read_file(path);
  if (!data.ok()) return data.error();
  const std::string_view all = *data;
  if (all.size() < kHeader.size()) {
    // Created but its header never synced: nothing was acknowledged from it.
    if (!all.empty()) content.warning = path.string() + ": dropped a header cut short by a crash";
    return content;
  }
  if (all.substr(0, kHeader.size()) != kHeader) {
    return Error{"load " + path.string(), 0, "",
                 "not a kopiur-localkube log (bad header); move it away to start from the "
                 "snapshot alone"};
  }
  std::size_t offset = kHeader.size();
  while (offset < all.size()) {
    auto payload = store_log_frame_at(all, offset);
    if (!payload) break;
    content.payloads.emplace_back(*payload);
    offset += kStoreLogFrameHeader + payload->size();
  }
  content.good_bytes = offset;
  if (offset == all.size()) return content;
  // A bad frame. At the end of the file it is a write a crash cut short (never acknowledged);
  // followed by an intact frame it is damage in the middle, which dropping would hide.
  if (all.size() - offset >= kStoreLogFrameHeader) {
    const auto length = store_log_get_u32(all.substr(offset, 4));
    const auto next = offset + kStoreLogFrameHeader + length;
    if (length <= kStoreLogMaxRecord && next < all.size() && store_log_frame_at(all, next)) {
      return Error{"load " + path.string(), 0, "",
                   "damaged record at byte " + std::to_string(offset) +
                       " followed by intact ones; restore the file or move it away"};
    }
  }
  content.warning = path.string() + ": dropped " + std::to_string(all.size() - offset) +
                    " bytes at byte " + std::to_string(offset) +
                    " (a record cut short by a crash; it was never acknowledged)";
  return content;
}

Result<std::unique_ptr<StoreLog>> StoreLog::open(const std::filesystem::path& path,
                                                 std::uint64_t good_bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return store_log_io_error("open " + path.string(), errno);
  auto fail = [&](const std::string& step) {
    const int err = errno;
    ::close(fd);
    return store_log_io_error(step + " " + path.string(), err);
  };
  if (good_bytes < kHeader.size()) {
    if (::ftruncate(fd, 0) != 0) return fail("truncate");
    if (auto w = store_log_write_all(fd, kHeader, path.string()); !w.ok()) {
      ::close(fd);
      return w.error();
    }
    good_bytes = kHeader.size();
  } else if (::ftruncate(fd, static_cast<off_t>(good_bytes)) != 0) {
    return fail("truncate");
  }
  if (::lseek(fd, static_cast<off_t>(good_bytes), SEEK_SET) < 0) return fail("seek");
  if (::fsync(fd) != 0) return fail("fsync");
  if (auto synced = store_log_sync_dir(path.parent_path()); !synced.ok()) {
    ::close(fd);
    return synced.error();
  }
  return std::unique_ptr<StoreLog>(new StoreLog(path, fd, good_bytes));
}

StoreLog::StoreLog(std::filesystem::path path, int fd, std::uint64_t size)
    : path_(std::move(path)), fd_(fd), size_(size), writer_([this] { run(); }) {}

StoreLog::~StoreLog() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  work_.notify_all();
  writer_.join();
  ::close(fd_);
}

std::uint64_t StoreLog::append(std::string_view payload) {
  const auto frame = store_log_frame(payload);
  std::lock_guard lock(mu_);
  pending_ += frame;
  size_ += frame.size();
  work_.notify_one();
  return ++appended_;
}

std::uint64_t StoreLog::last_ticket() const {
  std::lock_guard lock(mu_);
  return appended_;
}

Status StoreLog::wait(std::uint64_t ticket) {
  std::unique_lock lock(mu_);
  synced_.wait(lock, [&] { return durable_ >= ticket || failure_.has_value(); });
  if (durable_ >= ticket) return {};
  return *failure_;
}

std::optional<Error> StoreLog::failure() const {
  std::lock_guard lock(mu_);
  return failure_;
}

std::uint64_t StoreLog::size() const {
  std::lock_guard lock(mu_);
  return size_;
}

Status StoreLog::drop_before(std::uint64_t offset) {
  std::unique_lock lock(mu_);
  const auto target = drops_done_ + 1;
  drop_offset_ = offset;
  work_.notify_one();
  synced_.wait(lock, [&] { return drops_done_ >= target || failure_.has_value(); });
  if (drops_done_ >= target) return {};
  return *failure_;
}

// The writer: whatever arrived while the last sync ran is written and synced together. A drop
// requested by compaction goes before the next batch once the file holds everything before its
// offset, so a steady stream of writes cannot hold it off.
void StoreLog::run() {
  std::unique_lock lock(mu_);
  while (true) {
    work_.wait(lock, [&] { return stop_ || !pending_.empty() || drop_offset_ != 0; });
    if (failure_) {
      if (stop_) return;
      pending_.clear();
      drop_offset_ = 0;
      continue;
    }
    const auto in_file = size_ - pending_.size();
    if (drop_offset_ != 0 && in_file >= drop_offset_) {
      const auto offset = drop_offset_;
      lock.unlock();
      auto rewritten = rewrite_from(offset);
      lock.lock();
      drop_offset_ = 0;
      if (rewritten.ok()) {
        size_ -= offset - kHeader.size();
        ++drops_done_;
      } else {
        failure_ = rewritten.error();
      }
      synced_.notify_all();
      continue;
    }
    if (!pending_.empty()) {
      std::string batch;
      batch.swap(pending_);
      const auto ticket = appended_;
      lock.unlock();
      auto written = write_batch(batch);
      lock.lock();
      if (written.ok()) {
        durable_ = ticket;
      } else {
        failure_ = written.error();
      }
      synced_.notify_all();
      continue;
    }
    if (stop_) return;
  }
}

Status StoreLog::write_batch(const std::string& bytes) {
  if (auto w = store_log_write_all(fd_, bytes, path_.string()); !w.ok()) return w;
  if (::fdatasync(fd_) != 0) return store_log_io_error("fdatasync " + path_.string(), errno);
  return {};
}

// Copies the records from `offset` on into a new log and renames it over the old one. Runs on
// the writer thread between batches, so nothing is appended meanwhile.
Status StoreLog::rewrite_from(std::uint64_t offset) {
  if (offset < kHeader.size()) {
    return Error{"compact " + path_.string(), 500, "InternalError",
                 "offset " + std::to_string(offset) + " inside the header"};
  }
  auto data = store_log_read_file(path_, offset);
  if (!data.ok()) return data.error();
  auto tmp = path_;
  tmp += ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return store_log_io_error("open " + tmp.string(), errno);
  auto written = store_log_write_all(fd, kHeader, tmp.string());
  if (written.ok()) {
    written = store_log_write_all(fd, *data, tmp.string());
  }
  if (written.ok() && ::fsync(fd) != 0)
    written = store_log_io_error("fsync " + tmp.string(), errno);
  if (!written.ok()) {
    ::close(fd);
    return written;
  }
  if (::rename(tmp.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    ::close(fd);
    return store_log_io_error("rename " + tmp.string(), err);
  }
  ::close(fd_);
  fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  ::close(fd);
  if (fd_ < 0) return store_log_io_error("open " + path_.string(), errno);
  return store_log_sync_dir(path_.parent_path());
}

Result<std::uint64_t> write_store_snapshot(const std::filesystem::path& dir, std::int64_t rv,
                                           const std::vector<SnapshotEntry>& objects) {
  const auto path = dir / "state.json";
  auto tmp = path;
  tmp += ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return store_log_io_error("open " + tmp.string(), errno);
  // One object a line: still the JSON document earlier versions wrote (and read).
  std::string buf = "{\"format\":2,\"resourceVersion\":" + std::to_string(rv) + ",\"objects\":[";
  std::uint64_t total = 0;
  Status written;
  bool first = true;
  for (const auto& [key, text] : objects) {
    buf += first ? "\n" : ",\n";
    first = false;
    buf += "{\"key\":";
    buf += nlohmann::json(key).dump();
    buf += ",\"object\":";
    buf += *text;
    buf += '}';
    if (buf.size() >= (1U << 20)) {
      total += buf.size();
      written = store_log_write_all(fd, buf, tmp.string());
      buf.clear();
      if (!written.ok()) break;
    }
  }
  buf += "\n]}\n";
  total += buf.size();
  if (written.ok()) written = store_log_write_all(fd, buf, tmp.string());
  if (written.ok() && ::fsync(fd) != 0)
    written = store_log_io_error("fsync " + tmp.string(), errno);
  ::close(fd);
  if (!written.ok()) return written.error();
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return store_log_io_error("rename " + tmp.string(), errno);
  }
  if (auto synced = store_log_sync_dir(dir); !synced.ok()) return synced.error();
  return total;
}

}  // namespace kopiur::localkube::detail
