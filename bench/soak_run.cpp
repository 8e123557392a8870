#include "soak_run.hpp"

#include "latency_histogram.hpp"
#include "proc_stats.hpp"
#include "seq_tracker.hpp"
#include "server_http.hpp"
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
#include <cstdio>
#include <functional>
#include <future>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

std::atomic<bool> g_stop_requested{false};

constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();
// The server's default max-errors-in-row: this many invalid frames in a row close the
// client with 1008.
constexpr int bad_frames_to_close = 20;
// One connection-churn client in this many sends invalid frames.
constexpr std::uint64_t bad_client_every = 50;
// A client that sent them and is still open this long after is "not closed".
constexpr double bad_close_wait_s = 10;
// A slow reader's socket receive buffer: small and fixed, as on a phone, so that what it
// does not read piles up in the server's queue (bounded by max-outbound-bytes, then 1013)
// and not in a loopback receive buffer that autotuning grows to many MiB (measured: 2.7
// MB after 25 s at 100 KB/s, and the server's queue stayed empty).
constexpr int slow_receive_buffer = 128 * 1024; // the kernel doubles it

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

enum class Role : std::uint8_t { stable, slow, room_churn, conn_churn };

const char* role_name(Role r) {
  switch (r) {
  case Role::stable:
    return "stable";
  case Role::slow:
    return "slow";
  case Role::room_churn:
    return "room_churn";
  case Role::conn_churn:
    return "conn_churn";
  }
  return "?";
}

template <class Map> void bump(Map& m, std::string_view key) {
  auto it = m.find(key);
  if (it == m.end())
    it = m.emplace(std::string(key), 0).first;
  ++it->second;
}

// One client index and whatever connection it has now. Touched on the io thread only.
struct Slot {
  Role role = Role::stable;
  std::uint32_t home = none;                 // stable, slow: index of its room in rooms_
  std::uint32_t voice = none;                // stable: its place among its room's voices
  std::shared_ptr<WsConnection> conn;        // null between connections
  std::unique_ptr<asio::steady_timer> timer; // the role's next step
  std::uint64_t gen = 0; // bumped per connection: a timer of an older one does nothing
  bool open = false, welcomed = false;
  bool settled = false; // population: in its first room, or failed
  bool in_use = false;  // conn churn: has a connection
  bool bad = false;     // conn churn: sends invalid frames
  std::string room;     // by the last welcome / room_changed
  std::string previous; // the room before that
  std::string pending;  // change_room sent, room_changed not yet seen
  // stable, slow: what arrived from each voice of the home room.
  std::vector<SeqTracker> from;
  bool ready = false;              // stable: in its room when the load began
  bool tracking = false;           // slow: in its room on this connection, `base` taken
  std::vector<std::uint64_t> base; // slow: the first sequence it must get, by voice
  std::vector<std::uint64_t> counted; // slow: distinct sequences >= base, by voice
};

// A room of stable readers; its voices (the stable members) take turns sending.
struct StableRoom {
  std::string name;
  bool busy = false;
  std::uint32_t size = 64; // bytes of message text
  std::vector<std::uint32_t> voices, slow;
  std::uint64_t ready = 0; // stable members in the room when the load began
  std::size_t turn = 0;
  Clock::duration period{};
  Clock::time_point next{};
  std::unique_ptr<asio::steady_timer> timer;
};

class SoakRun final : public WsEvents {
public:
  explicit SoakRun(const Options& o) : o_(o), n_(o.clients), rng_(o.seed) {}

  SoakReport run();

  // WsEvents, on the io thread.
  void on_open(WsConnection& c) override;
  void on_connect_failed(WsConnection& c, std::string_view stage,
                         const std::string& error, int http_status) override;
  void on_text(WsConnection& c, std::string_view frame) override;
  void on_closed(WsConnection& c, CloseKind kind, int close_code,
                 const std::string& error) override;

private:
  // Control thread.
  void plan();
  bool out_of_time() const {
    return g_stop_requested.load() || Clock::now() >= deadline_;
  }
  bool wait_until(const char* phase, Clock::time_point until,
                  const std::function<bool()>& done);
  void progress(const char* phase);
  SoakSample take_sample(double t_s);
  template <class F> void on_io_and_wait(F f);
  void close_all();
  void results(SoakReport& r);

  // io thread.
  std::string name_of(std::uint32_t i) const {
    return o_.name_prefix + std::to_string(i);
  }
  std::string server_ip() const {
    return server_.address().is_v4() ? server_.address().to_string() : "127.0.0.1";
  }
  double uniform(double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(rng_);
  }
  bool coin() { return std::uniform_int_distribution<int>(0, 1)(rng_) == 1; }
  const std::string& random_churn_room(const std::string& except);
  Slot* current(WsConnection& c);
  void connect(std::uint32_t i);
  void launch_population();
  void settle_population(Slot& s);
  void ask_room(std::uint32_t i, const std::string& room);
  void send_probe(std::uint32_t i, std::size_t size);
  void after(std::uint32_t i, double seconds, void (SoakRun::*step)(std::uint32_t));
  void check_room(const Slot& s, std::string_view room);
  void on_message(Slot& s, std::string_view text, std::string_view room);
  void on_room_changed(std::uint32_t i, std::string_view room);
  void start_load();
  void stop_load();
  void tick(StableRoom& r);
  void arm(StableRoom& r);
  void launch_tick();
  void churn_step(std::uint32_t i);
  void churn_welcome(std::uint32_t i);
  void churn_leave(std::uint32_t i);
  void bad_deadline(std::uint32_t i);
  void slow_pause(std::uint32_t i);
  void slow_resume(std::uint32_t i);
  void slow_reconnect(std::uint32_t i);
  void fold_slow(Slot& s);
  std::uint64_t still_missing() const;

