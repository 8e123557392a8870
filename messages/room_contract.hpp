// What a room actor accepts. A room owns its members (and the CAF group it broadcasts
// to), its presence, its message sequence and its recent history. A connection gets its
// room's handle on join and then publishes, renames and asks straight at the room.
//
//   join_room     -> joined        add a member (the router sends it, after any leave)
//   leave_room    -> bool          remove a member; false when it was none
//   publish       -> chat_message  number, stamp, broadcast and keep one message; a
//                                  plain send when the sender wants no ack
//   rename_member                  user_left for the old name, user_joined for the new
//   list_members  -> vector<string>  the room's users, sorted, at most presence-max-members
//   read_history  -> vector<chat_message>  oldest first
#pragma once

#include "messages/chat_message.hpp"
#include "messages/connection_contract.hpp"

#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace chat {

struct join_room {
  connection_actor conn;
  std::string user;
};
struct joined;
struct leave_room {
  connection_actor conn;
};
struct publish {
  std::string user;
  std::string text;
  std::int64_t received_ns = 0; // when the server read it (the broadcast histogram)
};
struct rename_member {
  connection_actor conn;
  std::string user;
};
struct list_members {};
struct read_history {
  std::uint64_t before = 0; // only messages with a smaller id; 0: up to the newest
  std::size_t limit = 0;
};

using room_actor =
    caf::typed_actor<caf::replies_to<publish>::with<chat_message>, // first: the hot path
                     caf::replies_to<join_room>::with<joined>,
                     caf::replies_to<leave_room>::with<bool>,
                     caf::reacts_to<rename_member>,
                     caf::replies_to<list_members>::with<std::vector<std::string>>,
                     caf::replies_to<read_history>::with<std::vector<chat_message>>>;

// A member's welcome into a room: the room's handle and its users (the joiner included).
struct joined {
  std::string name;
  room_actor room;
  std::vector<std::string> users;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, join_room& x) {
  return f(caf::meta::type_name("join_room"), x.conn, x.user);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, joined& x) {
  return f(caf::meta::type_name("joined"), x.name, x.room, x.users);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, leave_room& x) {
  return f(caf::meta::type_name("leave_room"), x.conn);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, publish& x) {
  return f(caf::meta::type_name("publish"), x.user, x.text, x.received_ns);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rename_member& x) {
  return f(caf::meta::type_name("rename_member"), x.conn, x.user);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, list_members&) {
  return f(caf::meta::type_name("list_members"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, read_history& x) {
  return f(caf::meta::type_name("read_history"), x.before, x.limit);
}

} // namespace chat
