// The router dispatches client events to the actor that owns their state: room events
// to the room actor (which it creates, bounds by max-rooms and releases), direct
// messages to the manager.
//
//   (join_atom, string room, string user, actor conn, string old_room)
//       -> (string error, actor room, vector<string> users)   [error empty on success]
//   (publish_atom, string room, string user, string text, string ref, actor sender,
//    int64 received_ns)
//   (publish_atom, string room, string user, string text, int64 received_ns)
//       -> (string error, string new_message payload)   [the HTTP API; creates the room]
//   (rename_atom, string room, actor conn, string user)
//   (users_atom, string room) -> vector<string>
//   (history_atom, string room, uint64 before, size_t limit) -> frame   [before 0: newest]
//   (direct_atom, ...) forwarded to the manager unchanged
//   (count_atom) -> size_t rooms
#pragma once

#include "actors/limits.hpp"

#include <caf/fwd.hpp>

namespace chat {

caf::actor spawn_router(caf::actor_system& sys, const chat_limits& limits,
                        caf::actor manager);

} // namespace chat
