// The manager owns the client set: admission (max-connections), who is connected under
// which name, liveness (ping / pong-timeout), direct messages and the shutdown sequence.
//
//   (register_atom, actor conn, string wanted_name) -> (bool admitted, string user)
//   (rename_atom, actor conn, string user)
//   (pong_atom, actor conn)
//   (direct_atom, string from, string to, string message, string ref, actor sender)
//   (stats_atom) -> (size_t connections, bool shutting_down)
//   (shutdown_atom) -> bool: closes every client with 1001, answers once all have left
#pragma once

#include "actors/limits.hpp"

#include <caf/fwd.hpp>

namespace chat {

caf::actor spawn_manager(caf::actor_system& sys, const chat_limits& limits);

} // namespace chat
