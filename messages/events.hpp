// What a client may say: one struct per client -> server event of PROTOCOL.md.
#pragma once

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

using event_body =
    std::variant<send_message, change_room, send_direct, history_query, list_users>;

struct client_event {
  std::string ref; // empty: no ack wanted
  event_body body;
};

// Error codes of the `error` event.
namespace errc {
constexpr const char* bad_json = "bad_json";
constexpr const char* unknown_type = "unknown_type";
constexpr const char* invalid_payload = "invalid_payload";
constexpr const char* unsupported_frame = "unsupported_frame";
constexpr const char* rate_limited = "rate_limited";
constexpr const char* no_such_user = "no_such_user";
} // namespace errc

struct protocol_error {
  std::string code;
  std::string message;
  std::string ref;
};

// A message as a room stores and broadcasts it.
struct chat_message {
  std::uint64_t id = 0;
  std::string room;
  std::string message;
  std::string from;
  std::string sent;
};

} // namespace chat
