// stall_clients: opens N connections to a server, sends half a request head on each and holds
// them, for the stalled-connection row of bench/http_compare.sh. Each connect has its own 2 s
// bound, so a server whose accept backlog is full (a fixed worker pool that stopped accepting)
// costs the run seconds, not minutes. Prints "opened K" once every connection is tried, then holds
// them until killed.
//
//   stall_clients 127.0.0.1 9102 1000
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

// A connected socket with half a request written, or -1.
int open_stalled(const sockaddr_in& address) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const auto* generic = reinterpret_cast<const sockaddr*>(&address);
  if (connect(fd, generic, sizeof address) != 0 && errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  pollfd p{fd, POLLOUT, 0};
  int error = 0;
  socklen_t length = sizeof error;
  if (poll(&p, 1, 2000) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0 ||
      error != 0) {
    close(fd);
    return -1;
  }
  const std::string half = "GET /metrics HTTP/1.1\r\nHost: x\r\n";
  if (send(fd, half.data(), half.size(), MSG_NOSIGNAL) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: stall_clients HOST PORT COUNT\n");
    return 2;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(std::atoi(argv[2])));
  if (inet_pton(AF_INET, argv[1], &address.sin_addr) != 1) {
    std::fprintf(stderr, "stall_clients: %s is not an IPv4 address\n", argv[1]);
    return 2;
  }
  const int count = std::atoi(argv[3]);
  std::vector<int> open;
  for (int i = 0; i < count; ++i) {
    const int fd = open_stalled(address);
    if (fd >= 0) open.push_back(fd);
  }
  std::printf("opened %zu\n", open.size());
  std::fflush(stdout);
  pause();
  return 0;
}
