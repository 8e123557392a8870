// What the manager accepts. The manager owns the client set: admission
// (max-connections), who is connected under which name, direct messages and the
// shutdown sequence. It walks no client list on a timer: liveness is the transport's
// (net/ws_session pings only a silent client and drops it after pong-timeout), and a
// dropped client leaves the set when its connection actor ends.
//
//   register_client -> std::string   the user name (wanted, or a new guest-XXXX);
//                                    error chat_errc::at_capacity / shutting_down
//   client_renamed                   the connection now speaks as `user`
//   direct_message  -> size_t        connections reached (on every node); error
//                                    no_such_user
//   direct_frame    -> size_t        a direct message built on another node: to this
//                                    node's connections of `user`
//   server_stats    -> stats_reply   /healthz
//   shutdown_server -> bool          closes every client with 1001; answers once all left
#pragma once

#include "messages/connection_contract.hpp"

#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <string>

namespace chat {

struct register_client {
  connection_actor conn;
  std::string wanted_name; // empty: the manager picks a guest name
};
struct client_renamed {
  connection_actor conn;
  std::string user;
};
struct direct_message {
  std::string from;
  std::string to;
  std::string message;
};
struct direct_frame {
  std::string user;
  frame text;
};
struct server_stats {};
struct stats_reply {
  std::size_t connections = 0;
  bool shutting_down = false;
};
struct shutdown_server {};

using manager_actor =
    caf::typed_actor<caf::replies_to<register_client>::with<std::string>,
                     caf::reacts_to<client_renamed>,
                     caf::replies_to<direct_message>::with<std::size_t>,
                     caf::replies_to<direct_frame>::with<std::size_t>,
                     caf::replies_to<server_stats>::with<stats_reply>,
                     caf::replies_to<shutdown_server>::with<bool>>;

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, register_client& x) {
  return f(caf::meta::type_name("register_client"), x.conn, x.wanted_name);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, client_renamed& x) {
  return f(caf::meta::type_name("client_renamed"), x.conn, x.user);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, direct_message& x) {
  return f(caf::meta::type_name("direct_message"), x.from, x.to, x.message);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, direct_frame& x) {
  return f(caf::meta::type_name("direct_frame"), x.user, x.text);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, server_stats&) {
  return f(caf::meta::type_name("server_stats"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stats_reply& x) {
  return f(caf::meta::type_name("stats_reply"), x.connections, x.shutting_down);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shutdown_server&) {
  return f(caf::meta::type_name("shutdown_server"));
}

} // namespace chat
