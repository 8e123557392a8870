// The errors actors answer each other's requests with: CAF errors of category "chat",
// never free text. The actor that talks to the client turns them into PROTOCOL.md's
// codes and messages (e.g. too_many_rooms -> invalid_payload "too many rooms: ...").
#pragma once

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <cstdint>
#include <string>

namespace chat {

enum class chat_errc : std::uint8_t {
  too_many_rooms = 1, // max-rooms reached and no room is empty
  no_such_user,       // a direct message to a user with no connection
  at_capacity,        // max-connections reached
  shutting_down,      // the server no longer admits clients
  no_such_room,       // a room that does not exist (and was not to be created)
  no_such_node,       // a cluster node that is not (or no longer) up
  store_failed,       // the history store could not write (the message is not acked)
};

constexpr caf::atom_value chat_error_category = caf::atom("chat");

inline caf::error make_error(chat_errc code) {
  return {static_cast<std::uint8_t>(code), chat_error_category};
}

// "too_many_rooms", ...: for logs and CAF's error rendering.
std::string to_string(chat_errc code);

// What a client is told when a room cannot be opened (PROTOCOL.md: invalid_payload).
std::string too_many_rooms_message(std::size_t max_rooms);

} // namespace chat
