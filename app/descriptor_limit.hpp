// Each WebSocket holds one file descriptor: max-connections is only real when the
// process may open that many files.
#pragma once

#include <cstddef>

namespace chat {

// Raises the soft RLIMIT_NOFILE to the hard one, and logs a warning when
// `max_connections` plus the descriptors the server needs besides does not fit.
void fit_descriptor_limit(std::size_t max_connections);

} // namespace chat
