// The two transports a port can speak, and the few places where they differ. A plain
// port hands its sessions a tcp::socket; a TLS port an OpenSSL stream over Beast's
// tcp_stream, whose timer bounds the TLS handshake the way it bounds an HTTP request.
// Only net/*.cpp include this.
#pragma once

#include "net/beast.hpp"

#include <boost/asio/ssl.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <type_traits>

namespace chat::net {

namespace ssl = asio::ssl;

using tls_stream = ssl::stream<beast::tcp_stream>;

template <class Stream> constexpr bool is_tls = std::is_same_v<Stream, tls_stream>;

// The TCP socket at the bottom of a transport: to cut it, or to ask for the peer.
inline tcp::socket& socket_of(tcp::socket& s) {
  return s;
}
inline tcp::socket& socket_of(beast::tcp_stream& s) {
  return s.socket();
}

} // namespace chat::net