  const Options& o_;
  const std::uint32_t n_;
  asio::io_context ioc_;
  tcp::endpoint server_;
  std::string host_header_;
  std::mt19937_64 rng_;

  std::vector<Slot> slots_;
  std::vector<StableRoom> rooms_;
  std::vector<std::string> churn_rooms_;
  std::vector<std::uint32_t> population_; // stable, slow, room churn: connected first
  std::size_t next_population_ = 0;
  std::vector<std::uint32_t> free_; // conn churn slots without a connection
  std::uint32_t conn_slots_ = 0;
  std::vector<std::uint64_t> sent_by_slot_; // each slot's next sequence number
  double churn_life_max_ = 1;               // seconds a conn churn client stays at most
  Clock::duration launch_period_{};
  Clock::time_point next_launch_{};
  std::unique_ptr<asio::steady_timer> launcher_;
  bool loading_ = false;  // the load runs: roles act, slow readers reconnect
  bool stopping_ = false; // the load ended: no new step starts
  LatencyHistogram latency_;

  // Read by the control thread while the run goes on.
  std::atomic<std::uint64_t> population_settled_{0}, opened_{0}, welcomed_{0};
  std::atomic<std::uint64_t> open_now_{0}, connect_errors_{0};
  std::atomic<std::uint64_t> deliveries_{0}, frames_{0}, expected_{0}, stable_unique_{0};
  std::atomic<std::uint64_t> slow_1013_{0}, unexpected_closes_{0}, wrong_room_{0};
  std::atomic<std::uint64_t> last_frame_ns_{0};

  // io thread only; read once it has stopped.
  std::uint64_t connects_ = 0, messages_sent_ = 0, foreign_ = 0, bad_frames_ = 0;
  std::uint64_t stable_closed_ = 0, misrouted_ = 0, duplicates_ = 0;
  std::uint64_t slow_connects_ = 0, slow_pauses_ = 0, slow_dropped_ = 0;
  std::uint64_t slow_duplicates_ = 0, slow_out_of_order_ = 0, slow_misrouted_ = 0;
  std::uint64_t changes_asked_ = 0, changes_ok_ = 0, changes_abandoned_ = 0;
  std::uint64_t unexpected_room_changed_ = 0, old_room_after_change_ = 0;
  std::uint64_t churn_connects_ = 0, churn_closed_ = 0, churn_cut_ = 0,
                churn_skipped_ = 0;
  std::uint64_t bad_clients_ = 0, bad_closed_1008_ = 0, bad_not_closed_ = 0;
  std::map<std::string, std::uint64_t, std::less<>> connect_error_kinds_, close_codes_;
  std::map<std::string, std::uint64_t, std::less<>> errors_, errors_on_purpose_, events_;

  Clock::time_point t_start_{}, deadline_{}, last_progress_{}, t_load_{};
  SoakReport* report_ = nullptr;
  // Sampling: the previous marks.
  std::optional<double> prev_server_cpu_;
  double prev_self_cpu_ = 0;
  std::uint64_t prev_deliveries_ = 0, prev_frames_ = 0;
  Clock::time_point prev_at_{};
};

// ---------------------------------------------------------------- io thread

Slot* SoakRun::current(WsConnection& c) {
  Slot& s = slots_[c.id()];
  return s.conn.get() == &c ? &s : nullptr; // else a connection the slot has left behind
}

void SoakRun::connect(std::uint32_t i) {
  Slot& s = slots_[i];
  s.conn = make_ws_connection(ioc_, false, i, *this);
  ++s.gen;
  s.open = s.welcomed = s.tracking = false;
  s.room.clear();
  s.previous.clear();
  s.pending.clear();
  ++connects_;
  ConnectTarget t;
  t.server = server_;
  if (o_.source_addrs > 1 && server_.address().is_v4() && server_.address().is_loopback())
    t.source = asio::ip::address_v4(0x7f000001u + i % o_.source_addrs);
  t.host_header = host_header_;
  t.target = o_.path + "?name=" + name_of(i);
  t.handshake_timeout_s = o_.connect_timeout;
  if (s.role == Role::slow)
    t.receive_buffer_bytes = slow_receive_buffer;
  s.conn->start(std::move(t));
}

void SoakRun::launch_population() {
  if (next_population_ < population_.size())
    connect(population_[next_population_++]);
}

// A population client is in its first room, or failed: the next one may connect.
void SoakRun::settle_population(Slot& s) {
  if (s.settled || s.role == Role::conn_churn)
    return;
  s.settled = true;
  ++population_settled_;
  launch_population();
}

