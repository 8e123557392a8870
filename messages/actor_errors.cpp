#include "messages/actor_errors.hpp"

namespace chat {

std::string to_string(chat_errc code) {
  switch (code) {
  case chat_errc::too_many_rooms:
    return "too_many_rooms";
  case chat_errc::no_such_user:
    return "no_such_user";
  case chat_errc::at_capacity:
    return "at_capacity";
  case chat_errc::shutting_down:
    return "shutting_down";
  case chat_errc::no_such_room:
    return "no_such_room";
  case chat_errc::no_such_node:
    return "no_such_node";
  case chat_errc::store_failed:
    return "store_failed";
  }
  return "unknown chat error " + std::to_string(static_cast<int>(code));
}

std::string too_many_rooms_message(std::size_t max_rooms) {
  return "too many rooms: the server holds at most " + std::to_string(max_rooms) +
         " rooms and none is empty";
}

} // namespace chat
