// What the router accepts. The router owns the room table: it creates rooms, bounds
// them by max-rooms (releasing an empty one when it must) and moves connections between
// rooms. It is not on the path of chat messages.
//
//   join_request -> joined        leave `from` (if any), then join `room` (created when
//                                 needed); error chat_errc::too_many_rooms
//   find_room    -> room_actor    an existing room, or a new one when `create`;
//                                 error no_such_room / too_many_rooms
//   members_changed               a room lost a member (-1), or gained or lost a replica
//                                 on another node (+1/-1): its count drives release
//   count_rooms  -> size_t        rooms held (/healthz)
#pragma once

#include "messages/room_contract.hpp"

#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <string>

namespace chat {

struct join_request {
  std::string room;
  std::string user;
  connection_actor conn;
  room_actor from;  // the room the connection leaves; invalid for its first join
  catch_up missed;  // what the joiner asks to get of what it missed
  member_feed feed; // where the room puts the joiner's frames (messages/feed.hpp)
};
struct find_room {
  std::string room;
  bool create = false;
};
struct members_changed {
  std::string room;
  std::int32_t delta = 0;
};
struct count_rooms {};

using router_actor = caf::typed_actor<caf::replies_to<join_request>::with<joined>,
                                      caf::replies_to<find_room>::with<room_actor>,
                                      caf::reacts_to<members_changed>,
                                      caf::replies_to<count_rooms>::with<std::size_t>>;

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, join_request& x) {
  return f(caf::meta::type_name("join_request"), x.room, x.user, x.conn, x.from, x.missed,
           x.feed);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, find_room& x) {
  return f(caf::meta::type_name("find_room"), x.room, x.create);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, members_changed& x) {
  return f(caf::meta::type_name("members_changed"), x.room, x.delta);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, count_rooms&) {
  return f(caf::meta::type_name("count_rooms"));
}

} // namespace chat
