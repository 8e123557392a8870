// One room: its members (the CAF group it broadcasts to), presence, the message
// sequence (ids, `sent` stamps) and recent history. Spawned and released by the router.
//
//   (join_atom, actor conn, string user) -> (string error, actor room, vector<string> users)
//   (leave_atom, actor conn) -> bool
//   (publish_atom, string room, string user, string text, string ref, actor sender,
//    int64 received_ns)     [received_ns feeds the broadcast-latency histogram]
//   (rename_atom, string room, actor conn, string user)
//   (users_atom, string room) -> vector<string>
//   (publish_atom, string room, string user, string text, int64 received_ns) -> string
//       [the HTTP API: answers with the new_message payload]
//   (history_atom, string room, uint64 before, size_t limit) -> frame
// It tells the router (leave_atom, string room) whenever a member goes.
#pragma once

#include "actors/limits.hpp"

#include <caf/fwd.hpp>
#include <string>

namespace chat {

caf::actor spawn_room(caf::actor_system& sys, std::string name, const chat_limits& limits,
                      caf::actor router);

} // namespace chat