const std::string& SoakRun::random_churn_room(const std::string& except) {
  const auto k = churn_rooms_.size();
  std::size_t pick = std::uniform_int_distribution<std::size_t>(0, k - 1)(rng_);
  if (churn_rooms_[pick] == except && k > 1)
    pick = (pick + 1) % k;
  return churn_rooms_[pick];
}

void SoakRun::ask_room(std::uint32_t i, const std::string& room) {
  Slot& s = slots_[i];
  s.pending = room;
  ++changes_asked_;
  s.conn->send(std::make_shared<const std::string>(change_room_frame(room)));
}

void SoakRun::send_probe(std::uint32_t i, std::size_t size) {
  Slot& s = slots_[i];
  Probe p{i, sent_by_slot_[i]++, now_ns()};
  s.conn->send(
      std::make_shared<const std::string>(send_message_frame(p, size, name_of(i))));
  ++messages_sent_;
}

// Runs `step` for slot i in `seconds`, unless the slot has a newer connection by then or
// the load has stopped. One pending step per slot: a new one replaces it.
void SoakRun::after(std::uint32_t i, double seconds,
                    void (SoakRun::*step)(std::uint32_t)) {
  Slot& s = slots_[i];
  if (!s.timer)
    s.timer = std::make_unique<asio::steady_timer>(ioc_);
  s.timer->expires_after(to_duration(seconds));
  s.timer->async_wait([this, i, step, gen = s.gen](const boost::system::error_code& ec) {
    if (ec || stopping_ || slots_[i].gen != gen)
      return;
    (this->*step)(i);
  });
}

void SoakRun::on_open(WsConnection& c) {
  Slot* s = current(c);
  if (!s)
    return;
  s->open = true;
  ++opened_;
  ++open_now_;
}

void SoakRun::on_connect_failed(WsConnection& c, std::string_view stage,
                                const std::string& error, int http_status) {
  Slot* s = current(c);
  if (!s)
    return;
  ++connect_errors_;
  bump(connect_error_kinds_,
       std::string(role_name(s->role)) + " " + std::string(stage) + ": " +
           (http_status ? "HTTP " + std::to_string(http_status) : error));
  s->conn.reset();
  const auto i = c.id();
  settle_population(*s);
  if (s->role == Role::conn_churn) {
    s->in_use = false;
    free_.push_back(i);
  } else if (s->role == Role::slow && loading_ && !stopping_) {
    after(i, uniform(1, 3), &SoakRun::slow_reconnect);
  }
}

void SoakRun::on_closed(WsConnection& c, CloseKind kind, int close_code,
                        const std::string&) {
  Slot* sp = current(c);
  if (!sp)
    return;
  Slot& s = *sp;
  const auto i = c.id();
  s.open = false;
  --open_now_;
  const bool by_server = kind == CloseKind::by_server;
  if (kind != CloseKind::by_us) {
    bump(close_codes_,
         std::string(role_name(s.role)) + ":" +
             (by_server ? std::to_string(close_code) : std::string("none")));
    bool expected = false;
    if (s.role == Role::slow && by_server && close_code == 1013) {
      ++slow_1013_;
      expected = true;
    } else if (s.role == Role::slow && !by_server) {
      ++slow_dropped_; // cut: no pong while it did not read, or its 1013 could not leave
      expected = true;
    } else if (s.bad && by_server && close_code == 1008) {
      ++bad_closed_1008_;
      expected = true;
    }
    if (!expected)
      ++unexpected_closes_;
    if (s.role == Role::stable)
      ++stable_closed_;
  }
  if (!s.pending.empty())
    ++changes_abandoned_;
  s.pending.clear();
  if (s.timer)
    s.timer->cancel();
  s.conn.reset();
  ++s.gen; // the role's pending step belonged to this connection
  settle_population(s);
  switch (s.role) {
  case Role::slow:
    fold_slow(s);
    if (loading_ && !stopping_)
      after(i, uniform(1, 3), &SoakRun::slow_reconnect);
    break;
  case Role::conn_churn:
    s.in_use = false;
    free_.push_back(i);
    break;
  case Role::stable:
  case Role::room_churn:
    break; // they do not come back: the close was counted
  }
}

// No frame may name a room the client is not in (by its last welcome or room_changed).
void SoakRun::check_room(const Slot& s, std::string_view room) {
  if (room.empty() || room == s.room)
    return;
  ++wrong_room_;
  if (room == s.previous)
    ++old_room_after_change_;
}

void SoakRun::on_message(Slot& s, std::string_view text, std::string_view room) {
  ++deliveries_;
  check_room(s, room);
  Probe p;
  if (!parse_probe(text, p) || p.sender >= n_) {
    ++foreign_;
    return;
  }
  if (s.role != Role::stable && s.role != Role::slow)
    return;
  // Before its move (general, where connection churn clients chat) nothing is tracked.
  if (s.room != rooms_[s.home].name)
    return;
  const Slot& from = slots_[p.sender];
  const bool slow = s.role == Role::slow;
  if (from.role != Role::stable || from.home != s.home) {
    ++(slow ? slow_misrouted_ : misrouted_);
    return;
  }
  if (s.from.size() != rooms_[s.home].voices.size())
    s.from.resize(rooms_[s.home].voices.size());
  if (s.from[from.voice].mark(p.seq) == SeqTracker::Seen::duplicate) {
    ++(slow ? slow_duplicates_ : duplicates_);
    return;
  }
  if (slow) {
    if (s.tracking && p.seq >= s.base[from.voice])
      ++s.counted[from.voice];
    return;
  }
  if (s.ready)
    ++stable_unique_;
  const std::uint64_t t = now_ns();
  latency_.record(t > p.sent_ns ? (t - p.sent_ns) / 1000 : 0);
}

