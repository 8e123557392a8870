#include "actors/amqp_bridge.hpp"

#include "base/log.hpp"
#include "messages/actor_errors.hpp"
#include "messages/codec.hpp"
#include "messages/names.hpp"

#include <boost/json.hpp>
#include <caf/all.hpp>
#include <set>

namespace chat {

namespace {

// The actor's own turns: read the broker (while connected), connect again (while not).
// Each carries the connection's generation, so that a turn of a connection that went
// does nothing.
struct amqp_poll {
  std::uint64_t generation = 0;
};
struct amqp_reconnect {};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, amqp_poll& x) {
  return f(caf::meta::type_name("amqp_poll"), x.generation);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, amqp_reconnect&) {
  return f(caf::meta::type_name("amqp_reconnect"));
}

using bridge_impl =
    amqp_actor::extend<caf::reacts_to<amqp_poll>, caf::reacts_to<amqp_reconnect>>;

struct bridge_state {
  std::unique_ptr<amqp_link> link;
  std::string where; // host:port vhost, for the log
  limits lim;
  std::shared_ptr<metrics> counters;
  router_actor router;
  // Each connection is one generation: deliveries of one that went are not settled
  // (the broker has requeued them) and its unconfirmed publishes count as dropped.
  std::uint64_t generation = 0;
  std::set<std::uint64_t> unconfirmed;
  limits::duration backoff{};
  bool logged_down = false; // "cannot connect" once per outage, not per attempt
  static inline const char* name = "amqp_bridge";
};

using bridge_pointer = bridge_impl::stateful_pointer<bridge_state>;

void set_state(bridge_pointer self, metrics::amqp_state s) {
  self->state.counters->amqp.store(s, std::memory_order_relaxed);
}

void count(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) {
  c.fetch_add(n, std::memory_order_relaxed);
}

void schedule_reconnect(bridge_pointer self) {
  auto& st = self->state;
  self->delayed_send(self, st.backoff, amqp_reconnect{});
  st.backoff = std::min(st.backoff * 2, st.lim.amqp_backoff_max);
}

// The connection went: what it had not confirmed is lost, and a new one is tried.
void connection_lost(bridge_pointer self) {
  auto& st = self->state;
  log_warning("amqp: lost the broker at " + st.where + ": " + st.link->last_error() +
              "; reconnecting");
  count(st.counters->amqp_dropped, st.unconfirmed.size());
  st.unconfirmed.clear();
  ++st.generation;
  st.link->close();
  set_state(self, metrics::amqp_state::down);
  st.backoff = st.lim.amqp_backoff_min;
  schedule_reconnect(self);
}

void connect(bridge_pointer self) {
  auto& st = self->state;
  if (!st.link->open()) {
    if (!st.logged_down)
      log_warning("amqp: cannot connect to " + st.where + ": " + st.link->last_error() +
                  " (retrying with backoff)");
    st.logged_down = true;
    set_state(self, metrics::amqp_state::down);
    schedule_reconnect(self);
    return;
  }
  log_info("amqp: connected to " + st.where);
  st.logged_down = false;
  st.backoff = st.lim.amqp_backoff_min;
  ++st.generation;
  set_state(self, metrics::amqp_state::connected);
  self->send(self, amqp_poll{st.generation});
}

// A post from the inbound queue: {"room": ..., "from": ..., "message": ...}, checked by
// the REST API's rules. Returns the room and the message, or nothing when invalid.
std::optional<std::pair<std::string, send_message>> decode_post(const std::string& body,
                                                                const limits& lim) {
  if (body.size() > lim.http_body_bytes)
    return std::nullopt;
  boost::json::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec || !v.is_object())
    return std::nullopt;
  const auto* room = v.get_object().if_contains("room");
  if (!room || !room->is_string() || !valid_room_name(room->get_string()))
    return std::nullopt;
  auto d = decode_payload("send_message", body, lim);
  auto* ev = std::get_if<client_event>(&d);
  if (!ev)
    return std::nullopt;
  return std::make_pair(std::string{room->get_string()},
                        std::get<send_message>(std::move(ev->body)));
}

// Settles a delivery of connection `generation`, unless that connection went (then the
// broker has put it back in the queue already).
void settle(bridge_pointer self, std::uint64_t generation, std::uint64_t tag, bool ack,
            bool requeue) {
  auto& st = self->state;
  if (generation != st.generation || !st.link->is_open())
    return;
  if (!(ack ? st.link->ack(tag) : st.link->reject(tag, requeue)))
    connection_lost(self);
}

