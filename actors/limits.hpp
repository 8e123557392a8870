// The settings the actors enforce, filled from the [chat] configuration by app/.
#pragma once

#include "actors/metrics.hpp"
#include "messages/codec.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace chat {

struct chat_limits {
  std::string node_name;
  std::size_t max_connections = 10000;
  std::chrono::milliseconds ping_interval{9000};
  std::chrono::milliseconds pong_timeout{10000};
  decode_limits decode;
  double rate_limit = 20; // messages per second, per connection
  double rate_burst = 40;
  std::size_t max_errors_in_row = 20;
  std::size_t max_rooms = 10000;
  std::size_t presence_max_members = 1000;
  std::size_t history_size = 100;
  std::shared_ptr<metrics> counters = std::make_shared<metrics>(); // where actors count
};

} // namespace chat