void SoakRun::on_room_changed(std::uint32_t i, std::string_view room) {
  Slot& s = slots_[i];
  if (s.pending.empty() || room != s.pending)
    ++unexpected_room_changed_;
  else
    ++changes_ok_;
  s.previous = std::move(s.room);
  s.room = std::string(room);
  s.pending.clear();
  settle_population(s);
  if (s.role != Role::slow || s.room != rooms_[s.home].name)
    return;
  // From here on this connection must get every message its room's voices send: the
  // server joined it before answering, and what is sent from now on is published after.
  const StableRoom& r = rooms_[s.home];
  s.tracking = true;
  s.from.assign(r.voices.size(), SeqTracker{});
  s.base.resize(r.voices.size());
  s.counted.assign(r.voices.size(), 0);
  for (std::size_t k = 0; k < r.voices.size(); ++k)
    s.base[k] = sent_by_slot_[r.voices[k]];
  if (loading_ && !stopping_)
    after(i, uniform(2, 10), &SoakRun::slow_pause);
}

void SoakRun::on_text(WsConnection& c, std::string_view frame) {
  thread_local EventParser parser;
  Slot* sp = current(c);
  if (!sp)
    return;
  Slot& s = *sp;
  const auto i = c.id();
  ++frames_;
  last_frame_ns_.store(now_ns(), std::memory_order_relaxed);
  const Event ev = parser.parse(frame);
  switch (ev.type) {
  case EventType::new_message:
    on_message(s, ev.message, ev.room);
    return;
  case EventType::welcome:
    if (s.welcomed)
      return;
    s.welcomed = true;
    ++welcomed_;
    s.room = std::string(ev.room);
    switch (s.role) {
    case Role::stable:
    case Role::slow:
      ask_room(i, rooms_[s.home].name);
      break;
    case Role::room_churn:
      ask_room(i, random_churn_room({}));
      break;
    case Role::conn_churn:
      churn_welcome(i);
      break;
    }
    return;
  case EventType::room_changed:
    on_room_changed(i, ev.room);
    return;
  case EventType::error: {
    const std::string_view code =
        ev.code.empty() ? std::string_view("(no code)") : ev.code;
    if (s.bad && code == "bad_json")
      bump(errors_on_purpose_, code);
    else
      bump(errors_, std::string(role_name(s.role)) + ":" + std::string(code));
    return;
  }
  case EventType::ack: // the soak sends no refs
  case EventType::other:
    check_room(s, ev.room);
    bump(events_, ev.type_name);
    return;
  case EventType::bad_json:
    ++bad_frames_;
    return;
  }
}

void SoakRun::start_load() {
  loading_ = true;
  for (StableRoom& r : rooms_) {
    r.ready = 0;
    for (std::uint32_t v : r.voices) {
      Slot& s = slots_[v];
      s.ready = s.open && s.room == r.name;
      if (s.ready)
        ++r.ready;
    }
  }
  const auto t0 = Clock::now() + std::chrono::milliseconds(20);
  for (std::size_t k = 0; k < rooms_.size(); ++k) {
    StableRoom& r = rooms_[k];
    const double rate = r.busy ? o_.busy_rate : o_.room_rate;
    if (rate <= 0 || r.voices.empty())
      continue;
    r.period = to_duration(1 / rate);
    // Stagger the rooms over one period so the total rate is even, not bursty.
    r.next = t0 + std::chrono::duration_cast<Clock::duration>(
                      r.period *
                      (static_cast<double>(k) / static_cast<double>(rooms_.size())));
    r.timer = std::make_unique<asio::steady_timer>(ioc_);
    arm(r);
  }
  for (std::uint32_t i = 0; i < n_; ++i) {
    Slot& s = slots_[i];
    if (s.role == Role::room_churn && s.open)
      after(i, uniform(0, 4), &SoakRun::churn_step);
    if (s.role == Role::slow && s.open && s.tracking)
      after(i, uniform(2, 10), &SoakRun::slow_pause);
    if (s.role == Role::slow && !s.conn)
      after(i, uniform(1, 3), &SoakRun::slow_reconnect);
  }
  if (conn_slots_ > 0 && o_.connect_rate > 0) {
    launch_period_ = to_duration(1 / o_.connect_rate);
    next_launch_ = t0;
    launcher_ = std::make_unique<asio::steady_timer>(ioc_);
    launch_tick();
  }
}

void SoakRun::stop_load() {
  stopping_ = true;
  for (StableRoom& r : rooms_)
    if (r.timer)
      r.timer->cancel();
  if (launcher_)
    launcher_->cancel();
  for (Slot& s : slots_) {
    if (s.timer)
      s.timer->cancel();
    // Slow readers read again, so that those still open can be checked for every message.
    if (s.role == Role::slow && s.conn)
      s.conn->set_reading(true);
  }
}

