// unused_loopback_port(): a TCP port on 127.0.0.1 that was free a moment ago (bound to port 0,
// read back, closed), for a test that needs a port nothing listens on or a server that binds it
// right after. 0 when no socket could be bound.
#pragma once

#include <cstdint>

namespace kopiur::test {

std::uint16_t unused_loopback_port();

}  // namespace kopiur::test
