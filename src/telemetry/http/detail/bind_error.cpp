#include "telemetry/http/detail/bind_error.hpp"

#include <cerrno>
#include <memory>
#include <system_error>

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

namespace kopiur::telemetry::http::detail {
namespace {

struct AddrInfoDeleter {
  void operator()(addrinfo* ai) const noexcept { freeaddrinfo(ai); }
};
using AddrInfoPtr = std::unique_ptr<addrinfo, AddrInfoDeleter>;

int resolve(const HostPort& address, AddrInfoPtr& out) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* result = nullptr;
  const std::string port = std::to_string(address.port);
  const int rc = getaddrinfo(address.host.c_str(), port.c_str(), &hints, &result);
  out.reset(result);
  return rc;
}

std::string hint_for(int err) {
  switch (err) {
    case EADDRINUSE:
      return " (another process is listening there; stop it or choose another port)";
    case EACCES:
      return " (ports below 1024 need root or CAP_NET_BIND_SERVICE; choose a port >= 1024)";
    case EADDRNOTAVAIL:
      return " (the host is not an address of this machine; use 0.0.0.0 or a local address)";
    default:
      return {};
  }
}

}  // namespace

std::string check_resolvable(const HostPort& address) {
  AddrInfoPtr ai;
  const int rc = resolve(address, ai);
  if (rc == 0 && ai) return {};
  return "cannot resolve host '" + address.host + "': " + gai_strerror(rc) +
         " (use an IP address such as 0.0.0.0, 127.0.0.1 or [::1], or a resolvable name)";
}

std::string describe_bind_error(const HostPort& address, int err) {
  return "cannot bind " + format_host_port(address) + ": " + std::generic_category().message(err) +
         hint_for(err);
}

std::string explain_bind_failure(const HostPort& address) {
  const std::string where = "cannot bind " + format_host_port(address) + ": ";
  AddrInfoPtr ai;
  if (const int rc = resolve(address, ai); rc != 0 || !ai) {
    return where + "cannot resolve host: " + gai_strerror(rc);
  }
  int last_errno = 0;
  for (const addrinfo* p = ai.get(); p != nullptr; p = p->ai_next) {
    const int fd = socket(p->ai_family, p->ai_socktype, p->ai_protocol);
    if (fd < 0) {
      last_errno = errno;
      continue;
    }
    const int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    const int rc = bind(fd, p->ai_addr, p->ai_addrlen);
    const int bind_errno = errno;
    close(fd);
    if (rc == 0) return where + "the address was busy or unusable when the server tried it";
    last_errno = bind_errno;
  }
  return describe_bind_error(address, last_errno);
}

}  // namespace kopiur::telemetry::http::detail