void SoakRun::tick(StableRoom& r) {
  const auto now = Clock::now();
  int burst = 0;
  // Everything due by now (a late timer catches up, at most 100 at once): the offered
  // rate holds even when a wake-up comes late.
  while (!stopping_ && r.next <= now && burst < 100) {
    const std::uint32_t v = r.voices[r.turn];
    r.turn = (r.turn + 1) % r.voices.size();
    r.next += r.period;
    ++burst;
    const Slot& s = slots_[v];
    if (!s.open || s.room != r.name)
      continue; // a voice the server closed sends no more
    send_probe(v, r.size);
    expected_ += r.ready;
  }
  if (!stopping_)
    arm(r);
}

void SoakRun::arm(StableRoom& r) {
  r.timer->expires_at(r.next);
  r.timer->async_wait([this, &r](const boost::system::error_code& ec) {
    if (!ec && !stopping_)
      tick(r);
  });
}

// Connection churn: one connect per period into a free slot; none free: skipped.
void SoakRun::launch_tick() {
  const auto now = Clock::now();
  int burst = 0;
  while (!stopping_ && next_launch_ <= now && burst < 10) {
    next_launch_ += launch_period_;
    ++burst;
    if (free_.empty()) {
      ++churn_skipped_;
      continue;
    }
    const std::uint32_t i = free_.back();
    free_.pop_back();
    Slot& s = slots_[i];
    s.in_use = true;
    s.bad = ++churn_connects_ % bad_client_every == 0;
    connect(i);
  }
  if (stopping_)
    return;
  launcher_->expires_at(next_launch_);
  launcher_->async_wait([this](const boost::system::error_code& ec) {
    if (!ec && !stopping_)
      launch_tick();
  });
}

void SoakRun::churn_welcome(std::uint32_t i) {
  Slot& s = slots_[i];
  if (s.bad) {
    ++bad_clients_;
    auto junk = std::make_shared<const std::string>("this is not JSON");
    for (int k = 0; k < bad_frames_to_close; ++k)
      s.conn->send(junk);
    after(i, bad_close_wait_s, &SoakRun::bad_deadline);
    return;
  }
  // Half of them chat in a churn room, half in general; a message sent right after
  // change_room must land in the new room.
  if (coin())
    ask_room(i, random_churn_room(s.room));
  send_probe(i, o_.size);
  after(i, uniform(0.5, churn_life_max_), &SoakRun::churn_leave);
}

void SoakRun::churn_leave(std::uint32_t i) {
  Slot& s = slots_[i];
  if (!s.conn)
    return;
  if (coin()) {
    ++churn_closed_;
    s.conn->close(); // close frame 1000, the server answers
  } else {
    ++churn_cut_;
    s.conn->abort(); // the TCP socket cut: the server sees EOF or a reset
  }
}

void SoakRun::bad_deadline(std::uint32_t i) {
  Slot& s = slots_[i];
  if (!s.conn)
    return;
  ++bad_not_closed_;
  s.conn->abort();
}

void SoakRun::churn_step(std::uint32_t i) {
  Slot& s = slots_[i];
  if (!s.open || !s.welcomed)
    return;
  if (s.pending.empty()) {
    ask_room(i, random_churn_room(s.room));
    if (coin())
      send_probe(i, o_.size);
  }
  after(i, uniform(2, 6), &SoakRun::churn_step);
}

void SoakRun::slow_pause(std::uint32_t i) {
  Slot& s = slots_[i];
  if (!s.open)
    return;
  s.conn->set_reading(false);
  ++slow_pauses_;
  after(i, uniform(o_.pause_min, o_.pause_max), &SoakRun::slow_resume);
}

void SoakRun::slow_resume(std::uint32_t i) {
  Slot& s = slots_[i];
  if (!s.open)
    return;
  s.conn->set_reading(true);
  after(i, uniform(2, 10), &SoakRun::slow_pause);
}

void SoakRun::slow_reconnect(std::uint32_t i) {
  if (slots_[i].conn)
    return;
  ++slow_connects_;
  connect(i);
}

// A slow connection ended: keep what its trackers found.
void SoakRun::fold_slow(Slot& s) {
  for (const SeqTracker& t : s.from)
    slow_out_of_order_ += t.out_of_order();
  s.from.clear();
  s.tracking = false;
}

// ---------------------------------------------------------------- control thread

