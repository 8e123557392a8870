#include "report.hpp"

#include "json_line.hpp"

namespace bench {

std::string to_json_line(const Report& r) {
  JsonLine o;
  o.str("mode", r.mode);
  if (!r.label.empty())
    o.str("label", r.label);
  o.num("clients", std::uint64_t{r.clients});
  o.num("threads", std::uint64_t{r.threads});
  o.num("source_addrs", std::uint64_t{r.source_addrs});
  o.num("opened", r.opened);
  o.num("welcomed", r.welcomed);
  o.num("connect_errors", r.connect_errors);
  if (!r.connect_error_kinds.empty())
    o.counts("connect_error_kinds", r.connect_error_kinds);
  o.num("connect_s", r.connect_s);
  o.num("handshakes_per_s", r.handshakes_per_s);
  o.num("settle_s", r.settle_s);
  if (r.load) {
    o.num("senders", r.senders);
    if (r.rooms)
      o.num("rooms", r.rooms);
    if (r.room_size)
      o.num("room_size", r.room_size);
    o.num("receivers", r.receivers);
    o.num("duration_s", r.duration_s);
    o.num("send_s", r.send_s);
    o.num("offered_msgs_per_s", r.offered_msgs_per_s);
    o.num("offered_deliveries_per_s", r.offered_deliveries_per_s);
    o.num("deliveries_per_s", r.deliveries_per_s);
    o.num("sent", r.sent);
    o.num("expected", r.expected);
    o.num("received", r.received);
    o.num("unique", r.unique);
    o.num("lost", r.lost);
    o.num("lost_on_open", r.lost_on_open);
    o.num("duplicates", r.duplicates);
    o.num("out_of_order", r.out_of_order);
    o.num("misrouted", r.misrouted);
    o.num("foreign", r.foreign);
    o.num("p50_ms", r.p50_ms);
    o.num("p90_ms", r.p90_ms);
    o.num("p99_ms", r.p99_ms);
    o.num("p999_ms", r.p999_ms);
    o.num("max_ms", r.max_ms);
    o.num("mean_ms", r.mean_ms);
    o.num("drain_s", r.drain_s);
    if (r.ack_p50_ms) {
      o.num("acks", r.acks);
      o.num("ack_p50_ms", *r.ack_p50_ms);
      o.num("ack_p99_ms", *r.ack_p99_ms);
    }
  }
  if (r.hold_s > 0)
    o.num("hold_s", r.hold_s);
  o.num("closed_by_server", r.closed_by_server);
  o.counts("close_codes", r.close_codes);
  o.num("dropped", r.dropped);
  o.counts("errors", r.errors);
  o.counts("events", r.events);
  o.num("bad_frames", r.bad_frames);
  if (r.server_pid) {
    o.num("server_pid", static_cast<std::uint64_t>(*r.server_pid));
    o.opt("server_cpu_s", r.server_cpu_s);
    o.opt("server_cpu_pct", r.server_cpu_pct);
    o.opt("server_cpu_us_per_delivery", r.server_cpu_us_per_delivery);
    o.opt("server_user_s", r.server_user_s);
    o.opt("server_sys_s", r.server_sys_s);
    o.opt("server_user_us_per_delivery", r.server_user_us_per_delivery);
    o.opt("server_sys_us_per_delivery", r.server_sys_us_per_delivery);
    o.opt("handshake_cpu_user_us", r.handshake_cpu_user_us);
    o.opt("handshake_cpu_sys_us", r.handshake_cpu_sys_us);
    o.opt("server_rss_kib_start", r.rss_kib_start);
    o.opt("server_rss_kib_connected", r.rss_kib_connected);
    o.opt("server_rss_kib_end", r.rss_kib_end);
    o.opt("server_kib_per_conn", r.kib_per_conn);
    if (r.hold_server_cpu_pct)
      o.opt("hold_server_cpu_pct", r.hold_server_cpu_pct);
  }
  o.num("loadgen_cpu_s", r.loadgen_cpu_s);
  o.num("loadgen_cpu_pct", r.loadgen_cpu_pct);
  o.num("measured_s", r.measured_s);
  o.num("elapsed_s", r.elapsed_s);
  o.boolean("deadline_hit", r.deadline_hit);
  o.num("exit_code", static_cast<double>(r.exit_code));
  return o.done();
}

} // namespace bench
