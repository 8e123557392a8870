// The server's configuration: CAF's actor_system_config plus the [chat] section, and the
// checks CAF does not do (unknown keys, wrong types and ranges fail the start by name).
#pragma once

#include "actors/limits.hpp"
#include "net/server.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/timespan.hpp>
#include <string>

namespace chat {

class chat_config : public caf::actor_system_config {
public:
  chat_config();

  std::string host = "0.0.0.0";
  std::uint16_t port = 3000;
  std::size_t io_threads = 1;
  std::size_t max_frame_bytes = 4096;
  std::size_t max_message_chars = 2000;
  caf::timespan ping_interval = std::chrono::seconds(9);
  caf::timespan pong_timeout = std::chrono::seconds(10);
  std::size_t max_connections = 10000;
  std::string node_name; // empty: host:port
  std::size_t rate_limit = 20;
  std::size_t rate_burst = 40;
  std::size_t max_errors_in_row = 20;
  std::size_t max_outbound_bytes = 1 << 20;
  std::size_t max_rooms = 10000;
  std::size_t presence_max_members = 1000;
  std::size_t history_size = 100;
  std::string web_root = "web";
  std::vector<std::string> allowed_origins;
  std::string api_key; // empty: the REST API is open

  std::string help_text() const;

  // Checks the parsed settings. Returns a message naming the bad key or file; empty if
  // fine.
  std::string validate() const;

  chat_limits actor_limits(unsigned short bound_port) const;
  net::net_limits transport_limits() const;
};

} // namespace chat
