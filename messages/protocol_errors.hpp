// The codes of the `error` event (PROTOCOL.md, "Errors"): defined here once; the codec
// writes their names and /metrics counts them by the same table.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace chat {

enum class protocol_code : std::uint8_t {
  bad_json,          // not JSON, not an object, or no string `type`
  unknown_type,      // `type` names no client event
  invalid_payload,   // a field missing, of the wrong type, empty or too long
  unsupported_frame, // a binary frame
  rate_limited,      // over rate-limit (token bucket, burst rate-burst)
  no_such_user,      // send_direct to a user with no connection
  history_truncated, // a resume (`since`) missed more than resume-max messages
  forbidden,         // a room the token's `rooms` claim does not allow; a refresh for
                     // another user
};

constexpr std::array<std::string_view, 8> protocol_code_names{
    "bad_json",     "unknown_type", "invalid_payload",   "unsupported_frame",
    "rate_limited", "no_such_user", "history_truncated", "forbidden"};

constexpr std::size_t protocol_code_count = protocol_code_names.size();

constexpr std::string_view to_string(protocol_code code) {
  return protocol_code_names[static_cast<std::size_t>(code)];
}

// One `error` event for the client: its code, a human-readable message, the echoed ref.
struct protocol_error {
  protocol_code code;
  std::string message;
  std::string ref;
};

} // namespace chat
