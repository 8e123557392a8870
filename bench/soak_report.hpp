// The figures of one soak run (soak_run.hpp), the verdict drawn from them, and their
// one-line JSON form (the only thing on stdout).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace bench {

// One look at the server and the clients, every --sample seconds while the load runs.
struct SoakSample {
  double t_s = 0;                // seconds since the load began
  std::optional<long> rss_kib;   // server VmRSS
  std::optional<double> cpu_pct; // server utime+stime since the previous sample
  std::optional<std::uint64_t> connections; // the server's /healthz count
  std::uint64_t open_clients = 0;           // our side: open WebSockets
  double deliveries_per_s = 0;              // new_message frames our clients received
  double frames_per_s = 0;                  // every frame our clients received
  double loadgen_cpu_pct = 0;
  std::uint64_t slow_1013 = 0; // slow readers closed with 1013 so far
};

// The RSS trend is judged only over at least this much time after the warm-up.
constexpr double min_trend_window_s = 240;

struct SoakReport {
  std::string label;
  std::uint32_t clients = 0, stable = 0, slow = 0, room_churn = 0, conn_slots = 0;
  std::uint32_t stable_rooms = 0, busy_rooms = 0, churn_rooms = 0;
  std::uint64_t seed = 0;
  double duration_s = 0, load_s = 0, connect_s = 0, drain_s = 0, elapsed_s = 0;

  // Connections of every role.
  std::uint64_t connects = 0, opened = 0, welcomed = 0, connect_errors = 0;
  std::map<std::string, std::uint64_t> connect_error_kinds;
  // Closes the server decided, as "role:code" ("role:none" when the socket was cut).
  std::map<std::string, std::uint64_t> close_codes;
  std::uint64_t unexpected_closes = 0; // every close above but the expected ones

  // Stable readers: exact accounting.
  std::uint64_t stable_ready = 0, stable_not_ready = 0, stable_closed = 0;
  std::uint64_t sent = 0, expected = 0, unique = 0, lost = 0, lost_on_open = 0;
  std::uint64_t duplicates = 0, out_of_order = 0, misrouted = 0;
  double p50_ms = 0, p99_ms = 0, max_ms = 0;

  // Slow readers.
  // slow_1013: got the close frame; slow_dropped: the socket was cut (no pong within
  // pong-timeout, or a 1013 whose close frame could not leave in that time).
  std::uint64_t slow_connects = 0, slow_pauses = 0, slow_1013 = 0, slow_dropped = 0;
  std::uint64_t slow_checked = 0; // open at the end: what they must have received
  std::uint64_t slow_expected = 0, slow_lost_on_open = 0;
  std::uint64_t slow_duplicates = 0, slow_out_of_order = 0, slow_misrouted = 0;

  // Room changes (room churn, and connection churn clients that change room).
  std::uint64_t changes_asked = 0, changes_ok = 0, changes_unanswered = 0;
  std::uint64_t changes_abandoned = 0; // we closed the client before its room_changed
  std::uint64_t unexpected_room_changed = 0;
  // Frames naming a room the client was not in; of those, its room before the last
  // room_changed (the protocol: no frame of the old room follows room_changed).
  std::uint64_t wrong_room = 0, old_room_after_change = 0;

  // Connection churn.
  std::uint64_t churn_connects = 0, churn_closed = 0, churn_cut = 0, churn_skipped = 0;
  std::uint64_t bad_clients = 0, bad_closed_1008 = 0, bad_not_closed = 0;

  std::uint64_t messages_sent = 0; // all roles
  std::uint64_t deliveries = 0, frames = 0, foreign = 0, bad_frames = 0;
  std::map<std::string, std::uint64_t> errors;            // not caused on purpose
  std::map<std::string, std::uint64_t> errors_on_purpose; // the invalid frames we sent
  std::map<std::string, std::uint64_t> events;            // presence and the like

  // Server.
  std::optional<int> server_pid;
  std::optional<long> rss_kib_start, rss_kib_loaded;
  bool server_died = false;
  // chat_clients_closed_total of /metrics at the end: "1008", "1009", "1013", "pong_timeout".
  std::map<std::string, std::uint64_t> server_closes;
  std::vector<SoakSample> samples;
  double warmup_s = 0, max_rss_slope = 0;
  std::optional<double> rss_slope_kib_per_min;
  bool rss_trend_judged = false;                // long enough (min_trend_window_s)
  std::optional<long> rss_min_kib, rss_max_kib; // after warm-up
  std::optional<double> server_cpu_pct_mean;    // over the load

  double loadgen_cpu_s = 0;
  bool deadline_hit = false;
  std::vector<std::string> failures; // empty: pass
  int exit_code = 0;
};

// Computes the RSS trend after warm-up and fills failures and exit_code.
void judge(SoakReport& r);

std::string to_json_line(const SoakReport& r);

} // namespace bench
