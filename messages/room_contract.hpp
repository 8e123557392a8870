// What a room actor accepts. A room owns its members (and the feed it puts each one's
// frames into, messages/feed.hpp), its presence, its message sequence and its recent
// history. A connection gets its room's handle on join and then publishes, renames and
// asks straight at the room.
//
//   join_room     -> joined        add a member (the router sends it, after any leave);
//                                  the answer carries what it missed: the newest
//                                  join-history messages, or those after `since`
//   leave_room    -> bool          remove a member; false when it was none
//   publish       -> chat_message  number, stamp, broadcast and keep one message; a
//                                  plain send when the sender wants no ack
//   rename_member                  the old name leaves, the new one joins (presence_diff)
//   list_members  -> vector<string>  the room's users, sorted, at most presence-max-members
//   read_history  -> vector<chat_message>  oldest first
//
// In a cluster one copy of each room, on the node that rendezvous hashing picks over
// the live nodes (actors/placement.hpp), is its home: it numbers the room's messages and
// keeps its presence. The copies on other nodes are replicas: they hold their local
// members, forward publish/list_members/read_history to the home and get its frames.
//
//   subscribe_replica   -> vector<string>  a replica with local members, its users
//   unsubscribe_replica                    the replica's last member left
//   presence_change                        a user's first (+1) or last (-1) connection
//                                          on that node came or went
//   replicated_frame                       home -> replica: one frame for its members
//                                          (a new message travels as the message, and
//                                          the replica encodes and stores it)
//   catch_up            -> joined          a replica's member joins: the users and what
//                                          it missed, as of the home's answer
//   sync_room           -> room_snapshot   a (new) home asks each copy what it knows
//   cluster_view                           the cluster actor: the live nodes changed
//   follow_home                            a replica's own timer: find its home again
//   flush_presence                         the home's own timer: one presence_diff for
//                                          every change since the last (presence-interval)
#pragma once

#include "messages/chat_message.hpp"
#include "messages/connection_contract.hpp"
#include "messages/feed.hpp"

#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace chat {

// What a joiner missed: resume: the messages after `since`; else the newest
// join-history ones. And whether it wants the room's users: room_changed lists them,
// welcome does not (a storm of n connects would build n lists of up to n names).
struct catch_up {
  bool resume = false;
  std::uint64_t since = 0;
  bool users = true;
};
struct join_room {
  connection_actor conn;
  std::string user;
  catch_up missed;
  member_feed feed;
};
struct joined;
struct leave_room {
  connection_actor conn;
};
struct publish {
  std::string user;
  std::string text;
  std::int64_t received_ns = 0; // when the server read it (the broadcast histogram)
  std::string via;              // the node a replica forwarded it from; empty: local
};
struct rename_member {
  connection_actor conn;
  std::string user;
};
struct list_members {};
// A user's connections in one copy of the room.
struct user_count {
  std::string user;
  std::uint32_t connections = 0;
};
struct subscribe_replica;
struct unsubscribe_replica {
  std::string node;
};
struct presence_change {
  std::string node;
  std::string user;
  std::int32_t delta = 0; // +1: first connection of `user` there; -1: its last went
};
struct replicated_frame {
  frame text;                      // a presence_diff; empty for a message
  chat_message message;            // a new message (id > 0)
  std::uint64_t id = 0;            // the message's id; 0 for presence
  std::vector<std::string> joins;  // a presence_diff's users, for the replica's own
  std::vector<std::string> leaves; // record of what its members were told
};
struct sync_room {
  std::string node; // who asks
};
struct room_snapshot;
struct follow_home {};
struct flush_presence {};
// The live nodes, from the cluster actor; `version` grows with each change.
struct cluster_view {
  std::uint64_t version = 0;
  std::vector<std::string> nodes; // sorted names, this node included
};
struct read_history {
  std::uint64_t before = 0; // only messages with a smaller id; 0: up to the newest
  std::size_t limit = 0;
};

using room_actor = caf::typed_actor<
    caf::replies_to<publish>::with<chat_message>, // first: the hot path
    caf::replies_to<join_room>::with<joined>, caf::replies_to<leave_room>::with<bool>,
    caf::reacts_to<rename_member>,
    caf::replies_to<list_members>::with<std::vector<std::string>>,
    caf::replies_to<read_history>::with<std::vector<chat_message>>,
    caf::replies_to<subscribe_replica>::with<std::vector<std::string>>,
    caf::reacts_to<unsubscribe_replica>, caf::reacts_to<presence_change>,
    caf::reacts_to<replicated_frame>, caf::replies_to<sync_room>::with<room_snapshot>,
    caf::reacts_to<cluster_view>, caf::reacts_to<follow_home>,
    caf::reacts_to<flush_presence>, caf::replies_to<catch_up>::with<joined>>;

// What one copy of a room knows, for a home that takes over.
struct room_snapshot {
  std::string node;
  bool open = false;     // the room exists on that node
  bool was_home = false; // that copy was sequencing the room
  std::uint64_t last_id = 0;
  std::vector<user_count> users;     // its local members
  room_actor copy;                   // where its members' frames go
  std::vector<chat_message> history; // a copy that sequenced: its recent messages
};

struct subscribe_replica {
  std::string node;
  room_actor replica;            // where the home sends this node's frames
  std::vector<user_count> users; // its local members
  std::uint64_t last_id = 0;     // the last id it saw
};

// A member's welcome into a room: the room's handle and its users (the joiner
// included), then what it missed (oldest first) and how many older ones were left out.
struct joined {
  std::string name;
  room_actor room;
  std::vector<std::string> users;
  std::vector<chat_message> history;
  std::uint64_t skipped = 0;
  bool resumed = false; // it asked with `since`: the history event is sent even empty
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, join_room& x) {
  return f(caf::meta::type_name("join_room"), x.conn, x.user, x.missed, x.feed);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, catch_up& x) {
  return f(caf::meta::type_name("catch_up"), x.resume, x.since, x.users);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, joined& x) {
  return f(caf::meta::type_name("joined"), x.name, x.room, x.users, x.history, x.skipped,
           x.resumed);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, leave_room& x) {
  return f(caf::meta::type_name("leave_room"), x.conn);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, publish& x) {
  return f(caf::meta::type_name("publish"), x.user, x.text, x.received_ns, x.via);
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
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, user_count& x) {
  return f(caf::meta::type_name("user_count"), x.user, x.connections);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, subscribe_replica& x) {
  return f(caf::meta::type_name("subscribe_replica"), x.node, x.replica, x.users,
           x.last_id);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, unsubscribe_replica& x) {
  return f(caf::meta::type_name("unsubscribe_replica"), x.node);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, presence_change& x) {
  return f(caf::meta::type_name("presence_change"), x.node, x.user, x.delta);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, replicated_frame& x) {
  return f(caf::meta::type_name("replicated_frame"), x.text, x.message, x.id, x.joins,
           x.leaves);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, sync_room& x) {
  return f(caf::meta::type_name("sync_room"), x.node);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, room_snapshot& x) {
  return f(caf::meta::type_name("room_snapshot"), x.node, x.open, x.was_home, x.last_id,
           x.users, x.copy, x.history);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, follow_home&) {
  return f(caf::meta::type_name("follow_home"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, flush_presence&) {
  return f(caf::meta::type_name("flush_presence"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cluster_view& x) {
  return f(caf::meta::type_name("cluster_view"), x.version, x.nodes);
}

} // namespace chat
