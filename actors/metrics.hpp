// Counters for /metrics. Each is written by the one place that owns the fact (the manager
// for connections, the router for rooms, connection actors for their frames, sessions for
// their queues) and read by the renderer; relaxed atomics, no locks.
#pragma once

#include "messages/protocol_errors.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace chat {

class metrics {
public:
  enum close_kind { policy_1008, too_big_1009, slow_1013, pong_timeout, close_kinds };

  std::atomic<std::int64_t> connections_open{0};
  std::atomic<std::uint64_t> connections_accepted{0};
  std::atomic<std::uint64_t> messages_received{0};
  std::atomic<std::uint64_t> deliveries{0};
  std::array<std::atomic<std::uint64_t>, protocol_code_count> errors{};
  std::array<std::atomic<std::uint64_t>, close_kinds> closes{};
  std::atomic<std::int64_t> rooms{0};
  std::atomic<std::int64_t> outbound_queue_bytes{0};

  void count_error(protocol_code code) {
    errors[static_cast<std::size_t>(code)].fetch_add(1, std::memory_order_relaxed);
  }
  void count_close(close_kind k) { closes[k].fetch_add(1, std::memory_order_relaxed); }
  // Time from a send_message's arrival to its broadcast being handed to the room group.
  void observe_broadcast(std::int64_t nanos);

  // Prometheus text exposition format 0.0.4.
  std::string render() const;

private:
  static constexpr std::array<double, 12> bounds_s{0.00005, 0.0001, 0.00025, 0.0005,
                                                   0.001,   0.0025, 0.005,   0.01,
                                                   0.025,   0.05,   0.1,     0.25};
  std::array<std::atomic<std::uint64_t>, bounds_s.size() + 1> buckets_{};
  std::atomic<std::uint64_t> broadcast_count_{0};
  std::atomic<std::uint64_t> broadcast_sum_ns_{0};
};

// Monotonic nanoseconds, the clock of observe_broadcast.
std::int64_t now_ns();

} // namespace chat
