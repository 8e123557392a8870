// The server's log: one line per notable event on stderr, `<RFC 3339 time> <level> <text>`.
// Lines are written with one write(2) each, so lines from different threads never mix.
// `info` is for events an operator wants to see (start, listen address, policy closes,
// shutdown); nothing is logged per chat message at `info`.
#pragma once

#include <optional>
#include <string_view>

namespace chat {

enum class log_level { error, warning, info, debug };

// "error", "warning", "info", "debug"; nullopt for anything else.
std::optional<log_level> parse_log_level(std::string_view name);

void set_log_level(log_level level);
bool log_enabled(log_level level);

// Writes one line when `level` is enabled.
void log(log_level level, std::string_view text);

inline void log_error(std::string_view text) {
  log(log_level::error, text);
}
inline void log_warning(std::string_view text) {
  log(log_level::warning, text);
}
inline void log_info(std::string_view text) {
  log(log_level::info, text);
}
inline void log_debug(std::string_view text) {
  log(log_level::debug, text);
}

} // namespace chat
