// The server's own count of open WebSockets, from GET /healthz (docs/operations.md).
// A blocking request on a fresh socket, bounded by a timeout: for the soak's sampler,
// which runs on the control thread, not on the io threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace bench {

// `connections` of the /healthz answer; nullopt when the server did not answer 200 with
// that field within `timeout_s`.
std::optional<std::uint64_t> healthz_connections(const std::string& ipv4, std::uint16_t port,
                                                 double timeout_s = 3);

}  // namespace bench
