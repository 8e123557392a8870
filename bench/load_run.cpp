#include "load_run.hpp"

#include "latency_histogram.hpp"
#include "proc_stats.hpp"
#include "seq_tracker.hpp"
#include "wire.hpp"
#include "ws_connection.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

std::atomic<bool> g_stop_requested{false};

constexpr std::uint32_t no_group = std::numeric_limits<std::uint32_t>::max();

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        Clock::now().time_since_epoch())
                                        .count());
}

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

Clock::duration to_duration(double seconds) {
  return std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(seconds));
}

// What one io thread saw; merged once the threads have stopped.
struct ThreadStats {
  LatencyHistogram latency;
  LatencyHistogram ack_latency; // send -> ack (--ack)
  std::uint64_t acks = 0;
  std::map<std::string, std::uint64_t, std::less<>> events; // other event types
  std::map<std::string, std::uint64_t, std::less<>> errors; // error codes
  std::uint64_t received = 0, duplicates = 0, misrouted = 0, foreign = 0, bad_frames = 0;
  std::uint64_t last_rx_ns = 0;
};

template <class Map> void bump(Map& m, std::string_view key) {
  auto it = m.find(key);
  if (it == m.end())
    it = m.emplace(std::string(key), 0).first;
  ++it->second;
}

// One client connection and what it received. Touched only on its connection's executor,
// except the atomics, which the control thread reads.
struct Peer {
  std::shared_ptr<WsConnection> conn;
  std::uint32_t group = no_group; // the chat group it receives from
  std::atomic<bool> opened{false}, welcomed{false}, in_room{false}, closed{false};
  std::atomic<bool> settled{false}; // welcomed or failed: the launcher moved on
  std::vector<SeqTracker> from;     // by the sender's slot among its group's voices
};

// Clients that chat together in one room; voices are the members that send.
struct Group {
  std::string room;
  std::vector<std::uint32_t> members;
  std::vector<std::uint32_t> voices;
  std::uint64_t ready = 0; // members in the room when sending started
};

// One paced message stream: its voices take turns, one message every period.
struct Sender {
  std::uint32_t group = 0;
  std::vector<std::uint32_t> voices;
  std::size_t turn = 0;
  Clock::duration period{};
  Clock::time_point next{}, end{};
  std::unique_ptr<asio::steady_timer> timer;
};

class LoadRun final : public WsEvents {
public:
  explicit LoadRun(const Options& o)
      : o_(o), n_(o.clients), peers_(std::make_unique<Peer[]>(o.clients)),
        sent_by_voice_(o.clients, 0), sender_group_(o.clients, no_group),
        voice_slot_(o.clients, 0), ready_(o.clients, 0) {}

  Report run();

  // WsEvents, on the connection's executor.
  void on_open(WsConnection& c) override;
  void on_connect_failed(WsConnection& c, std::string_view stage,
                         const std::string& error, int http_status) override;
  void on_text(WsConnection& c, std::string_view frame) override;
  void on_closed(WsConnection& c, CloseKind kind, int close_code,
                 const std::string& error) override;

private:
  void on_welcome(Peer& p); // the connection is in: the launcher may start the next
  // Control thread.
  void plan_groups();
  bool wait_until(const char* phase, Clock::time_point until,
                  const std::function<bool()>& done);
  void progress(const char* phase);
  bool out_of_time() const;
  void connect_all();
  bool move_into_rooms();
  double settle();
  void start_senders();
  void close_all();
  void fill_results(Report& r);

  // io threads.
  void launch_next();
  void tick(Sender& s);
  void arm(Sender& s); // waits for s.next, then ticks
  ThreadStats& stats();
  std::string name_of(std::uint32_t i) const {
    return o_.name_prefix + std::to_string(i);
  }

  const Options& o_;
  const std::uint32_t n_;
  asio::io_context ioc_;
  std::unique_ptr<Peer[]> peers_;
  std::vector<Group> groups_;
  std::vector<Sender> senders_;
  std::vector<std::uint64_t> sent_by_voice_; // each entry written by one sender's timer
  std::vector<std::uint32_t> sender_group_;  // client index -> its group if it is a voice
  std::vector<std::uint32_t> voice_slot_;    // client index -> its place among the voices
  std::vector<char> ready_;                  // in its room when sending started
  std::uint64_t load_start_ns_ = 0;
  Clock::time_point load_t0_{};
  std::vector<tcp::endpoint> servers_; // client i talks to servers_[i % size]
  std::vector<std::string> host_headers_;

