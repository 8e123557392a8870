// What the history actor accepts: the node's store of room messages (store/history_db).
// It is local to its node and runs on a thread of its own (SQLite blocks); nothing here
// crosses nodes, so these types are not announced.
//
//   store_message -> uint64       keep one message; the answer (its id) comes once the
//                                 batch it went into has committed (group commit). A
//                                 plain send when nobody waits (a replica's copy).
//   load_room     -> loaded_room  at a room's start: the highest id it may have used and
//                                 its newest messages
//   reserve_ids   -> uint64       record durably that the room may use ids up to `upto`
//   read_messages -> history_page the newest `limit` messages with after < id < before
#pragma once

#include "messages/chat_message.hpp"

#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace chat {

struct store_message {
  chat_message message;
};
struct load_room {
  std::string room;
  std::size_t recent = 0; // how many of the newest messages to return
};
struct loaded_room {
  std::uint64_t last_used = 0; // the highest id stored or reserved
  std::vector<chat_message> recent;
  bool complete = false; // `recent` holds every stored message of the room
};
struct reserve_ids {
  std::string room;
  std::uint64_t upto = 0;
};
struct read_messages {
  std::string room;
  std::uint64_t after = 0;
  std::uint64_t before = 0; // 0: no upper bound
  std::size_t limit = 0;
};
struct history_page {
  std::vector<chat_message> messages; // oldest first
  std::uint64_t skipped = 0;          // older messages of the range left out
};

using history_actor =
    caf::typed_actor<caf::replies_to<store_message>::with<std::uint64_t>,
                     caf::replies_to<load_room>::with<loaded_room>,
                     caf::replies_to<reserve_ids>::with<std::uint64_t>,
                     caf::replies_to<read_messages>::with<history_page>>;

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, store_message& x) {
  return f(caf::meta::type_name("store_message"), x.message);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, load_room& x) {
  return f(caf::meta::type_name("load_room"), x.room, x.recent);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, loaded_room& x) {
  return f(caf::meta::type_name("loaded_room"), x.last_used, x.recent, x.complete);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, reserve_ids& x) {
  return f(caf::meta::type_name("reserve_ids"), x.room, x.upto);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, read_messages& x) {
  return f(caf::meta::type_name("read_messages"), x.room, x.after, x.before, x.limit);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, history_page& x) {
  return f(caf::meta::type_name("history_page"), x.messages, x.skipped);
}

} // namespace chat
