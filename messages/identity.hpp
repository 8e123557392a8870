// Who a connection is when authentication is on (PROTOCOL.md, "Who a connection is"):
// the user a verified token names, the rooms it allows and when it expires; and why a
// token was refused (the 401's reason, counted in /metrics by the same table).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace chat {

// The `rooms` claim: room names, a trailing `*` allowing every name with that prefix
// ("team-*"). No claim: every room.
struct room_grants {
  bool limited = false;
  std::vector<std::string> patterns;

  bool allows(std::string_view room) const {
    if (!limited)
      return true;
    for (const auto& p : patterns) {
      if (!p.empty() && p.back() == '*') {
        if (room.substr(0, p.size() - 1) == std::string_view{p}.substr(0, p.size() - 1))
          return true;
      } else if (room == p) {
        return true;
      }
    }
    return false;
  }
};

struct identity {
  std::string user;       // the token's `sub`
  room_grants rooms;      // its `rooms` claim
  std::int64_t exp_s = 0; // its `exp` (Unix seconds); 0: it does not expire
};

enum class auth_refusal : std::uint8_t {
  missing,         // no ?token= and no Authorization: Bearer
  malformed,       // not a JWT (three base64url parts of JSON)
  wrong_algorithm, // `alg` other than the one configured (`none` included)
  bad_signature,   // the signature does not verify with the configured key
  expired,         // `exp` has passed
  not_yet_valid,   // `nbf` is still to come
  wrong_audience,  // `aud` does not name jwt-audience
  wrong_issuer,    // `iss` is not jwt-issuer
  bad_subject,     // no `sub`, or not a valid user name
  bad_rooms,       // a `rooms` claim that is not an array of room patterns
  no_room,         // `rooms` allows neither `general` nor any room by exact name
};

constexpr std::array<std::string_view, 11> auth_refusal_names{
    "missing",     "malformed",     "wrong_algorithm", "bad_signature",
    "expired",     "not_yet_valid", "wrong_audience",  "wrong_issuer",
    "bad_subject", "bad_rooms",     "no_room"};
constexpr std::size_t auth_refusal_count = auth_refusal_names.size();

// The short reason a refused client reads in the 401's body.
constexpr std::string_view describe(auth_refusal r) {
  constexpr std::array<std::string_view, auth_refusal_count> texts{
      "missing token: send ?token= or Authorization: Bearer",
      "malformed token",
      "token signed with another algorithm",
      "bad token signature",
      "token expired",
      "token not yet valid (nbf)",
      "token audience does not match",
      "token issuer does not match",
      "token has no valid sub (a user name of 1..32 characters)",
      "token rooms claim must be an array of room names",
      "token allows no room to start in"};
  return texts[static_cast<std::size_t>(r)];
}

} // namespace chat
