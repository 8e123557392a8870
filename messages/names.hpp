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

// 1..32 characters (code points) of valid UTF-8, no control characters. A name goes out
// in text frames (welcome, presence_diff, ...), which must be UTF-8 (RFC 6455 8.1); one from
// the ?name= query is percent-decoded bytes, not yet UTF-8.
bool valid_user_name(std::string_view name);

// Number of UTF-8 code points in already validated UTF-8 text.
std::size_t utf8_length(std::string_view text);

// Whether `text` is UTF-8 (RFC 3629: shortest form, no surrogates, at most U+10FFFF).
bool valid_utf8(std::string_view text);

} // namespace chat