// Posts into the room like the REST API does (the room is created when needed); the
// broker gets its ack once the room answered with the sequenced message.
void post(bridge_pointer self, std::uint64_t tag, const std::string& body) {
  auto& st = self->state;
  auto decoded = decode_post(body, st.lim);
  if (!decoded) {
    // Not requeued: a dead-letter exchange (a queue policy) may keep it.
    count(st.counters->amqp_rejected);
    log_debug("amqp: rejected an invalid post of " + std::to_string(body.size()) +
              " bytes");
    settle(self, st.generation, tag, false, false);
    return;
  }
  auto room = std::move(decoded->first);
  auto& m = decoded->second;
  auto from = m.from.empty() ? std::string{"amqp"} : m.from;
  auto generation = st.generation;
  auto failed = [self, generation, tag, room = room](caf::error& err) {
    // A room that cannot be opened (max-rooms all in use) would come straight back:
    // rejected, for a dead-letter policy. Anything else (a timeout, a home node away)
    // is requeued and tried again.
    bool lasting = err == chat_errc::too_many_rooms;
    if (lasting)
      count(self->state.counters->amqp_rejected);
    log_warning("amqp: a post to room " + room + " failed: " +
                self->system().render(err) + (lasting ? " (rejected)" : " (requeued)"));
    settle(self, generation, tag, false, !lasting);
  };
  self->request(st.router, st.lim.actor_reply_timeout, find_room{room, true})
      .then(
          [self, generation, tag, from, text = std::move(m.message),
           failed](const room_actor& target) {
            self->request(target, self->state.lim.actor_reply_timeout,
                          publish{from, text, now_ns(), {}})
                .then(
                    [self, generation, tag](const chat_message&) {
                      count(self->state.counters->amqp_consumed);
                      settle(self, generation, tag, true, false);
                    },
                    failed);
          },
          failed);
}

void confirmed(bridge_pointer self, const amqp_link::event& ev) {
  auto& st = self->state;
  auto end =
      ev.multiple ? st.unconfirmed.upper_bound(ev.tag) : st.unconfirmed.find(ev.tag);
  auto begin = ev.multiple ? st.unconfirmed.begin() : end;
  if (!ev.multiple && end != st.unconfirmed.end())
    ++end;
  auto n = static_cast<std::uint64_t>(std::distance(begin, end));
  st.unconfirmed.erase(begin, end);
  count(ev.ack ? st.counters->amqp_confirmed : st.counters->amqp_dropped, n);
}

// One turn: waits up to amqp-poll-timeout for the broker, reads what came (at most a
// batch), then lets the mailbox in before the next turn.
void poll(bridge_pointer self) {
  auto& st = self->state;
  auto wait =
      std::chrono::duration_cast<std::chrono::milliseconds>(st.lim.amqp_poll_timeout);
  for (std::size_t i = 0; i < st.lim.amqp_poll_batch; ++i) {
    auto ev = st.link->poll(i == 0 ? wait : std::chrono::milliseconds::zero());
    if (ev.kind == amqp_link::event::nothing)
      break;
    if (ev.kind == amqp_link::event::lost) {
      connection_lost(self);
      return;
    }
    if (ev.kind == amqp_link::event::confirm)
      confirmed(self, ev);
    else
      post(self, ev.tag, ev.body);
    if (!st.link->is_open()) // a settle failed: connection_lost() ran
      return;
  }
  self->send(self, amqp_poll{st.generation});
}

bridge_impl::behavior_type amqp_bridge(bridge_pointer self, amqp_address where,
                                       amqp_options opts, limits lim,
                                       std::shared_ptr<metrics> counters) {
  auto& init = self->state;
  init.where = where.describe();
  init.link = std::make_unique<amqp_link>(std::move(where), std::move(opts));
  init.lim = lim;
  init.counters = std::move(counters);
  init.backoff = lim.amqp_backoff_min;
  set_state(self, metrics::amqp_state::connecting);
  self->set_exit_handler([self](caf::exit_msg& em) {
    self->state.link->close();
    self->quit(em.reason);
  });
  return {
      [self](amqp_publish& p) {
        auto& st = self->state;
        if (!st.link->is_open() || st.unconfirmed.size() >= st.lim.amqp_max_unconfirmed) {
          count(st.counters->amqp_dropped);
          return;
        }
        auto seq = st.link->publish(p.routing_key, p.body);
        if (seq == 0) {
          count(st.counters->amqp_dropped);
          connection_lost(self);
          return;
        }
        st.unconfirmed.insert(seq);
        count(st.counters->amqp_published);
      },
      [self](amqp_wiring& w) {
        self->state.router = std::move(w.router);
        log_info("amqp: connecting to " + self->state.where);
        connect(self);
      },
      [self](amqp_poll p) {
        if (p.generation == self->state.generation && self->state.link->is_open())
          poll(self);
      },
      [self](amqp_reconnect) {
        if (!self->state.link->is_open())
          connect(self);
      },
  };
}

} // namespace

amqp_actor spawn_amqp_bridge(caf::actor_system& sys, amqp_address where,
                             amqp_options opts, limits lim,
                             std::shared_ptr<metrics> counters) {
  return caf::actor_cast<amqp_actor>(
      sys.spawn<caf::detached>(amqp_bridge, std::move(where), std::move(opts),
                               std::move(lim), std::move(counters)));
}

} // namespace chat
