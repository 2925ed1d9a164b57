#include "telemetry/http/raw_client.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

namespace kopiur::telemetry::http::testing {
namespace {

int connect_loopback(std::uint16_t port, int receive_buffer = 0) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  if (receive_buffer > 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

std::string RawResponse::header(const std::string& lower_name) const {
  const auto it = headers.find(lower_name);
  return it == headers.end() ? std::string{} : it->second;
}

std::size_t RawResponse::count(const std::string& lower_name) const {
  return headers.count(lower_name);
}

std::string exchange(std::uint16_t port, std::string_view request, bool half_close) {
  const int fd = connect_loopback(port);
  if (fd < 0) return {};
  std::size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may close early on a request it rejects
    sent += static_cast<std::size_t>(n);
  }
  if (half_close) shutdown(fd, SHUT_WR);
  std::string out;
  char buf[16384];
  while (true) {
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  close(fd);
  return out;
}

std::optional<RawResponse> parse_response(const std::string& raw) {
  const auto head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos || !raw.starts_with("HTTP/1.1 ")) return std::nullopt;
  RawResponse r;
  r.status = std::atoi(raw.c_str() + 9);
  std::size_t line_start = raw.find("\r\n") + 2;
  while (line_start < head_end) {
    const auto line_end = raw.find("\r\n", line_start);
    const std::string line = raw.substr(line_start, line_end - line_start);
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      r.headers.emplace(lower(line.substr(0, colon)), value);
    }
    line_start = line_end + 2;
  }
  r.body = raw.substr(head_end + 4);
  return r;
}

std::string make_request(std::string_view method, std::string_view path,
                         std::string_view extra_headers, std::string_view body) {
  std::string req;
  req.append(method).append(" ").append(path).append(" HTTP/1.1\r\n");
  req.append("Host: 127.0.0.1\r\nConnection: close\r\n");
  if (!body.empty()) req.append("Content-Length: " + std::to_string(body.size()) + "\r\n");
  req.append(extra_headers).append("\r\n").append(body);
  return req;
}

RawResponse send(std::uint16_t port, std::string_view method, std::string_view path,
                 std::string_view extra_headers, std::string_view body) {
  return parse_response(exchange(port, make_request(method, path, extra_headers, body)))
      .value_or(RawResponse{});
}

std::optional<std::string> gunzip(std::string_view data) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return std::nullopt;  // gzip wrapper only
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[16384];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof(buf) - zs.avail_out);
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) return std::nullopt;
  return out;
}

RawConnection::RawConnection(std::uint16_t port, int receive_buffer)
    : fd_(connect_loopback(port, receive_buffer)) {}

RawConnection::~RawConnection() {
  if (fd_ >= 0) close(fd_);
}

bool RawConnection::send(std::string_view bytes) {
  if (fd_ < 0) return false;
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

bool RawConnection::receive_until(std::chrono::steady_clock::time_point deadline) {
  if (fd_ < 0 || peer_closed_) return false;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  pollfd p{fd_, POLLIN, 0};
  // A passed deadline still looks once, without waiting.
  if (poll(&p, 1, static_cast<int>(std::max<std::int64_t>(0, left.count()))) <= 0) return false;
  char buf[16384];
  const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
  if (n <= 0) {
    peer_closed_ = true;
    peer_reset_ = n < 0 && errno == ECONNRESET;
    return false;
  }
  pending_.append(buf, static_cast<std::size_t>(n));
  return true;
}

std::vector<RawResponse> RawConnection::read_responses(std::size_t count,
                                                       std::chrono::milliseconds timeout,
                                                       bool head) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<RawResponse> out;
  while (out.size() < count) {
    const auto head_end = pending_.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      auto parsed = parse_response(pending_.substr(0, head_end + 4));
      if (!parsed) break;
      const std::string length = parsed->header("content-length");
      const std::size_t body = head || length.empty() ? 0 : std::stoul(length);
      if (pending_.size() >= head_end + 4 + body) {
        parsed->body = pending_.substr(head_end + 4, body);
        pending_.erase(0, head_end + 4 + body);
        out.push_back(std::move(*parsed));
        continue;
      }
    }
    if (!receive_until(deadline)) break;
  }
  return out;
}

bool RawConnection::wait_closed(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!peer_closed_) {
    if (!receive_until(deadline) && !peer_closed_) return false;
  }
  return true;
}

bool RawConnection::read_until(std::string_view needle, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // After the first search, only what a receive added (and the needle's length before it) can
  // hold a new match: a stream of megabytes is searched once, not once per recv().
  std::size_t from = 0;
  while (pending_.find(needle, from) == std::string::npos) {
    from = pending_.size() >= needle.size() ? pending_.size() - needle.size() + 1 : 0;
    if (!receive_until(deadline)) return pending_.find(needle, from) != std::string::npos;
  }
  return true;
}

bool can_connect(std::uint16_t port) {
  const int fd = connect_loopback(port);
  if (fd < 0) return false;
  close(fd);
  return true;
}

}  // namespace kopiur::telemetry::http::testing
