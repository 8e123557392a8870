// A chat message as a room numbers, stores and broadcasts it (the new_message payload).
#pragma once

#include <caf/meta/type_name.hpp>
#include <cstdint>
#include <string>

namespace chat {

struct chat_message {
  std::uint64_t id = 0; // the room's sequence number
  std::string room;
  std::string message;
  std::string from;
  std::string sent; // RFC 3339, stamped by the room
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, chat_message& x) {
  return f(caf::meta::type_name("chat_message"), x.id, x.room, x.message, x.from, x.sent);
}

} // namespace chat
