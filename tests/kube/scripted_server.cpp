#include "kube/scripted_server.hpp"

#include <cstdio>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace kopiur::kube::testing {
namespace {

int listen_on_loopback(std::uint16_t& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(fd, 16) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    return -1;
  }
  port = ntohs(address.sin_port);
  return fd;
}

}  // namespace

std::string ScriptedConnection::read_head() {
  char chunk[4096];
  while (buffer_.find("\r\n\r\n") == std::string::npos) {
    const auto n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) return "";
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
  const auto end = buffer_.find("\r\n\r\n") + 4;
  std::string head = buffer_.substr(0, end);
  buffer_.erase(0, end);
  return head;
}

bool ScriptedConnection::read_body(std::size_t size) {
  char chunk[4096];
  while (buffer_.size() < size) {
    const auto n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
  buffer_.erase(0, size);
  return true;
}

bool ScriptedConnection::write(std::string_view bytes) {
  while (!bytes.empty()) {
    const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool ScriptedConnection::write_chunk(std::string_view bytes) {
  char size[32];
  std::snprintf(size, sizeof(size), "%zx\r\n", bytes.size());
  return write(size) && write(bytes) && write("\r\n");
}

ScriptedServer::ScriptedServer(Script script) : script_(std::move(script)) {
  listener_ = listen_on_loopback(port_);
  if (listener_ >= 0) acceptor_ = std::thread([this] { accept_loop(); });
}

ScriptedServer::~ScriptedServer() {
  stopping_ = true;
  if (listener_ >= 0) ::shutdown(listener_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  {
    std::lock_guard lock(mu_);
    for (const int fd : connections_) ::shutdown(fd, SHUT_RDWR);
  }
  for (auto& thread : threads_) thread.join();
  for (const int fd : connections_) ::close(fd);
  if (listener_ >= 0) ::close(listener_);
}

void ScriptedServer::accept_loop() {
  while (!stopping_) {
    const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    ++accepted_;
    std::lock_guard lock(mu_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    connections_.push_back(fd);
    threads_.emplace_back([this, fd] {
      ScriptedConnection connection(fd);
      script_(connection);
      ::shutdown(fd, SHUT_WR);  // the script is done: the client sees the end
    });
  }
}

std::uint16_t free_port() {
  std::uint16_t port = 0;
  const int fd = listen_on_loopback(port);
  if (fd >= 0) ::close(fd);
  return port;
}

}  // namespace kopiur::kube::testing