  std::atomic<std::uint32_t> next_launch_{0};
  std::atomic<std::uint64_t> opened_{0}, welcomed_{0}, connect_failed_{0}, settled_{0};
  std::atomic<std::uint64_t> in_room_{0}, open_now_{0};
  std::atomic<std::uint64_t> sent_{0}, expected_{0}, received_{0}, unique_{0};
  std::atomic<std::uint64_t> closed_by_server_{0}, dropped_{0};
  std::atomic<std::uint32_t> senders_done_{0};
  std::atomic<bool> senders_stop_{false};
  std::atomic<std::uint64_t> last_frame_ns_{0};

  std::mutex mu_; // guards the maps below and thread_stats_
  std::map<std::string, std::uint64_t> connect_error_kinds_, close_codes_;
  std::vector<std::unique_ptr<ThreadStats>> thread_stats_;

  Clock::time_point t_start_, deadline_, last_progress_;
  bool cut_short_ = false;
};

// ---------------------------------------------------------------- io threads

ThreadStats& LoadRun::stats() {
  thread_local ThreadStats* mine = nullptr;
  thread_local const LoadRun* owner = nullptr;
  if (mine == nullptr || owner != this) {
    std::lock_guard<std::mutex> lock(mu_);
    thread_stats_.push_back(std::make_unique<ThreadStats>());
    mine = thread_stats_.back().get();
    owner = this;
  }
  return *mine;
}

void LoadRun::launch_next() {
  const std::uint32_t i = next_launch_.fetch_add(1);
  if (i >= n_)
    return;
  ConnectTarget t;
  const auto& server = servers_[i % servers_.size()];
  t.server = server;
  if (o_.source_addrs > 1 && server.address().is_v4() && server.address().is_loopback()) {
    // 127.0.0.1 .. 127.0.0.K: each source address has its own ephemeral port range.
    t.source = asio::ip::address_v4(0x7f000001u + i % o_.source_addrs);
  }
  t.host_header = host_headers_[i % servers_.size()];
  t.target = o_.path + "?name=" + name_of(i);
  t.handshake_timeout_s = o_.connect_timeout;
  peers_[i].conn->start(std::move(t));
}

void LoadRun::on_open(WsConnection& c) {
  peers_[c.id()].opened = true;
  ++opened_;
  ++open_now_;
  if (o_.reference) // no welcome in the original protocol: in once upgraded
    on_welcome(peers_[c.id()]);
}

void LoadRun::on_welcome(Peer& p) {
  if (p.welcomed.exchange(true))
    return;
  ++welcomed_;
  if (!p.settled.exchange(true)) {
    ++settled_;
    if (!senders_stop_)
      launch_next();
  }
}

void LoadRun::on_connect_failed(WsConnection& c, std::string_view stage,
                                const std::string& error, int http_status) {
  Peer& p = peers_[c.id()];
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::string kind = std::string(stage) + ": " +
                       (http_status ? "HTTP " + std::to_string(http_status) : error);
    ++connect_error_kinds_[kind];
  }
  ++connect_failed_;
  if (!p.settled.exchange(true)) {
    ++settled_;
    if (!senders_stop_)
      launch_next();
  }
}

void LoadRun::on_closed(WsConnection& c, CloseKind kind, int close_code,
                        const std::string& error) {
  Peer& p = peers_[c.id()];
  p.closed = true;
  --open_now_;
  if (kind != CloseKind::by_us) {
    std::lock_guard<std::mutex> lock(mu_);
    if (kind == CloseKind::by_server) {
      ++closed_by_server_;
      ++close_codes_[std::to_string(close_code)];
    } else {
      ++dropped_;
      ++close_codes_["none (" + error + ")"];
    }
  }
  if (!p.welcomed && !p.settled.exchange(true)) {
    // Upgraded but closed before the welcome: a failed connect (e.g. 1013 at capacity).
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++connect_error_kinds_["closed before welcome: " + std::to_string(close_code)];
    }
    ++connect_failed_;
    ++settled_;
    if (!senders_stop_)
      launch_next();
  }
}

