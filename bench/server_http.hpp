// What the server says about itself over HTTP (docs/operations.md): its count of open
// WebSockets from GET /healthz, its counters from GET /metrics. Blocking requests on a
// fresh socket, bounded by a timeout: for the soak's control thread, not the io threads.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace bench {

// The body of a 200 answer to GET `path`; nullopt on any failure or after `timeout_s`
// (per connect, send and read).
std::optional<std::string> http_get(const std::string& ipv4, std::uint16_t port,
                                    const std::string& path, double timeout_s = 3);

// `connections` of the /healthz answer.
std::optional<std::uint64_t> healthz_connections(const std::string& ipv4,
                                                 std::uint16_t port);

// The samples of one labelled counter in a Prometheus text answer, by the value of
// `label`: for `chat_clients_closed_total` and `reason`, {"1008": n, "1013": n, ...}.
std::map<std::string, std::uint64_t> metric_by_label(const std::string& exposition,
                                                     const std::string& name,
                                                     const std::string& label);

} // namespace bench
