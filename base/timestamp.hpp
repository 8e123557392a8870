// RFC 3339 time stamps in UTC with microseconds: the `sent` field and the log.
#pragma once

#include <chrono>
#include <string>

namespace chat {

std::string rfc3339(std::chrono::system_clock::time_point t);

inline std::string rfc3339_now() {
  return rfc3339(std::chrono::system_clock::now());
}

} // namespace chat
