// A retention age as written in the config file: "0" (forever), or a whole number and a
// unit: "90s", "30min", "12h", "30d". CAF's durations stop at hours; retention is
// usually said in days.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace chat {

inline std::optional<std::chrono::nanoseconds> parse_age(std::string_view text) {
  using namespace std::chrono;
  std::size_t i = 0;
  long long n = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    if (n > 1'000'000'000)
      return std::nullopt;
    n = n * 10 + (text[i] - '0');
  }
  if (i == 0)
    return std::nullopt;
  auto unit = text.substr(i);
  if (unit.empty())
    return n == 0 ? std::optional<nanoseconds>{nanoseconds::zero()} : std::nullopt;
  if (unit == "s")
    return seconds(n);
  if (unit == "min")
    return minutes(n);
  if (unit == "h")
    return hours(n);
  if (unit == "d")
    return hours(24 * n);
  return std::nullopt;
}

} // namespace chat
