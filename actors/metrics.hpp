// Counters for /metrics. Each is written by the one place that owns the fact (the manager
// for connections, the router for rooms, connection actors for their frames, sessions for
// their queues) and read by the renderer; relaxed atomics, no locks.
#pragma once

#include "messages/identity.hpp"
#include "messages/protocol_errors.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace chat {

// What crossed the link to one peer node, counted by the actors that send and receive
// (bytes: the frames' and messages' text, without CAF's framing).
struct peer_traffic {
  std::atomic<std::uint64_t> messages_out{0};
  std::atomic<std::uint64_t> bytes_out{0};
  std::atomic<std::uint64_t> messages_in{0};
  std::atomic<std::uint64_t> bytes_in{0};
  void sent(std::size_t bytes) {
    messages_out.fetch_add(1, std::memory_order_relaxed);
    bytes_out.fetch_add(bytes, std::memory_order_relaxed);
  }
  void received(std::size_t bytes) {
    messages_in.fetch_add(1, std::memory_order_relaxed);
    bytes_in.fetch_add(bytes, std::memory_order_relaxed);
  }
};

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
  // The history store (actors/history): committed rows, failed commits, messages
  // waiting for a commit, and messages given up while the store could not write.
  std::atomic<std::uint64_t> history_stored{0};
  std::atomic<std::uint64_t> history_write_errors{0};
  std::atomic<std::int64_t> history_unstored{0};
  std::atomic<std::uint64_t> history_dropped{0};
  // The AMQP bridge (actors/amqp_bridge): messages published to the exchange, confirmed
  // by the broker, consumed from the inbound queue into rooms, rejected as invalid, and
  // dropped (broker away, nacked, unconfirmed when the connection went, or over the
  // bound); its state for /healthz.
  enum class amqp_state { disabled, connecting, connected, down };
  std::atomic<std::uint64_t> amqp_published{0};
  std::atomic<std::uint64_t> amqp_confirmed{0};
  std::atomic<std::uint64_t> amqp_consumed{0};
  std::atomic<std::uint64_t> amqp_rejected{0};
  std::atomic<std::uint64_t> amqp_dropped{0};
  std::atomic<amqp_state> amqp{amqp_state::disabled};
  // Upgrades refused with 401, by reason (messages/identity.hpp).
  std::array<std::atomic<std::uint64_t>, auth_refusal_count> auth_refusals{};
  bool authenticating = false; // set once at start: render the refusals

  void count_error(protocol_code code) {
    errors[static_cast<std::size_t>(code)].fetch_add(1, std::memory_order_relaxed);
  }
  void count_close(close_kind k) { closes[k].fetch_add(1, std::memory_order_relaxed); }
  void count_auth_refusal(auth_refusal r) {
    auth_refusals[static_cast<std::size_t>(r)].fetch_add(1, std::memory_order_relaxed);
  }
  // From a send_message's arrival to its broadcast being handed to the members' feeds.
  void observe_broadcast(std::int64_t nanos);

  // The cluster's live peers (the cluster actor's view, this node not counted).
  std::atomic<std::int64_t> cluster_peers{0};
  bool clustered = false; // set once at start: render the cluster's metrics

  // The counters of peer `node`, created on first use and never removed (a node keeps
  // its name across restarts), so a reference stays valid for the process's life.
  peer_traffic& peer(const std::string& node);

  // Prometheus text exposition format 0.0.4.
  std::string render() const;

private:
  static constexpr std::array<double, 12> bounds_s{0.00005, 0.0001, 0.00025, 0.0005,
                                                   0.001,   0.0025, 0.005,   0.01,
                                                   0.025,   0.05,   0.1,     0.25};
  std::array<std::atomic<std::uint64_t>, bounds_s.size() + 1> buckets_{};
  std::atomic<std::uint64_t> broadcast_count_{0};
  std::atomic<std::uint64_t> broadcast_sum_ns_{0};
  mutable std::mutex peers_mutex_;
  std::map<std::string, std::unique_ptr<peer_traffic>> peers_;
};

// "disabled", "connecting", "connected" or "down".
const char* to_string(metrics::amqp_state s);

// Monotonic nanoseconds, the clock of observe_broadcast.
std::int64_t now_ns();

} // namespace chat
