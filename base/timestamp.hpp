// RFC 3339 time stamps in UTC with microseconds: the `sent` field and the log.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace chat {

std::string rfc3339(std::chrono::system_clock::time_point t);

inline std::string rfc3339_now() {
  return rfc3339(std::chrono::system_clock::now());
}

// Seconds since the Unix epoch: the clock of JWT claims (exp, nbf, iat).
inline std::int64_t unix_now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

} // namespace chat
