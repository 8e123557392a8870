// What a client may say: one struct per client -> server event of PROTOCOL.md.
#pragma once

#include "messages/chat_message.hpp"
#include "messages/protocol_errors.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

namespace chat {

struct send_message {
  std::string message;
  std::string from; // empty: the client did not say
};

struct change_room {
  std::string name;
  std::optional<std::uint64_t> since; // resume: the last message id the client has
};

struct send_direct {
  std::string to;
  std::string message;
};

struct history_query {
  std::string room; // empty: the current room
  std::optional<std::uint64_t> before;
  std::size_t limit = 50;
};

struct list_users {
  std::string room; // empty: the current room
};

// A new token for the same user before the current one expires (authentication on).
struct refresh_token {
  std::string token;
};

using event_body = std::variant<send_message, change_room, send_direct, history_query,
                                list_users, refresh_token>;

struct client_event {
  std::string ref; // empty: no ack wanted
  event_body body;
};

} // namespace chat
