// The server's TLS settings: its certificate and key, loaded once at start
// (load_tls_context in net/server.hpp) and shared by every session of a TLS port.
#pragma once

#include "net/transport.hpp"

namespace chat::net {

struct tls_context {
  ssl::context ssl{ssl::context::tls_server};
};

} // namespace chat::net
