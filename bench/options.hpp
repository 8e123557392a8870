// Command-line options of chat-loadgen: one plain struct and its parser.
// No network code here, so this file compiles in a second.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bench {

enum class Mode { fanout, idle, rooms, soak };

const char* to_string(Mode m);

struct Options {
  Mode mode = Mode::fanout;
  std::string host = "127.0.0.1";
  std::uint16_t port = 3000;
  std::vector<std::uint16_t> ports; // --ports: clients spread over these (a cluster)
  std::string path = "/ws";
  std::string name_prefix = "b"; // client i connects as ?name=<prefix><i>
  std::string label;             // echoed in the report, for scripts

  std::uint32_t clients = 1000;
  std::uint32_t senders = 10;
  double rate = 100;       // fanout / idle chat: total msg/s over all senders
  double duration = 10;    // seconds of sending
  std::uint32_t size = 64; // bytes of message text
  double drain = 5;        // seconds to wait for stragglers after sending

  std::uint32_t threads = 1;

  // idle
  double hold = 10; // seconds to hold the connections once all are in
  std::uint32_t chat_clients = 0;
  std::string chat_room = "bench-room";

  // rooms
  std::uint32_t room_size = 5;
  double room_rate = 1; // msg/s per room

  // soak (soak_run.hpp): one server under churn for --duration (600 s), 2000 clients.
  // The roles' counts: 0 = derived from --clients (see help).
  std::uint32_t stable = 0;     // loss-checked readers in rooms of room_size
  std::uint32_t busy_rooms = 5; // of the stable rooms, the busy ones (slow readers there)
  double busy_rate = 200;       // msg/s per busy room
  std::uint32_t busy_size = 2000;       // bytes of message text in busy rooms
  std::uint32_t slow = 0;               // slow readers, spread over the busy rooms
  double pause_min = 2, pause_max = 20; // seconds a slow reader stops reading
  std::uint32_t room_churn = 0;         // clients hopping between churn rooms
  std::uint32_t churn_rooms = 20;
  double connect_rate = 20; // connection churn: connects per second
  double sample = 10;       // seconds between samples
  double warmup = -1;       // -1 = min(120 s, 20 % of duration)
  // KiB/min of RSS growth after warm-up, else the soak fails. Why 512: by default a
  // minute churns ~1400 connections, ~8300 room changes and ~70k messages, so a leak of
  // 0.4 KiB per connection (a CAF actor alone is ~1.8 KiB), 60 bytes per room change or
  // 8 bytes per message crosses it. The noise of a sound server (its slow readers'
  // queues, up to 1 MiB each, coming and going) spread the samples by 1.1-2.6 MiB (sd)
  // around a flat line in two 10-minute runs: a standard error of 70-160 KiB/min for the
  // slope over 8 minutes of 10-second samples, so 512 is over three of them; the slopes
  // measured were -25 and +27 KiB/min (docs/reliability.md).
  double max_rss_slope = 512;
  std::uint64_t seed = 1;

  // connection set-up
  std::uint32_t source_addrs = 0; // 0 = auto: 127.0.0.1 .. 127.0.0.K
  std::uint32_t connect_concurrency = 256;
  double connect_timeout = 60; // seconds for the whole connect phase
  double deadline = 0;         // 0 = auto (see help)
  double settle = 30;          // at most this long waiting for the server to go quiet

  std::optional<int> server_pid; // the first of server_pids
  std::vector<int> server_pids;  // CPU and RSS are the sum over these (a cluster)
  long long max_lost = -1;       // exit 1 when lost > max_lost (-1: off)
  bool quiet = false;            // no progress lines on stderr
  bool ack = false;              // senders ask for acks: send -> ack latency
  std::string tls_ca;            // --tls-ca: wss://, trusting only this PEM file
  // --reference: the server speaks the original protocol only (the Go reference server in
  // ../shared/reference/gorilla-chat): no welcome (a connection is in once upgraded), no
  // rooms, no acks. For side-by-side runs of the same scenario.
  bool reference = false;
};

// Parses argv. On --help prints usage to stdout and exits 0; on a bad flag prints a message
// and the usage to stderr and exits 2.
Options parse_options(int argc, char** argv);

// Total seconds a run may take before it stops and prints what it has.
double effective_deadline(const Options& o);

} // namespace bench