void SoakRun::plan() {
  slots_.resize(n_);
  sent_by_slot_.assign(n_, 0);
  const std::uint32_t room_count = (o_.stable + o_.room_size - 1) / o_.room_size;
  for (std::uint32_t k = 0; k < room_count; ++k) {
    StableRoom r;
    r.busy = k < o_.busy_rooms;
    r.name = "s" + std::to_string(k);
    r.size = r.busy ? o_.busy_size : o_.size;
    rooms_.push_back(std::move(r));
  }
  for (std::uint32_t k = 0; k < o_.churn_rooms; ++k)
    churn_rooms_.push_back("c" + std::to_string(k));
  std::uint32_t i = 0;
  for (; i < o_.stable; ++i) {
    Slot& s = slots_[i];
    s.role = Role::stable;
    s.home = i / o_.room_size;
    s.voice = static_cast<std::uint32_t>(rooms_[s.home].voices.size());
    rooms_[s.home].voices.push_back(i);
    s.from.resize(std::min(o_.room_size, o_.stable - s.home * o_.room_size));
    population_.push_back(i);
  }
  for (std::uint32_t k = 0; k < o_.slow; ++k, ++i) {
    Slot& s = slots_[i];
    s.role = Role::slow;
    s.home = k % o_.busy_rooms;
    rooms_[s.home].slow.push_back(i);
    population_.push_back(i);
  }
  for (std::uint32_t k = 0; k < o_.room_churn; ++k, ++i) {
    slots_[i].role = Role::room_churn;
    population_.push_back(i);
  }
  for (; i < n_; ++i) {
    slots_[i].role = Role::conn_churn;
    slots_[i].settled = true;
    free_.push_back(i);
  }
  conn_slots_ = static_cast<std::uint32_t>(free_.size());
  std::reverse(free_.begin(), free_.end());
  // A client stays 0.5 s .. max, so at connect-rate about 80 % of the slots are in use
  // (mean life 0.8 x slots / rate) and few connects find no free slot.
  if (o_.connect_rate > 0)
    churn_life_max_ =
        std::max(1.0, 1.6 * static_cast<double>(conn_slots_) / o_.connect_rate - 0.5);
}

void SoakRun::progress(const char* phase) {
  if (!o_.quiet)
    std::fprintf(
        stderr,
        "[chat-loadgen soak %.0fs] %s: open=%llu welcomed=%llu connect_errors=%llu "
        "stable=%llu/%llu slow_1013=%llu unexpected_closes=%llu wrong_room=%llu\n",
        seconds_between(t_start_, Clock::now()), phase,
        static_cast<unsigned long long>(open_now_.load()),
        static_cast<unsigned long long>(welcomed_.load()),
        static_cast<unsigned long long>(connect_errors_.load()),
        static_cast<unsigned long long>(stable_unique_.load()),
        static_cast<unsigned long long>(expected_.load()),
        static_cast<unsigned long long>(slow_1013_.load()),
        static_cast<unsigned long long>(unexpected_closes_.load()),
        static_cast<unsigned long long>(wrong_room_.load()));
  last_progress_ = Clock::now();
}

