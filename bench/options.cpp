#include "options.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string_view>

namespace bench {

const char* to_string(Mode m) {
  switch (m) {
  case Mode::fanout:
    return "fanout";
  case Mode::idle:
    return "idle";
  case Mode::rooms:
    return "rooms";
  case Mode::soak:
    return "soak";
  }
  return "?";
}

namespace {

const char* const usage_text = R"(usage: chat-loadgen MODE [--flag=value ...]
MODE (or --mode=MODE): fanout | idle | rooms | soak

common:
  --host=H (127.0.0.1)  --port=P (3000)  --path=/ws  --name-prefix=b  --label=TEXT
  --clients=N (1000)        connections; client i connects as ?name=<prefix><i>
  --threads=N (1)           io threads running the one io_context
  --source-addrs=K (auto)   bind sources to 127.0.0.1..127.0.0.K (auto: 1 + clients/16000)
  --connect-concurrency=N (256)  handshakes in flight at once
  --connect-timeout=SEC (60)     the whole connect phase
  --settle=SEC (30)         before sending, wait until no frame arrived for 300 ms (the
                            presence events of the joins), at most this long
  --deadline=SEC (auto)     hard limit for the run: connect-timeout + duration + drain
                            + hold + 30 s; when hit, stops and prints what it has (exit 3)
  --server-pid=PID[,PID...] report server CPU (/proc/PID/stat) and RSS (/proc/PID/status);
                            several (a cluster's nodes): their sums
  --ports=P,Q,...           spread the clients over these ports (client i: the i-th
                            modulo their number), e.g. the nodes of a cluster
  --max-lost=N (-1 = off)   exit 1 when more than N deliveries were lost
  --quiet                   no progress line on stderr
  --ack                     senders ask for an ack (a `ref` on each message): reports the
                            send -> ack latency (with a history store: until committed)
  --tls-ca=FILE             connect with wss:// (a chatd with tls-cert-file), trusting
                            only the PEM certificate(s) in FILE; the certificate must
                            carry --host (name, or IP address SAN); not for soak
  --reference               the server speaks only the original protocol (the Go
                            reference): a connection is in once upgraded (no welcome),
                            no rooms, no acks; fanout, and idle without --chat-clients
fanout (everyone in room general):
  --senders=S (10) --rate=R (100, total msg/s) --duration=SEC (10) --size=BYTES (64)
  --drain=SEC (5)
idle:
  --hold=SEC (10)           hold the connections this long once all are in
  --chat-clients=N (0)      while holding, move N clients to --chat-room and chat there with
  --chat-room=NAME (bench-room)  --senders, --rate, --duration, --size, --drain
rooms (room k = clients k*room-size .. k*room-size+room-size-1, named r<k>):
  --room-size=N (5) --room-rate=R (1, msg/s per room, members take turns) --duration --size
  --drain
soak (one server under churn for --duration, default 600 s; --clients default 2000):
  --stable=N (clients/2)    readers in rooms s<k> of --room-size (20) that never leave and
                            always read: every message sent to their room must arrive, once,
                            in order per sender; members take turns sending --room-rate
                            (2 msg/s per room) messages of --size bytes
  --busy-rooms=N (5)        the first N stable rooms get --busy-rate=R (200 msg/s) messages
                            of --busy-size=BYTES (2000) and the slow readers
  --slow=N (clients/40)     slow readers in the busy rooms: read 2-10 s, stop reading for
                            --pause-min..--pause-max (2..20 s), read again; a 1013 close (or a
                            drop for an unanswered ping) is counted, then they reconnect
  --room-churn=N (clients/4)  change_room among --churn-rooms=N (20) rooms c<k> every 2-6 s,
                            a message after half of the changes; each must get room_changed
  --connect-rate=R (20)     connection churn: connects per second into the rest of --clients
                            (slots); each says something (in general or a churn room) and
                            leaves after a while, by close 1000 or by cutting the socket; one
                            in 50 sends invalid frames until the server closes it with 1008
  --drain=SEC (30)          after the load, at most this long for the stable readers,
                            the open slow readers and the room changes to complete
  --sample=SEC (10)         sample server RSS and CPU (--server-pid), /healthz connections
                            and deliveries/s; --warmup=SEC (min(120, duration/5)) is left out
                            of the RSS trend; fail when its slope exceeds --max-rss-slope=KIB
                            (512 KiB/min), judged when 4 minutes or more follow the warm-up
  --seed=N (1)              the random choices (pauses, rooms, lifetimes)

Durations take plain seconds or a unit: 10, 2.5s, 500ms.
Exit status: 0 ran; 1 nothing was delivered, every connect failed, or --max-lost exceeded
(soak: its verdict failed, "failures" in the JSON line say why); 2 bad flags; 3 the hard
deadline (or SIGINT/SIGTERM) cut the run short.
)";

[[noreturn]] void fail(const std::string& msg) {
  std::fprintf(stderr, "chat-loadgen: %s\n(run chat-loadgen --help for the flags)\n",
               msg.c_str());
  std::exit(2);
}

double parse_seconds(std::string_view key, const std::string& v) {
  std::string num = v;
  double scale = 1;
  if (num.size() > 2 && num.compare(num.size() - 2, 2, "ms") == 0) {
    num.resize(num.size() - 2);
    scale = 0.001;
  } else if (num.size() > 1 && num.back() == 's') {
    num.pop_back();
  }
  char* end = nullptr;
  errno = 0;
  double d = std::strtod(num.c_str(), &end);
  if (num.empty() || errno != 0 || *end != '\0' || !std::isfinite(d) || d < 0)
    fail("--" + std::string(key) +
         " wants a duration >= 0 (e.g. 10, 2.5s, 500ms), got '" + v + "'");
  return d * scale;
}

double parse_double(std::string_view key, const std::string& v, double min) {
  char* end = nullptr;
  errno = 0;
  double d = std::strtod(v.c_str(), &end);
  if (v.empty() || errno != 0 || *end != '\0' || !std::isfinite(d) || d < min)
    fail("--" + std::string(key) + " wants a number >= " + std::to_string(min) +
         ", got '" + v + "'");
  return d;
}

// "a,b,c" -> {"a", "b", "c"} (empty parts are kept, and then fail to parse).
std::vector<std::string> split_commas(const std::string& v) {
  std::vector<std::string> xs;
  std::string::size_type at = 0;
  for (;;) {
    auto comma = v.find(',', at);
    xs.push_back(v.substr(at, comma - at));
    if (comma == std::string::npos)
      return xs;
    at = comma + 1;
  }
}

long long parse_int(std::string_view key, const std::string& v, long long min,
                    long long max) {
  char* end = nullptr;
  errno = 0;
  long long n = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || errno != 0 || *end != '\0' || n < min || n > max)
    fail("--" + std::string(key) + " wants an integer in " + std::to_string(min) + ".." +
         std::to_string(max) + ", got '" + v + "'");
  return n;
}

Mode parse_mode(const std::string& v) {
  if (v == "fanout")
    return Mode::fanout;
  if (v == "idle")
    return Mode::idle;
  if (v == "rooms")
    return Mode::rooms;
  if (v == "soak")
    return Mode::soak;
  fail("unknown mode '" + v + "' (fanout, idle, rooms or soak)");
}

// Soak defaults that depend on other flags, and the checks of the soak's roles.
template <class Given> void finish_soak_options(Options& o, const Given& given) {
  if (!given("--clients="))
    o.clients = 2000;
  if (!given("--duration="))
    o.duration = 600;
  if (!given("--room-size="))
    o.room_size = 20;
  if (!given("--room-rate="))
    o.room_rate = 2;
  if (!given("--drain="))
    o.drain = 30; // slow readers catch up slowly; ends when all did
  if (!given("--stable="))
    o.stable = o.clients / 2;
  if (!given("--slow="))
    o.slow = o.clients / 40;
  if (!given("--room-churn="))
    o.room_churn = o.clients / 4;
  if (o.threads != 1)
    fail("soak runs on one io thread (--threads=1)");
  if (o.stable == 0)
    fail("soak needs --stable >= 1: the stable readers are its loss check");
  if (static_cast<std::uint64_t>(o.stable) + o.slow + o.room_churn > o.clients)
    fail("--stable + --slow + --room-churn (" +
         std::to_string(std::uint64_t{o.stable} + o.slow + o.room_churn) +
         ") must not exceed --clients (" + std::to_string(o.clients) + ")");
  const std::uint32_t rooms = (o.stable + o.room_size - 1) / o.room_size;
  if (o.busy_rooms > rooms)
    o.busy_rooms = rooms;
  if (o.slow > 0 && o.busy_rooms == 0)
    fail("--slow needs --busy-rooms >= 1");
  if (o.pause_max < o.pause_min)
    fail("--pause-max must not be below --pause-min");
  if (o.sample <= 0)
    fail("--sample must be above 0");
  if (o.duration <= 0)
    fail("soak needs --duration above 0");
}

} // namespace

