// Rules for the names a client may choose: rooms and users.
#pragma once

#include <cstddef>
#include <string_view>

namespace chat {

constexpr std::size_t max_room_name = 64;
constexpr std::size_t max_user_name = 32;
constexpr std::size_t max_ref = 64;

// Every connection starts here; it always exists, whatever max-rooms says.
constexpr const char* first_room = "general";

// 1..64 characters of [A-Za-z0-9_.-].
bool valid_room_name(std::string_view name);

// 1..32 characters (code points), no control characters.
bool valid_user_name(std::string_view name);

// Number of UTF-8 code points in already validated UTF-8 text.
std::size_t utf8_length(std::string_view text);

} // namespace chat