// Polls `done` (every 5 ms) until it holds, `until` passes or the run is out of time.
bool SoakRun::wait_until(const char* phase, Clock::time_point until,
                         const std::function<bool()>& done) {
  for (;;) {
    if (done())
      return true;
    if (out_of_time()) {
      report_->deadline_hit = true;
      return false;
    }
    const auto now = Clock::now();
    if (now >= until)
      return false;
    // While the load runs, the samples are the progress lines.
    if (!t_load_.time_since_epoch().count() &&
        now - last_progress_ >= std::chrono::seconds(1))
      progress(phase);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// Runs f on the io thread and waits for it: what f reads there is then settled.
template <class F> void SoakRun::on_io_and_wait(F f) {
  std::promise<void> done;
  asio::post(ioc_, [&] {
    f();
    done.set_value();
  });
  done.get_future().wait();
}

SoakSample SoakRun::take_sample(double t_s) {
  SoakSample s;
  s.t_s = t_s;
  const auto at = Clock::now();
  const double dt = seconds_between(prev_at_, at);
  std::optional<double> cpu;
  if (o_.server_pid) {
    s.rss_kib = process_rss_kib(*o_.server_pid);
    cpu = process_cpu_seconds(*o_.server_pid);
    if (!s.rss_kib)
      report_->server_died = true;
  }
  const double self = self_cpu_seconds();
  const std::uint64_t deliveries = deliveries_.load(), frames = frames_.load();
  if (t_s > 0 && dt > 0) {
    if (cpu && prev_server_cpu_)
      s.cpu_pct = 100 * (*cpu - *prev_server_cpu_) / dt;
    s.loadgen_cpu_pct = 100 * (self - prev_self_cpu_) / dt;
    s.deliveries_per_s = static_cast<double>(deliveries - prev_deliveries_) / dt;
    s.frames_per_s = static_cast<double>(frames - prev_frames_) / dt;
  }
  prev_server_cpu_ = cpu;
  prev_self_cpu_ = self;
  prev_deliveries_ = deliveries;
  prev_frames_ = frames;
  prev_at_ = at;
  s.connections = healthz_connections(server_ip(), server_.port());
  s.open_clients = open_now_.load();
  s.slow_1013 = slow_1013_.load();
  if (!o_.quiet) {
    auto mib = [](std::optional<long> k) {
      return k ? static_cast<double>(*k) / 1024 : -1.0;
    };
    std::fprintf(
        stderr,
        "[chat-loadgen soak %.0fs] t=%.0fs rss=%.1fMiB cpu=%.0f%% connections=%lld "
        "open=%llu deliveries/s=%.0f frames/s=%.0f loadgen_cpu=%.0f%% stable=%llu/%llu "
        "slow_1013=%llu unexpected_closes=%llu wrong_room=%llu\n",
        seconds_between(t_start_, at), t_s, mib(s.rss_kib), s.cpu_pct.value_or(-1),
        s.connections ? static_cast<long long>(*s.connections) : -1LL,
        static_cast<unsigned long long>(s.open_clients), s.deliveries_per_s,
        s.frames_per_s, s.loadgen_cpu_pct,
        static_cast<unsigned long long>(stable_unique_.load()),
        static_cast<unsigned long long>(expected_.load()),
        static_cast<unsigned long long>(s.slow_1013),
        static_cast<unsigned long long>(unexpected_closes_.load()),
        static_cast<unsigned long long>(wrong_room_.load()));
    last_progress_ = at;
  }
  return s;
}

void SoakRun::close_all() {
  asio::post(ioc_, [this] {
    for (Slot& s : slots_)
      if (s.conn)
        s.conn->close();
  });
  const auto until = Clock::now() + std::chrono::seconds(3);
  while (open_now_.load() > 0 && Clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  asio::post(ioc_, [this] {
    for (Slot& s : slots_)
      if (s.conn)
        s.conn->abort();
  });
}

// Deliveries open slow readers still wait for, plus room changes not yet answered.
std::uint64_t SoakRun::still_missing() const {
  std::uint64_t missing = 0;
  for (const Slot& s : slots_) {
    if (!s.open)
      continue;
    if (!s.pending.empty())
      ++missing;
    if (s.role != Role::slow || !s.tracking)
      continue;
    const StableRoom& room = rooms_[s.home];
    for (std::size_t k = 0; k < room.voices.size(); ++k) {
      const std::uint64_t want = sent_by_slot_[room.voices[k]] - s.base[k];
      if (want > s.counted[k])
        missing += want - s.counted[k];
    }
  }
  return missing;
}

// The accounting, on the io thread, after the drain and before the clients close.
void SoakRun::results(SoakReport& r) {
  for (const StableRoom& room : rooms_) {
    std::uint64_t room_sent = 0;
    for (std::uint32_t v : room.voices)
      room_sent += sent_by_slot_[v];
    r.sent += room_sent;
    for (std::uint32_t v : room.voices) {
      const Slot& s = slots_[v];
      std::uint64_t got = 0;
      for (const SeqTracker& t : s.from) {
        got += t.unique();
        r.out_of_order += t.out_of_order();
      }
      if (!s.ready) {
        ++r.stable_not_ready;
        continue;
      }
      ++r.stable_ready;
      r.expected += room_sent;
      r.unique += got;
      const std::uint64_t lost = room_sent > got ? room_sent - got : 0;
      r.lost += lost;
      if (s.open)
        r.lost_on_open += lost;
    }
    for (std::uint32_t i : room.slow) {
      Slot& s = slots_[i];
      if (!s.open || !s.tracking)
        continue;
      ++r.slow_checked;
      for (std::size_t k = 0; k < room.voices.size(); ++k) {
        const std::uint64_t want = sent_by_slot_[room.voices[k]] - s.base[k];
        r.slow_expected += want;
        if (want > s.counted[k])
          r.slow_lost_on_open += want - s.counted[k];
      }
      fold_slow(s);
    }
  }
  for (const Slot& s : slots_)
    if (s.open && !s.pending.empty())
      ++r.changes_unanswered;
  r.p50_ms = latency_.quantile_us(0.50) / 1000;
  r.p99_ms = latency_.quantile_us(0.99) / 1000;
  r.max_ms = static_cast<double>(latency_.max_us()) / 1000;
}

SoakReport SoakRun::run() {
  SoakReport r;
  report_ = &r;
  r.label = o_.label;
  r.clients = n_;
  r.stable = o_.stable;
  r.slow = o_.slow;
  r.room_churn = o_.room_churn;
  r.busy_rooms = o_.busy_rooms;
  r.churn_rooms = o_.churn_rooms;
  r.seed = o_.seed;
  r.duration_s = o_.duration;
  r.server_pid = o_.server_pid;
  r.max_rss_slope = o_.max_rss_slope;
  r.warmup_s = o_.warmup >= 0 ? o_.warmup : std::min(120.0, o_.duration / 5);
  t_start_ = last_progress_ = Clock::now();
  deadline_ = t_start_ + to_duration(effective_deadline(o_));

  boost::system::error_code ec;
  tcp::resolver resolver(ioc_);
  auto resolved = resolver.resolve(o_.host, std::to_string(o_.port), ec);
  if (ec || resolved.empty()) {
    std::fprintf(stderr, "chat-loadgen: cannot resolve %s: %s\n", o_.host.c_str(),
                 ec.message().c_str());
    r.failures.push_back("cannot resolve " + o_.host);
    r.exit_code = 1;
    return r;
  }
  server_ = resolved.begin()->endpoint();
  host_header_ = o_.host + ":" + std::to_string(o_.port);
  plan();
  r.stable_rooms = static_cast<std::uint32_t>(rooms_.size());
  r.conn_slots = conn_slots_;
  if (o_.server_pid)
    r.rss_kib_start = process_rss_kib(*o_.server_pid);
  const double self_cpu0 = self_cpu_seconds();

  auto work = asio::make_work_guard(ioc_);
  std::thread io([this] { ioc_.run(); });

  // Population: stable and slow readers into their rooms, room churn into churn rooms.
  const auto t_connect = Clock::now();
  asio::post(ioc_, [this] {
    const auto first = std::min<std::size_t>(o_.connect_concurrency, population_.size());
    for (std::size_t k = 0; k < first; ++k)
      launch_population();
  });
  wait_until("connect", t_connect + to_duration(o_.connect_timeout),
             [&] { return population_settled_.load() >= population_.size(); });
  r.connect_s = seconds_between(t_connect, Clock::now());
  progress("connected");
  // The joins' presence events must be written out before the load starts.
  wait_until("settle", Clock::now() + to_duration(o_.settle), [&] {
    return now_ns() - last_frame_ns_.load(std::memory_order_relaxed) >= 300'000'000;
  });
  if (o_.server_pid)
    r.rss_kib_loaded = process_rss_kib(*o_.server_pid);

  // The load, sampled every --sample seconds (the first sample at its start).
  if (!out_of_time()) {
    on_io_and_wait([this] { start_load(); });
    t_load_ = prev_at_ = Clock::now();
    if (o_.server_pid)
      prev_server_cpu_ = process_cpu_seconds(*o_.server_pid);
    prev_self_cpu_ = self_cpu_seconds();
    for (std::uint64_t k = 0;; ++k) {
      const double t = std::min(o_.duration, static_cast<double>(k) * o_.sample);
      wait_until("load", t_load_ + to_duration(t), [] { return false; });
      if (out_of_time())
        break;
      r.samples.push_back(take_sample(t));
      if (r.server_died || t >= o_.duration)
        break;
    }
    r.load_s = seconds_between(t_load_, Clock::now());
    on_io_and_wait([this] { stop_load(); });
    // Drain: every stable delivery in, the slow readers still open caught up (after a
    // long stop that takes seconds: the server's TCP probes a zero window ever more
    // rarely), every room change answered.
    const auto t_drain = Clock::now();
    auto next_check = t_drain;
    if (!r.server_died)
      wait_until("drain", t_drain + to_duration(o_.drain), [&] {
        if (stable_unique_.load() < expected_.load() || Clock::now() < next_check)
          return false;
        next_check = Clock::now() + std::chrono::milliseconds(100);
        std::uint64_t missing = 0;
        on_io_and_wait([&] { missing = still_missing(); });
        return missing == 0;
      });
    r.drain_s = seconds_between(t_drain, Clock::now());
  }
  on_io_and_wait([&] { results(r); });
  // The server's own count of the clients it closed, by reason: a slow reader closed with
  // 1013 whose close frame could not leave within pong-timeout was cut, and looks to the
  // client like a drop for an unanswered ping.
  if (const auto metrics = http_get(server_ip(), server_.port(), "/metrics"))
    r.server_closes = metric_by_label(*metrics, "chat_clients_closed_total", "reason");
  progress("done");

  close_all();
  work.reset();
  const auto stop_by = Clock::now() + std::chrono::seconds(3);
  while (!ioc_.stopped() && Clock::now() < stop_by)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ioc_.stop();
  io.join();

  r.connects = connects_;
  r.opened = opened_;
  r.welcomed = welcomed_;
  r.connect_errors = connect_errors_;
  r.connect_error_kinds = {connect_error_kinds_.begin(), connect_error_kinds_.end()};
  r.close_codes = {close_codes_.begin(), close_codes_.end()};
  r.unexpected_closes = unexpected_closes_;
  r.stable_closed = stable_closed_;
  r.duplicates = duplicates_;
  r.misrouted = misrouted_;
  r.slow_connects = slow_connects_;
  r.slow_pauses = slow_pauses_;
  r.slow_1013 = slow_1013_;
  r.slow_dropped = slow_dropped_;
  r.slow_duplicates = slow_duplicates_;
  r.slow_out_of_order = slow_out_of_order_;
  r.slow_misrouted = slow_misrouted_;
  r.changes_asked = changes_asked_;
  r.changes_ok = changes_ok_;
  r.changes_abandoned = changes_abandoned_;
  r.unexpected_room_changed = unexpected_room_changed_;
  r.wrong_room = wrong_room_;
  r.old_room_after_change = old_room_after_change_;
  r.churn_connects = churn_connects_;
  r.churn_closed = churn_closed_;
  r.churn_cut = churn_cut_;
  r.churn_skipped = churn_skipped_;
  r.bad_clients = bad_clients_;
  r.bad_closed_1008 = bad_closed_1008_;
  r.bad_not_closed = bad_not_closed_;
  r.messages_sent = messages_sent_;
  r.deliveries = deliveries_;
  r.frames = frames_;
  r.foreign = foreign_;
  r.bad_frames = bad_frames_;
  r.errors = {errors_.begin(), errors_.end()};
  r.errors_on_purpose = {errors_on_purpose_.begin(), errors_on_purpose_.end()};
  r.events = {events_.begin(), events_.end()};
  r.loadgen_cpu_s = self_cpu_seconds() - self_cpu0;
  if (g_stop_requested.load())
    r.deadline_hit = true;
  if (o_.server_pid && !process_rss_kib(*o_.server_pid))
    r.server_died = true;
  r.elapsed_s = seconds_between(t_start_, Clock::now());
  judge(r);
  return r;
}

} // namespace

void request_soak_stop() {
  g_stop_requested = true;
}

SoakReport run_soak(const Options& o) {
  SoakRun run(o);
  return run.run();
}

} // namespace bench
