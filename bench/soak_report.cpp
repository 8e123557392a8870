#include "soak_report.hpp"

#include "json_line.hpp"
#include "trend.hpp"

#include <algorithm>

namespace bench {

namespace {

std::string count_text(std::uint64_t n, const char* what) {
  return std::to_string(n) + " " + what;
}

} // namespace

void judge(SoakReport& r) {
  // The trend leaves out the warm-up: rooms, histories (100 messages each), malloc's
  // arenas and the kernel's socket buffers fill to their working size first.
  std::vector<double> t_min, rss;
  for (const SoakSample& s : r.samples) {
    if (s.t_s < r.warmup_s || !s.rss_kib)
      continue;
    t_min.push_back(s.t_s / 60);
    rss.push_back(static_cast<double>(*s.rss_kib));
    r.rss_min_kib = std::min(r.rss_min_kib.value_or(*s.rss_kib), *s.rss_kib);
    r.rss_max_kib = std::max(r.rss_max_kib.value_or(*s.rss_kib), *s.rss_kib);
  }
  if (t_min.size() >= 3)
    r.rss_slope_kib_per_min = least_squares_slope(t_min, rss);
  // A trend needs time: over a minute or two, the rooms' histories still filling (the
  // quiet rooms take a minute or more to reach history-size) and the slow readers'
  // queues (up to 1 MiB each, coming and going) make a slope of noise.
  r.rss_trend_judged = r.rss_slope_kib_per_min && !t_min.empty() &&
                       (t_min.back() - t_min.front()) * 60 >= min_trend_window_s;
  double cpu = 0;
  std::size_t cpu_n = 0;
  for (const SoakSample& s : r.samples)
    if (s.cpu_pct) {
      cpu += *s.cpu_pct;
      ++cpu_n;
    }
  if (cpu_n > 0)
    r.server_cpu_pct_mean = cpu / static_cast<double>(cpu_n);

  auto& f = r.failures;
  if (r.server_died)
    f.push_back("the server died");
  if (r.unique == 0)
    f.push_back("no stable reader received anything");
  if (r.stable_not_ready)
    f.push_back(
        count_text(r.stable_not_ready, "stable readers never got into their room"));
  if (r.lost)
    f.push_back(count_text(r.lost, "deliveries lost by stable readers"));
  if (r.duplicates)
    f.push_back(count_text(r.duplicates, "duplicate deliveries to stable readers"));
  if (r.out_of_order)
    f.push_back(count_text(r.out_of_order,
                           "deliveries out of order (per sender) to stable readers"));
  if (r.misrouted)
    f.push_back(count_text(r.misrouted, "messages from another room at stable readers"));
  if (r.stable_closed)
    f.push_back(count_text(r.stable_closed, "stable readers closed by the server"));
  if (r.slow_lost_on_open)
    f.push_back(count_text(r.slow_lost_on_open,
                           "deliveries lost by slow readers the server did not close"));
  if (r.slow_duplicates)
    f.push_back(count_text(r.slow_duplicates, "duplicate deliveries to slow readers"));
  if (r.slow_out_of_order)
    f.push_back(
        count_text(r.slow_out_of_order, "deliveries out of order to slow readers"));
  if (r.slow_misrouted)
    f.push_back(
        count_text(r.slow_misrouted, "messages from another room at slow readers"));
  if (r.wrong_room)
    f.push_back(count_text(r.wrong_room, "frames of a room the client was not in"));
  if (r.changes_unanswered)
    f.push_back(count_text(r.changes_unanswered, "change_room without room_changed"));
  if (r.unexpected_room_changed)
    f.push_back(count_text(r.unexpected_room_changed, "room_changed nobody asked for"));
  std::uint64_t errors = 0;
  for (const auto& [code, n] : r.errors)
    errors += n;
  if (errors)
    f.push_back(count_text(errors, "error events not caused on purpose"));
  if (r.unexpected_closes)
    f.push_back(count_text(r.unexpected_closes, "unexpected closes by the server"));
  if (r.connect_errors)
    f.push_back(count_text(r.connect_errors, "failed connects"));
  if (r.bad_not_closed)
    f.push_back(
        count_text(r.bad_not_closed, "invalid-frame clients not closed with 1008"));
  if (r.rss_trend_judged && *r.rss_slope_kib_per_min > r.max_rss_slope)
    f.push_back("server RSS grows " + JsonLine::number(*r.rss_slope_kib_per_min) +
                " KiB/min after warm-up (limit " + JsonLine::number(r.max_rss_slope) +
                ")");

  if (r.deadline_hit)
    r.exit_code = 3;
  else
    r.exit_code = f.empty() ? 0 : 1;
}

std::string to_json_line(const SoakReport& r) {
  JsonLine o;
  o.str("mode", "soak");
  if (!r.label.empty())
    o.str("label", r.label);
  o.str("verdict", r.exit_code == 0 ? "pass" : r.exit_code == 3 ? "cut short" : "fail");
  {
    boost::json::array reasons;
    for (const auto& s : r.failures)
      reasons.emplace_back(s);
    o.raw("failures", boost::json::serialize(reasons));
  }
  o.num("clients", std::uint64_t{r.clients});
  o.num("stable", std::uint64_t{r.stable});
  o.num("slow", std::uint64_t{r.slow});
  o.num("room_churn", std::uint64_t{r.room_churn});
  o.num("conn_slots", std::uint64_t{r.conn_slots});
  o.num("stable_rooms", std::uint64_t{r.stable_rooms});
  o.num("busy_rooms", std::uint64_t{r.busy_rooms});
  o.num("churn_rooms", std::uint64_t{r.churn_rooms});
  o.num("seed", r.seed);
  o.num("duration_s", r.duration_s);
  o.num("load_s", r.load_s);
  o.num("connect_s", r.connect_s);
  o.num("drain_s", r.drain_s);
  o.num("elapsed_s", r.elapsed_s);

  o.num("connects", r.connects);
  o.num("opened", r.opened);
  o.num("welcomed", r.welcomed);
  o.num("connect_errors", r.connect_errors);
  if (!r.connect_error_kinds.empty())
    o.counts("connect_error_kinds", r.connect_error_kinds);
  o.counts("close_codes", r.close_codes);
  o.num("unexpected_closes", r.unexpected_closes);

  o.num("stable_ready", r.stable_ready);
  o.num("stable_not_ready", r.stable_not_ready);
  o.num("stable_closed", r.stable_closed);
  o.num("sent", r.sent);
  o.num("expected", r.expected);
  o.num("unique", r.unique);
  o.num("lost", r.lost);
  o.num("lost_on_open", r.lost_on_open);
  o.num("duplicates", r.duplicates);
  o.num("out_of_order", r.out_of_order);
  o.num("misrouted", r.misrouted);
  o.num("p50_ms", r.p50_ms);
  o.num("p99_ms", r.p99_ms);
  o.num("max_ms", r.max_ms);

  o.num("slow_connects", r.slow_connects);
  o.num("slow_pauses", r.slow_pauses);
  o.num("slow_1013", r.slow_1013);
  o.num("slow_dropped", r.slow_dropped);
  o.num("slow_checked", r.slow_checked);
  o.num("slow_expected", r.slow_expected);
  o.num("slow_lost_on_open", r.slow_lost_on_open);
  o.num("slow_duplicates", r.slow_duplicates);
  o.num("slow_out_of_order", r.slow_out_of_order);
  o.num("slow_misrouted", r.slow_misrouted);

  o.num("changes_asked", r.changes_asked);
  o.num("changes_ok", r.changes_ok);
  o.num("changes_unanswered", r.changes_unanswered);
  o.num("changes_abandoned", r.changes_abandoned);
  o.num("unexpected_room_changed", r.unexpected_room_changed);
  o.num("wrong_room", r.wrong_room);
  o.num("old_room_after_change", r.old_room_after_change);

  o.num("churn_connects", r.churn_connects);
  o.num("churn_closed", r.churn_closed);
  o.num("churn_cut", r.churn_cut);
  o.num("churn_skipped", r.churn_skipped);
  o.num("bad_clients", r.bad_clients);
  o.num("bad_closed_1008", r.bad_closed_1008);
  o.num("bad_not_closed", r.bad_not_closed);

  o.num("messages_sent", r.messages_sent);
  o.num("deliveries", r.deliveries);
  o.num("frames", r.frames);
  o.num("foreign", r.foreign);
  o.num("bad_frames", r.bad_frames);
  o.counts("errors", r.errors);
  o.counts("errors_on_purpose", r.errors_on_purpose);
  o.counts("events", r.events);

  if (r.server_pid)
    o.num("server_pid", static_cast<std::uint64_t>(*r.server_pid));
  o.boolean("server_died", r.server_died);
  o.counts("server_closes", r.server_closes);
  o.opt("server_rss_kib_start", r.rss_kib_start);
  o.opt("server_rss_kib_loaded", r.rss_kib_loaded);
  o.num("warmup_s", r.warmup_s);
  o.opt("rss_slope_kib_per_min", r.rss_slope_kib_per_min);
  o.boolean("rss_trend_judged", r.rss_trend_judged);
  o.num("max_rss_slope_kib_per_min", r.max_rss_slope);
  o.opt("rss_min_kib", r.rss_min_kib);
  o.opt("rss_max_kib", r.rss_max_kib);
  if (r.rss_min_kib && r.rss_max_kib)
    o.num("rss_max_min_kib", static_cast<double>(*r.rss_max_kib - *r.rss_min_kib));
  o.opt("server_cpu_pct_mean", r.server_cpu_pct_mean);
  o.num("loadgen_cpu_s", r.loadgen_cpu_s);
  o.boolean("deadline_hit", r.deadline_hit);
  o.num("exit_code", static_cast<double>(r.exit_code));

  // Last, so the flat fields above stay easy to grep: one flat object per sample.
  std::string samples = "[";
  for (const SoakSample& s : r.samples) {
    JsonLine x;
    x.num("t_s", s.t_s);
    x.opt("rss_kib", s.rss_kib);
    x.opt("cpu_pct", s.cpu_pct);
    x.opt("connections", s.connections);
    x.num("open_clients", s.open_clients);
    x.num("deliveries_per_s", s.deliveries_per_s);
    x.num("frames_per_s", s.frames_per_s);
    x.num("loadgen_cpu_pct", s.loadgen_cpu_pct);
    x.num("slow_1013", s.slow_1013);
    if (samples.size() > 1)
      samples += ',';
    samples += x.done();
  }
  samples += ']';
  o.raw("samples", samples);
  return o.done();
}

} // namespace bench
