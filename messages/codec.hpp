// JSON <-> typed events. The only place that knows the wire format's field names.
#pragma once

#include "base/limits.hpp"
#include "messages/events.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace chat {

using decoded = std::variant<client_event, protocol_error>;

// Decodes one text frame. Never throws; a bad frame yields a protocol_error.
decoded decode(std::string_view text, const limits& lim);

// Decodes the payload of an event of `type` given on its own (the HTTP API's bodies).
decoded decode_payload(std::string_view type, std::string_view payload,
                       const limits& lim);

// The payload of an envelope built by the encoders below, as JSON text (HTTP API replies).
std::string payload_of(std::string_view envelope);

// The new_message payload alone.
std::string encode_message_payload(const chat_message& m);

// Server -> client events, each a complete envelope ready for the wire.
std::string encode_welcome(std::string_view user, std::string_view room,
                           std::string_view node, std::string_view sent);
std::string encode_new_message(const chat_message& m);
std::string encode_room_changed(std::string_view room,
                                const std::vector<std::string>& users);
// Who came and who went since the room's last presence_diff: applied to a users list as
// set operations (add joins, remove leaves), in any order and more than once alike.
std::string encode_presence_diff(std::string_view room,
                                 const std::vector<std::string>& joins,
                                 const std::vector<std::string>& leaves);
std::string encode_presence(std::string_view room, const std::vector<std::string>& users);
std::string encode_direct(std::string_view from, std::string_view to,
                          std::string_view message, std::string_view sent);
std::string encode_history(std::string_view room,
                           const std::vector<chat_message>& messages);
std::string encode_ack(std::string_view ref, std::uint64_t id, std::string_view room);
std::string encode_error(const protocol_error& e);

} // namespace chat
