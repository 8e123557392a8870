// The figures of one run and their one-line JSON form (the only thing on stdout).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace bench {

struct Report {
  std::string mode, label;
  std::uint32_t clients = 0, threads = 1, source_addrs = 1;
  std::uint64_t opened = 0, welcomed = 0, connect_errors = 0;
  std::map<std::string, std::uint64_t> connect_error_kinds;
  double connect_s = 0, handshakes_per_s = 0;

  // Load (fanout, rooms, idle with --chat-clients).
  bool load = false;
  std::uint64_t senders = 0, rooms = 0, room_size = 0, receivers = 0;
  double duration_s = 0, send_s = 0;
  std::uint64_t sent = 0, expected = 0, received = 0, unique = 0;
  std::uint64_t lost = 0, lost_on_open = 0, duplicates = 0, out_of_order = 0;
  std::uint64_t misrouted = 0, foreign = 0;
  double offered_msgs_per_s = 0, offered_deliveries_per_s = 0, deliveries_per_s = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0, mean_ms = 0;
  double drain_s = 0;
  std::uint64_t acks = 0;                       // --ack: acks received, and the
  std::optional<double> ack_p50_ms, ack_p99_ms; // send -> ack latency
  double settle_s = 0; // waiting for the server to go quiet before sending

  double hold_s = 0; // idle

  std::uint64_t closed_by_server = 0, dropped = 0, bad_frames = 0;
  std::map<std::string, std::uint64_t> close_codes, errors, events;

  std::optional<int> server_pid;
  std::optional<double> server_cpu_s, server_cpu_pct, server_cpu_us_per_delivery;
  // The same split into user space and kernel (utime / stime).
  std::optional<double> server_user_s, server_sys_s;
  std::optional<double> server_user_us_per_delivery, server_sys_us_per_delivery;
  // Server CPU from the first handshake until the server went quiet, per connection in.
  std::optional<double> handshake_cpu_user_us, handshake_cpu_sys_us;
  std::optional<long> rss_kib_start, rss_kib_connected, rss_kib_end;
  std::optional<double> kib_per_conn;
  std::optional<double> hold_server_cpu_pct; // idle: server CPU while only holding

  double loadgen_cpu_s = 0, loadgen_cpu_pct = 0, measured_s = 0, elapsed_s = 0;
  bool deadline_hit = false;
  int exit_code = 0;
};

std::string to_json_line(const Report& r);

} // namespace bench
