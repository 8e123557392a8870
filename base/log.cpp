#include "base/log.hpp"

#include "base/timestamp.hpp"

#include <array>
#include <atomic>
#include <string>
#include <unistd.h>

namespace chat {

namespace {

constexpr std::array<std::string_view, 4> level_names{"error", "warning", "info",
                                                      "debug"};

std::atomic<log_level> current{log_level::info};

} // namespace

std::optional<log_level> parse_log_level(std::string_view name) {
  for (std::size_t i = 0; i < level_names.size(); ++i)
    if (name == level_names[i])
      return static_cast<log_level>(i);
  return std::nullopt;
}

void set_log_level(log_level level) {
  current.store(level, std::memory_order_relaxed);
}

bool log_enabled(log_level level) {
  return level <= current.load(std::memory_order_relaxed);
}

void log(log_level level, std::string_view text) {
  if (!log_enabled(level))
    return;
  auto line = rfc3339_now();
  line += ' ';
  line += level_names[static_cast<std::size_t>(level)];
  line += ' ';
  line += text;
  line += '\n';
  // One write per line: atomic for lines up to PIPE_BUF on pipes, and in practice on ttys
  // and files too. A failed write of a log line has nowhere better to go.
  [[maybe_unused]] auto written = ::write(2, line.data(), line.size());
}

} // namespace chat