Options parse_options(int argc, char** argv) {
  Options o;
  bool mode_seen = false;
  using Setter = std::function<void(const std::string&)>;
  auto u32 = [](std::string_view k, std::uint32_t& dst, long long min, long long max) {
    return Setter{[k, &dst, min, max](const std::string& v) {
      dst = static_cast<std::uint32_t>(parse_int(k, v, min, max));
    }};
  };
  auto secs = [](std::string_view k, double& dst) {
    return Setter{[k, &dst](const std::string& v) { dst = parse_seconds(k, v); }};
  };
  auto str = [](std::string_view k, std::string& dst) {
    return Setter{[k, &dst](const std::string& v) {
      if (v.empty())
        fail("--" + std::string(k) + " must not be empty");
      dst = v;
    }};
  };
  const std::map<std::string, Setter, std::less<>> setters = {
      {"mode",
       [&](const std::string& v) {
         o.mode = parse_mode(v);
         mode_seen = true;
       }},
      {"host", str("host", o.host)},
      {"port",
       [&](const std::string& v) {
         o.port = static_cast<std::uint16_t>(parse_int("port", v, 1, 65535));
       }},
      {"path", str("path", o.path)},
      {"tls-ca", str("tls-ca", o.tls_ca)},
      {"name-prefix", str("name-prefix", o.name_prefix)},
      {"label", str("label", o.label)},
      {"clients", u32("clients", o.clients, 1, 1000000)},
      {"senders", u32("senders", o.senders, 0, 1000000)},
      {"rate", [&](const std::string& v) { o.rate = parse_double("rate", v, 0); }},
      {"duration", secs("duration", o.duration)},
      {"size", u32("size", o.size, 1, 1 << 20)},
      {"drain", secs("drain", o.drain)},
      {"threads", u32("threads", o.threads, 1, 64)},
      {"hold", secs("hold", o.hold)},
      {"chat-clients", u32("chat-clients", o.chat_clients, 0, 1000000)},
      {"chat-room", str("chat-room", o.chat_room)},
      {"room-size", u32("room-size", o.room_size, 1, 1000000)},
      {"room-rate",
       [&](const std::string& v) { o.room_rate = parse_double("room-rate", v, 0); }},
      {"source-addrs", u32("source-addrs", o.source_addrs, 0, 254)},
      {"connect-concurrency",
       u32("connect-concurrency", o.connect_concurrency, 1, 1000000)},
      {"connect-timeout", secs("connect-timeout", o.connect_timeout)},
      {"deadline", secs("deadline", o.deadline)},
      {"settle", secs("settle", o.settle)},
      {"server-pid",
       [&](const std::string& v) {
         for (const auto& pid : split_commas(v))
           o.server_pids.push_back(
               static_cast<int>(parse_int("server-pid", pid, 1, 1 << 30)));
         o.server_pid = o.server_pids.front();
       }},
      {"ports",
       [&](const std::string& v) {
         for (const auto& port : split_commas(v))
           o.ports.push_back(
               static_cast<std::uint16_t>(parse_int("ports", port, 1, 65535)));
       }},
      {"max-lost",
       [&](const std::string& v) {
         o.max_lost = parse_int("max-lost", v, -1, 1LL << 62);
       }},
      {"stable", u32("stable", o.stable, 0, 1000000)},
      {"busy-rooms", u32("busy-rooms", o.busy_rooms, 0, 1000000)},
      {"busy-rate",
       [&](const std::string& v) { o.busy_rate = parse_double("busy-rate", v, 0); }},
      {"busy-size", u32("busy-size", o.busy_size, 1, 1 << 20)},
      {"slow", u32("slow", o.slow, 0, 1000000)},
      {"pause-min", secs("pause-min", o.pause_min)},
      {"pause-max", secs("pause-max", o.pause_max)},
      {"room-churn", u32("room-churn", o.room_churn, 0, 1000000)},
      {"churn-rooms", u32("churn-rooms", o.churn_rooms, 1, 1000000)},
      {"connect-rate",
       [&](const std::string& v) {
         o.connect_rate = parse_double("connect-rate", v, 0);
       }},
      {"sample", secs("sample", o.sample)},
      {"warmup", secs("warmup", o.warmup)},
      {"max-rss-slope",
       [&](const std::string& v) {
         o.max_rss_slope = parse_double("max-rss-slope", v, 0);
       }},
      {"seed",
       [&](const std::string& v) {
         o.seed = static_cast<std::uint64_t>(parse_int("seed", v, 0, 1LL << 62));
       }},
  };

  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(usage_text, stdout);
      std::exit(0);
    }
    if (arg == "--quiet") {
      o.quiet = true;
      continue;
    }
    if (arg == "--ack") {
      o.ack = true;
      continue;
    }
    if (arg == "--reference") {
      o.reference = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) {
      if (mode_seen)
        fail("unexpected argument '" + arg + "'");
      o.mode = parse_mode(arg);
      mode_seen = true;
      continue;
    }
    auto eq = arg.find('=');
    if (eq == std::string::npos)
      fail("flag '" + arg + "' needs a value: write it as " + arg + "=VALUE");
    std::string key = arg.substr(2, eq - 2);
    std::string value = arg.substr(eq + 1);
    auto it = setters.find(key);
    if (it == setters.end())
      fail("unknown flag '--" + key + "'");
    it->second(value);
  }

  if (o.path.empty() || o.path.front() != '/')
    fail("--path must start with '/'");
  auto given = [&](std::string_view flag) {
    return std::any_of(argv + 1, argv + argc, [flag](const char* a) {
      return std::string_view(a).rfind(flag, 0) == 0;
    });
  };
  if (o.mode == Mode::soak && !o.tls_ca.empty())
    fail("--tls-ca is for fanout, idle and rooms; soak speaks ws:// only");
  if (o.mode == Mode::soak)
    finish_soak_options(o, given);
  if (o.reference && (o.mode == Mode::rooms || o.mode == Mode::soak))
    fail("--reference: the reference server has no rooms (fanout and idle only)");
  if (o.reference && o.chat_clients > 0)
    fail("--reference: the reference server has no rooms for --chat-clients");
  if (o.reference && o.ack)
    fail("--reference: the reference server sends no acks");
  if (!given("--senders="))
    o.senders = std::min(o.senders, o.clients);
  if (o.mode == Mode::fanout && o.senders > o.clients)
    fail("--senders (" + std::to_string(o.senders) + ") must not exceed --clients (" +
         std::to_string(o.clients) + ")");
  if (o.mode == Mode::idle && o.chat_clients > o.clients)
    fail("--chat-clients must not exceed --clients");
  if (o.mode == Mode::idle && o.chat_clients > 0 && o.senders > o.chat_clients)
    o.senders = o.chat_clients;
  if (o.mode == Mode::rooms && o.room_size > o.clients)
    fail("--room-size must not exceed --clients");
  if (o.mode == Mode::fanout && o.senders == 0)
    fail("fanout needs --senders >= 1");
  if (o.source_addrs == 0)
    o.source_addrs = 1 + o.clients / 16000;
  return o;
}

double effective_deadline(const Options& o) {
  if (o.deadline > 0)
    return o.deadline;
  double d = o.connect_timeout + 30;
  switch (o.mode) {
  case Mode::fanout:
  case Mode::rooms:
    d += o.settle + o.duration + o.drain + 10;
    break;
  case Mode::idle:
    d += o.hold;
    if (o.chat_clients > 0)
      d += o.settle + o.duration + o.drain + 20;
    break;
  case Mode::soak:
    d += o.settle + o.duration + o.drain + 30;
    break;
  }
  return d;
}

} // namespace bench
