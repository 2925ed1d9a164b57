#include "telemetry/http/detail/connection_sweep.hpp"

#include <cstdlib>
#include <cstring>

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kopiur::telemetry::http::detail {
namespace {

bool is_wildcard(const std::string& host) {
  return host.empty() || host == "0.0.0.0" || host == "::" || host == "*";
}

// Whether `addr` is `host`:`port`. IPv4-mapped IPv6 addresses compare as their IPv4 form.
bool matches(const sockaddr_storage& addr, const std::string& host, std::uint16_t port) {
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    sockaddr_in v4;
    std::memcpy(&v4, &addr, sizeof(v4));
    if (ntohs(v4.sin_port) != port) return false;
    if (is_wildcard(host)) return true;
    inet_ntop(AF_INET, &v4.sin_addr, text, sizeof(text));
  } else if (addr.ss_family == AF_INET6) {
    sockaddr_in6 v6;
    std::memcpy(&v6, &addr, sizeof(v6));
    if (ntohs(v6.sin6_port) != port) return false;
    if (is_wildcard(host)) return true;
    if (IN6_IS_ADDR_V4MAPPED(&v6.sin6_addr)) {
      inet_ntop(AF_INET, &v6.sin6_addr.s6_addr[12], text, sizeof(text));
    } else {
      inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof(text));
    }
  } else {
    return false;
  }
  // A host name (e.g. "localhost") cannot be compared textually; the port alone decides then.
  in6_addr parsed{};
  const bool literal = inet_pton(AF_INET, host.c_str(), &parsed) == 1 ||
                       inet_pton(AF_INET6, host.c_str(), &parsed) == 1;
  return !literal || host == text;
}

// The peer's port, or -1.
int peer_port(int fd) {
  sockaddr_storage peer{};
  socklen_t len = sizeof(peer);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0) return -1;
  if (peer.ss_family == AF_INET) {
    sockaddr_in v4;
    std::memcpy(&v4, &peer, sizeof(v4));
    return ntohs(v4.sin_port);
  }
  if (peer.ss_family == AF_INET6) {
    sockaddr_in6 v6;
    std::memcpy(&v6, &peer, sizeof(v6));
    return ntohs(v6.sin6_port);
  }
  return -1;
}

// Whether `fd` is a connection accepted on host:port that is not serving a request.
bool is_idle_connection(int fd, const std::string& host, std::uint16_t port,
                        const std::function<bool(int peer_port)>& busy) {
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) return false;
  int listening = 0;
  socklen_t len = sizeof(listening);
  if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || listening != 0) {
    return false;
  }
  int type = 0;
  len = sizeof(type);
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM) return false;
  sockaddr_storage local{};
  len = sizeof(local);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0) return false;
  if (!matches(local, host, port)) return false;
  const int peer = peer_port(fd);
  if (peer < 0) return false;
  try {
    return !(busy && busy(peer));
  } catch (...) {
    return false;
  }
}

#if defined(__SANITIZE_THREAD__)
// The workers close their sockets while we look at the descriptor table. That is by design and
// made safe by working on a dup() (below), but ThreadSanitizer models descriptors as memory and
// would report the dup() racing the close(); tell it to look away for the sweep only.
extern "C" void AnnotateIgnoreReadsBegin(const char* file, int line);
extern "C" void AnnotateIgnoreReadsEnd(const char* file, int line);
extern "C" void AnnotateIgnoreWritesBegin(const char* file, int line);
extern "C" void AnnotateIgnoreWritesEnd(const char* file, int line);
struct IgnoreFdRaces {
  IgnoreFdRaces() {
    AnnotateIgnoreReadsBegin(__FILE__, __LINE__);
    AnnotateIgnoreWritesBegin(__FILE__, __LINE__);
  }
  ~IgnoreFdRaces() {
    AnnotateIgnoreWritesEnd(__FILE__, __LINE__);
    AnnotateIgnoreReadsEnd(__FILE__, __LINE__);
  }
};
#else
struct IgnoreFdRaces {};
#endif

}  // namespace

int shut_down_reads_of_accepted(const std::string& host, std::uint16_t port,
                                const std::function<bool(int peer_port)>& busy) noexcept {
#ifdef __linux__
  [[maybe_unused]] const IgnoreFdRaces ignore_fd_races;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  const int dir_fd = dirfd(dir);
  int touched = 0;
  // readdir() is safe here: this DIR stream is ours alone.
  while (const dirent* entry = readdir(dir)) {  // NOLINT(concurrency-mt-unsafe)
    char* end = nullptr;
    const long fd_long = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0') continue;  // "." and ".."
    const int fd = static_cast<int>(fd_long);
    if (fd == dir_fd) continue;
    // A worker may close `fd` (and the number be reused) at any moment. A duplicate pins the
    // object behind it, so the checks and the shutdown apply to the same socket.
    const int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (own < 0) continue;
    if (is_idle_connection(own, host, port, busy) && shutdown(own, SHUT_RD) == 0) ++touched;
    close(own);
  }
  closedir(dir);
  return touched;
#else
  (void)host;
  (void)port;
  (void)busy;
  return 0;
#endif
}

}  // namespace kopiur::telemetry::http::detail