void LoadRun::on_text(WsConnection& c, std::string_view frame) {
  thread_local EventParser parser;
  Peer& p = peers_[c.id()];
  ThreadStats& st = stats();
  last_frame_ns_.store(now_ns(), std::memory_order_relaxed);
  const Event ev = parser.parse(frame);
  switch (ev.type) {
  case EventType::new_message: {
    Probe probe;
    if (!parse_probe(ev.message, probe) || probe.sender >= n_) {
      ++st.foreign;
      return;
    }
    const std::uint64_t t = now_ns();
    ++st.received;
    ++received_;
    if (sender_group_[probe.sender] != p.group || p.group == no_group) {
      ++st.misrouted; // a message from a room this client is not in
      return;
    }
    if (p.from.empty())
      p.from.resize(groups_[p.group].voices.size());
    if (p.from[voice_slot_[probe.sender]].mark(probe.seq) ==
        SeqTracker::Seen::duplicate) {
      ++st.duplicates;
      return;
    }
    ++unique_;
    st.latency.record(t > probe.sent_ns ? (t - probe.sent_ns) / 1000 : 0);
    st.last_rx_ns = t;
    return;
  }
  case EventType::welcome:
    on_welcome(p);
    return;
  case EventType::room_changed:
    if (p.group != no_group && ev.room == groups_[p.group].room &&
        !p.in_room.exchange(true))
      ++in_room_;
    bump(st.events, ev.type_name);
    return;
  case EventType::error:
    bump(st.errors, ev.code.empty() ? std::string_view("(no code)") : ev.code);
    return;
  case EventType::ack: {
    std::uint64_t sent_ns = 0;
    if (!parse_ack_ref(ev.ref, sent_ns)) {
      bump(st.events, ev.type_name);
      return;
    }
    const std::uint64_t t = now_ns();
    ++st.acks;
    st.ack_latency.record(t > sent_ns ? (t - sent_ns) / 1000 : 0);
    return;
  }
  case EventType::other:
    bump(st.events, ev.type_name);
    return;
  case EventType::bad_json:
    ++st.bad_frames;
    return;
  }
}

void LoadRun::tick(Sender& s) {
  const Group& g = groups_[s.group];
  const auto now = Clock::now();
  int burst = 0;
  // Send everything due by now (a late timer catches up, at most 1000 at once), so the
  // offered rate holds even when a wake-up comes late.
  while (!senders_stop_ && s.next <= now && s.next < s.end && burst < 1000) {
    const std::uint32_t v = s.voices[s.turn];
    s.turn = (s.turn + 1) % s.voices.size();
    s.next += s.period;
    ++burst;
    Peer& p = peers_[v];
    if (p.closed || !p.welcomed)
      continue; // a voice the server closed sends no more
    Probe probe{v, sent_by_voice_[v]++, now_ns()};
    p.conn->send(std::make_shared<const std::string>(
        send_message_frame(probe, o_.size, name_of(v), o_.ack)));
    ++sent_;
    expected_ += g.ready;
  }
  if (senders_stop_ || s.next >= s.end) {
    ++senders_done_;
    return;
  }
  arm(s);
}

void LoadRun::arm(Sender& s) {
  s.timer->expires_at(s.next);
  s.timer->async_wait([this, &s](const boost::system::error_code& ec) {
    if (ec) {
      ++senders_done_;
      return;
    }
    tick(s);
  });
}

// ---------------------------------------------------------------- control thread

bool LoadRun::out_of_time() const {
  return g_stop_requested.load() || Clock::now() >= deadline_;
}

void LoadRun::progress(const char* phase) {
  if (o_.quiet)
    return;
  std::fprintf(
      stderr,
      "[chat-loadgen %s %.1fs] %s: opened=%llu welcomed=%llu failed=%llu open=%llu "
      "in_room=%llu sent=%llu received=%llu/%llu closed_by_server=%llu dropped=%llu\n",
      to_string(o_.mode), seconds_between(t_start_, Clock::now()), phase,
      static_cast<unsigned long long>(opened_.load()),
      static_cast<unsigned long long>(welcomed_.load()),
      static_cast<unsigned long long>(connect_failed_.load()),
      static_cast<unsigned long long>(open_now_.load()),
      static_cast<unsigned long long>(in_room_.load()),
      static_cast<unsigned long long>(sent_.load()),
      static_cast<unsigned long long>(unique_.load()),
      static_cast<unsigned long long>(expected_.load()),
      static_cast<unsigned long long>(closed_by_server_.load()),
      static_cast<unsigned long long>(dropped_.load()));
  last_progress_ = Clock::now();
}

