// What a connection actor accepts: the events of its transport, the manager's shutdown
// order, and frames to forward to its client. (Liveness, pings and pong-timeout, is the
// transport's own: net/ws_session pings a client only when it has been silent.)
//
//   from its transport (net/, through actors/client_events.hpp; never across nodes):
//     client_upgraded, client_text, client_binary, client_closed
//   from the manager: shutdown_client
//   from the manager: frame (a direct message; a room puts its frames into the
//   member's feed instead, messages/feed.hpp)
#pragma once

#include "messages/frame.hpp"

#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <string>

namespace chat {

// The WebSocket handshake completed: the client can be welcomed.
struct client_upgraded {};
// One text frame from the client, not yet decoded.
struct client_text {
  std::string text;
};
// A binary frame from the client (refused with unsupported_frame).
struct client_binary {};
// The socket is gone: the connection actor ends.
struct client_closed {};

// The server is shutting down: close with 1001, ahead of anything still queued.
struct shutdown_client {};
// The connection's own timer: its token expires now, unless a refresh replaced it
// (`generation` counts the tokens it had).
struct token_expiry {
  std::uint64_t generation = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, client_upgraded&) {
  return f(caf::meta::type_name("client_upgraded"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, client_text& x) {
  return f(caf::meta::type_name("client_text"), x.text);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, client_binary&) {
  return f(caf::meta::type_name("client_binary"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, client_closed&) {
  return f(caf::meta::type_name("client_closed"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shutdown_client&) {
  return f(caf::meta::type_name("shutdown_client"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, token_expiry& x) {
  return f(caf::meta::type_name("token_expiry"), x.generation);
}

using connection_actor =
    caf::typed_actor<caf::reacts_to<frame>, // direct messages
                     caf::reacts_to<client_upgraded>, caf::reacts_to<client_text>,
                     caf::reacts_to<client_binary>, caf::reacts_to<client_closed>,
                     caf::reacts_to<shutdown_client>, caf::reacts_to<token_expiry>>;

} // namespace chat