// Polls `done` (every 5 ms) until it holds, `until` passes or the run is out of time.
bool LoadRun::wait_until(const char* phase, Clock::time_point until,
                         const std::function<bool()>& done) {
  for (;;) {
    if (done())
      return true;
    if (opened_.load() > 0 && open_now_.load() == 0 && settled_.load() >= n_) {
      progress("every connection is closed");
      return false;
    }
    if (out_of_time()) {
      cut_short_ = true;
      return false;
    }
    const auto now = Clock::now();
    if (now >= until)
      return false;
    if (now - last_progress_ >= std::chrono::seconds(1))
      progress(phase);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void LoadRun::plan_groups() {
  auto add_group = [&](std::string room, std::uint32_t first, std::uint32_t count,
                       std::uint32_t voices) {
    Group g;
    g.room = std::move(room);
    const auto id = static_cast<std::uint32_t>(groups_.size());
    for (std::uint32_t i = first; i < first + count; ++i) {
      g.members.push_back(i);
      peers_[i].group = id;
      if (i - first < voices) {
        voice_slot_[i] = static_cast<std::uint32_t>(g.voices.size());
        g.voices.push_back(i);
        sender_group_[i] = id;
      }
    }
    groups_.push_back(std::move(g));
  };
  auto spread_senders = [&](const Group& g, std::uint32_t gid, double rate,
                            std::uint32_t streams) {
    // `streams` timers, one voice each, together `rate` msg/s.
    for (std::uint32_t k = 0; k < streams; ++k) {
      Sender s;
      s.group = gid;
      s.voices = {g.voices[k]};
      s.period = to_duration(streams / rate);
      senders_.push_back(std::move(s));
    }
  };
  switch (o_.mode) {
  case Mode::fanout:
    add_group("general", 0, n_, o_.senders);
    spread_senders(groups_[0], 0, o_.rate, o_.senders);
    break;
  case Mode::idle:
    if (o_.chat_clients > 0 && o_.rate > 0 && o_.senders > 0) {
      add_group(o_.chat_room, 0, o_.chat_clients, o_.senders);
      spread_senders(groups_[0], 0, o_.rate, o_.senders);
    }
    break;
  case Mode::rooms:
    for (std::uint32_t first = 0, k = 0; first < n_; first += o_.room_size, ++k) {
      const std::uint32_t count = std::min(o_.room_size, n_ - first);
      add_group("r" + std::to_string(k), first, count, count);
      Sender s; // one stream per room; its members take turns
      s.group = k;
      s.voices = groups_.back().voices;
      s.period = to_duration(1 / o_.room_rate);
      senders_.push_back(std::move(s));
    }
    break;
  case Mode::soak:
    break; // soak_run.cpp runs it
  }
}

void LoadRun::connect_all() {
  const std::uint32_t first_wave = std::min(o_.connect_concurrency, n_);
  for (std::uint32_t k = 0; k < first_wave; ++k)
    asio::post(ioc_, [this] { launch_next(); });
  wait_until("connect", Clock::now() + to_duration(o_.connect_timeout),
             [&] { return settled_.load() >= n_; });
  senders_stop_ = false;
}

// Sends change_room for every group whose room is not general; waits for room_changed.
bool LoadRun::move_into_rooms() {
  std::uint64_t asked = 0;
  for (const Group& g : groups_) {
    if (g.room == "general")
      continue;
    auto frame = std::make_shared<const std::string>(change_room_frame(g.room));
    for (std::uint32_t i : g.members) {
      if (!peers_[i].welcomed || peers_[i].closed)
        continue;
      peers_[i].conn->send(frame);
      ++asked;
    }
  }
  if (asked == 0)
    return true;
  return wait_until("change_room", Clock::now() + to_duration(o_.connect_timeout),
                    [&] { return in_room_.load() >= asked; });
}

// Waits until no frame has arrived for 300 ms (at most --settle seconds): joining clients
// make the server send presence events (a room of n joiners costs ~n^2/2 deliveries), and
// the load must not start while that backlog is still being written.
double LoadRun::settle() {
  const auto t0 = Clock::now();
  const std::uint64_t quiet_ns = 300'000'000;
  wait_until("settle", t0 + to_duration(o_.settle), [&] {
    return now_ns() - last_frame_ns_.load(std::memory_order_relaxed) >= quiet_ns;
  });
  return seconds_between(t0, Clock::now());
}

void LoadRun::start_senders() {
  // Who is ready to receive decides the expected deliveries of every message.
  for (Group& g : groups_) {
    g.ready = 0;
    for (std::uint32_t i : g.members) {
      const Peer& p = peers_[i];
      const bool in = g.room == "general" ? p.welcomed.load() : p.in_room.load();
      ready_[i] = in && !p.closed;
      if (ready_[i])
        ++g.ready;
    }
  }
  const auto t0 = Clock::now() + std::chrono::milliseconds(50);
  load_t0_ = t0;
  load_start_ns_ = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(t0.time_since_epoch())
          .count());
  const auto end = t0 + to_duration(o_.duration);
  const auto streams = senders_.size();
  for (std::size_t k = 0; k < streams; ++k) {
    Sender& s = senders_[k];
    // Stagger the streams over one period so the total rate is even, not bursty.
    s.next = t0 + std::chrono::duration_cast<Clock::duration>(
                      s.period * (static_cast<double>(k) / static_cast<double>(streams)));
    s.end = end;
    s.timer =
        std::make_unique<asio::steady_timer>(peers_[s.voices.front()].conn->executor());
    arm(s);
  }
}

void LoadRun::close_all() {
  senders_stop_ = true;
  for (std::uint32_t i = 0; i < n_; ++i)
    peers_[i].conn->close();
  const auto until = Clock::now() + std::chrono::seconds(3);
  while (open_now_.load() > 0 && Clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  for (std::uint32_t i = 0; i < n_; ++i)
    peers_[i].conn->abort();
}

Report LoadRun::run() {
  Report r;
  r.mode = to_string(o_.mode);
  r.label = o_.label;
  r.clients = n_;
  r.threads = o_.threads;
  r.source_addrs = o_.source_addrs;
  r.server_pid = o_.server_pid;
  t_start_ = last_progress_ = Clock::now();
  deadline_ = t_start_ + to_duration(effective_deadline(o_));

  tcp::resolver resolver(ioc_);
  const auto ports = o_.ports.empty() ? std::vector<std::uint16_t>{o_.port} : o_.ports;
  for (auto port : ports) {
    boost::system::error_code ec;
    auto results = resolver.resolve(o_.host, std::to_string(port), ec);
    if (ec || results.empty()) {
      std::fprintf(stderr, "chat-loadgen: cannot resolve %s: %s\n", o_.host.c_str(),
                   ec.message().c_str());
      r.exit_code = 1;
      return r;
    }
    servers_.push_back(results.begin()->endpoint());
    host_headers_.push_back(o_.host + ":" + std::to_string(port));
  }

  std::shared_ptr<TlsClient> tls;
  if (!o_.tls_ca.empty()) {
    try {
      tls = make_tls_client(o_.tls_ca);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "chat-loadgen: %s\n", e.what());
      r.exit_code = 2;
      return r;
    }
  }
  for (std::uint32_t i = 0; i < n_; ++i)
    peers_[i].conn = make_ws_connection(ioc_, o_.threads > 1, i, *this, tls);
  plan_groups();

  // One server, or the sum over a cluster's nodes (nothing when one cannot be read).
  auto over_pids = [&](auto read) -> decltype(read(0)) {
    if (o_.server_pids.empty())
      return std::nullopt;
    typename decltype(read(0))::value_type sum{};
    for (int pid : o_.server_pids) {
      auto x = read(pid);
      if (!x)
        return std::nullopt;
      sum += *x;
    }
    return sum;
  };
  auto pid_rss = [&] { return over_pids(process_rss_kib); };
  auto pid_cpu = [&] { return over_pids(process_cpu_times); };
  r.rss_kib_start = pid_rss();

  auto work = asio::make_work_guard(ioc_);
  std::vector<std::thread> threads;
  for (std::uint32_t k = 0; k < o_.threads; ++k)
    threads.emplace_back([this] { ioc_.run(); });

  // Phase 1: connect, at most connect-concurrency handshakes in flight.
  const auto t_connect = Clock::now();
  const auto cpu_before_connect = pid_cpu();
  connect_all();
  r.connect_s = seconds_between(t_connect, Clock::now());
  r.opened = opened_;
  r.welcomed = welcomed_;
  r.handshakes_per_s =
      r.connect_s > 0 ? static_cast<double>(r.welcomed) / r.connect_s : 0;
  progress("connected");
  r.rss_kib_connected = pid_rss();
  const auto t_all_in = Clock::now();

  // CPU used by the server and by us between two marks: the measured window is sending +
  // drain when there is load, else the idle hold.
  struct CpuMark {
    std::optional<CpuTimes> server;
    double self = 0;
    Clock::time_point at{};
  };
  auto mark = [&] { return CpuMark{pid_cpu(), self_cpu_seconds(), Clock::now()}; };
  CpuMark w0 = mark(), w1{};
  bool measured = false;

  // Phase 2: rooms, then paced sending, then drain.
  Clock::time_point t_load{}, t_sent{};
  // What the connects cost the server: from the first handshake until it went quiet
  // (the presence frames the joins caused were written), per connection that got in.
  auto handshake_cpu = [&] {
    const auto after = pid_cpu();
    if (cpu_before_connect && after && r.welcomed > 0) {
      const auto d = *after - *cpu_before_connect;
      const double n = static_cast<double>(r.welcomed);
      r.handshake_cpu_user_us = d.user * 1e6 / n;
      r.handshake_cpu_sys_us = d.sys * 1e6 / n;
    }
  };
  if (!senders_.empty() && welcomed_ > 0 && !out_of_time()) {
    r.load = true;
    move_into_rooms();
    r.settle_s = settle();
    handshake_cpu();
    if (!out_of_time()) {
      t_load = Clock::now();
      w0 = mark();
      start_senders();
      wait_until("send", Clock::now() + to_duration(o_.duration + 10),
                 [&] { return senders_done_.load() >= senders_.size(); });
      t_sent = Clock::now();
      wait_until("drain", Clock::now() + to_duration(o_.drain),
                 [&] { return unique_.load() >= expected_.load(); });
      r.drain_s = seconds_between(t_sent, Clock::now());
      r.send_s = std::min(o_.duration, seconds_between(load_t0_, t_sent));
      w1 = mark();
      measured = true;
    }
  }
  // Idle: hold the connections (ping/pong keeps them) until hold seconds after all were in.
  if (o_.mode == Mode::idle && !out_of_time()) {
    if (!r.load) {
      r.settle_s = settle();
      handshake_cpu();
    }
    const CpuMark h0 = mark();
    wait_until("hold", t_all_in + to_duration(o_.hold), [] { return false; });
    r.hold_s = seconds_between(t_all_in, Clock::now());
    const CpuMark h1 = mark();
    const double span = seconds_between(h0.at, h1.at);
    if (h0.server && h1.server && span >= 1)
      r.hold_server_cpu_pct = 100 * (*h1.server - *h0.server).total() / span;
    if (!measured) {
      w0 = h0;
      w1 = h1;
      measured = true;
    }
  }
  if (!measured)
    w1 = mark();
  r.measured_s = seconds_between(w0.at, w1.at);
  r.rss_kib_end = pid_rss();
  progress("done");

  close_all();
  work.reset();
  senders_stop_ = true;
  for (Sender& s : senders_)
    if (s.timer)
      asio::post(s.timer->get_executor(), [&s] { s.timer->cancel(); });
  // Everything is closed or aborted: the context runs out of work shortly.
  const auto stop_by = Clock::now() + std::chrono::seconds(3);
  while (!ioc_.stopped() && Clock::now() < stop_by)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ioc_.stop();
  for (auto& t : threads)
    t.join();

  const bool long_enough = r.measured_s >= 0.05; // CPU ticks are 10 ms
  if (w0.server && w1.server) {
    const auto d = *w1.server - *w0.server;
    r.server_cpu_s = d.total();
    r.server_user_s = d.user;
    r.server_sys_s = d.sys;
    if (long_enough)
      r.server_cpu_pct = 100 * *r.server_cpu_s / r.measured_s;
  }
  r.loadgen_cpu_s = w1.self - w0.self;
  r.loadgen_cpu_pct = long_enough ? 100 * r.loadgen_cpu_s / r.measured_s : 0;
  if (t_load != Clock::time_point{})
    r.duration_s = o_.duration;
  fill_results(r);
  if (r.server_cpu_s && r.load && r.received > 0) {
    const double n = static_cast<double>(r.received);
    r.server_cpu_us_per_delivery = *r.server_cpu_s * 1e6 / n;
    r.server_user_us_per_delivery = *r.server_user_s * 1e6 / n;
    r.server_sys_us_per_delivery = *r.server_sys_s * 1e6 / n;
  }
  if (r.rss_kib_start && r.rss_kib_connected && r.welcomed > 0)
    r.kib_per_conn = static_cast<double>(*r.rss_kib_connected - *r.rss_kib_start) /
                     static_cast<double>(r.welcomed);
  r.deadline_hit = cut_short_ || g_stop_requested.load();
  r.elapsed_s = seconds_between(t_start_, Clock::now());

  if (r.welcomed == 0)
    r.exit_code = 1;
  else if (r.load && (r.unique == 0 || r.expected == 0))
    r.exit_code = 1;
  else if (o_.max_lost >= 0 && r.lost > static_cast<std::uint64_t>(o_.max_lost))
    r.exit_code = 1;
  else if (r.deadline_hit)
    r.exit_code = 3;
  return r;
}

void LoadRun::fill_results(Report& r) {
  r.connect_errors = connect_failed_;
  r.connect_error_kinds = connect_error_kinds_;
  r.closed_by_server = closed_by_server_;
  r.dropped = dropped_;
  r.close_codes = close_codes_;

  LatencyHistogram latency, ack_latency;
  std::uint64_t last_rx_ns = 0;
  for (const auto& st : thread_stats_) {
    latency.merge(st->latency);
    ack_latency.merge(st->ack_latency);
    r.acks += st->acks;
    for (const auto& [k, v] : st->events)
      r.events[k] += v;
    for (const auto& [k, v] : st->errors)
      r.errors[k] += v;
    r.received += st->received;
    r.duplicates += st->duplicates;
    r.misrouted += st->misrouted;
    r.foreign += st->foreign;
    r.bad_frames += st->bad_frames;
    last_rx_ns = std::max(last_rx_ns, st->last_rx_ns);
  }
  if (!r.load)
    return;

  r.senders = 0;
  for (const Group& g : groups_)
    r.senders += g.voices.size();
  if (o_.mode == Mode::rooms) {
    r.rooms = groups_.size();
    r.room_size = o_.room_size;
  }
  r.sent = sent_;
  // Per receiver: what its group's voices sent against what arrived, sender by sender.
  for (const Group& g : groups_) {
    std::uint64_t group_sent = 0;
    for (std::uint32_t v : g.voices)
      group_sent += sent_by_voice_[v];
    for (std::uint32_t i : g.members) {
      const Peer& p = peers_[i];
      std::uint64_t got = 0;
      for (const SeqTracker& tracker : p.from) {
        got += tracker.unique();
        r.out_of_order += tracker.out_of_order();
      }
      r.unique += got;
      if (!ready_[i])
        continue;
      ++r.receivers;
      r.expected += group_sent;
      const std::uint64_t lost = group_sent > got ? group_sent - got : 0;
      r.lost += lost;
      if (!p.closed)
        r.lost_on_open += lost;
    }
  }
  if (r.send_s > 0) {
    r.offered_msgs_per_s = static_cast<double>(r.sent) / r.send_s;
    r.offered_deliveries_per_s = static_cast<double>(r.expected) / r.send_s;
  }
  if (last_rx_ns > load_start_ns_)
    r.deliveries_per_s = static_cast<double>(r.unique) /
                         (static_cast<double>(last_rx_ns - load_start_ns_) / 1e9);
  r.p50_ms = latency.quantile_us(0.50) / 1000;
  r.p90_ms = latency.quantile_us(0.90) / 1000;
  r.p99_ms = latency.quantile_us(0.99) / 1000;
  r.p999_ms = latency.quantile_us(0.999) / 1000;
  r.max_ms = static_cast<double>(latency.max_us()) / 1000;
  r.mean_ms = latency.mean_us() / 1000;
  if (o_.ack) {
    r.ack_p50_ms = ack_latency.quantile_us(0.50) / 1000;
    r.ack_p99_ms = ack_latency.quantile_us(0.99) / 1000;
  }
}

} // namespace

void request_stop() {
  g_stop_requested = true;
}

Report run_load(const Options& o) {
  LoadRun run(o);
  return run.run();
}

} // namespace bench
