#include "actors/connection.hpp"

#include "messages/atoms.hpp"
#include "messages/codec.hpp"
#include "messages/frame.hpp"
#include "messages/names.hpp"
#include "messages/timestamp.hpp"

#include <algorithm>
#include <caf/all.hpp>

namespace chat {

namespace {

constexpr auto reply_timeout = std::chrono::seconds(10);

struct connection_state {
  std::shared_ptr<client_link> link;
  chat_limits limits;
  caf::actor manager;
  caf::actor router;
  std::string user;
  std::string room;
  double tokens = 0;
  std::chrono::steady_clock::time_point refilled;
  std::size_t errors_in_row = 0;
  bool upgraded = false;
  static inline const char* name = "connection";

  // Every frame to the client goes through here, so deliveries are counted once.
  void send(frame f) {
    limits.counters->deliveries.fetch_add(1, std::memory_order_relaxed);
    link->send(std::move(f));
  }
  void send(std::string text) { send(make_frame(std::move(text))); }

  void send_error(protocol_error e) {
    limits.counters->count_error(e.code);
    send(encode_error(e));
  }

  // Token bucket: rate-limit tokens per second, at most rate-burst saved up.
  bool take_token() {
    auto now = std::chrono::steady_clock::now();
    std::chrono::duration<double> dt = now - refilled;
    refilled = now;
    tokens = std::min(limits.rate_burst, tokens + dt.count() * limits.rate_limit);
    if (tokens < 1)
      return false;
    tokens -= 1;
    return true;
  }
};

using connection_actor = caf::stateful_actor<connection_state>;

void end(connection_actor* self, std::uint16_t code, std::string reason) {
  self->state.link->close(code, std::move(reason));
  self->quit();
}

// An error the client caused. Too many in a row and it is closed with 1008.
void protocol_fault(connection_actor* self, protocol_error e) {
  auto& st = self->state;
  st.send_error(std::move(e));
  if (++st.errors_in_row >= st.limits.max_errors_in_row) {
    st.limits.counters->count_close(metrics::policy_1008);
    end(self, 1008, "too many protocol errors in a row");
  }
}

// Moves the connection to `room`; `done` runs once it is a member (with the room's
// users).
template <class F>
void join(connection_actor* self, const std::string& room, std::string ref, F done) {
  auto& st = self->state;
  self->request(st.router, reply_timeout, join_atom::value, room, st.user,
                caf::actor_cast<caf::actor>(self), st.room)
      .await(
          [self, room, ref, done](std::string& why, caf::actor&,
                                  std::vector<std::string>& users) {
            if (!why.empty()) {
              protocol_fault(self, {errc::invalid_payload, std::move(why), ref});
              return;
            }
            self->state.room = room;
            done(users);
          },
          [self](caf::error&) { end(self, 1011, "room service unavailable"); });
}

void rename(connection_actor* self, const std::string& user) {
  auto& st = self->state;
  if (user.empty() || user == st.user)
    return;
  st.user = user;
  auto me = caf::actor_cast<caf::actor>(self);
  self->send(st.manager, rename_atom::value, me, user);
  self->send(st.router, rename_atom::value, st.room, me, user);
}

struct event_handler {
  connection_actor* self;
  const std::string& ref;
  std::int64_t received_ns;

  void operator()(send_message& m) {
    auto& st = self->state;
    rename(self, m.from);
    self->send(st.router, publish_atom::value, st.room, st.user, std::move(m.message),
               ref, caf::actor_cast<caf::actor>(self), received_ns);
  }

  void operator()(change_room& m) {
    auto s = self;
    join(self, m.name, ref, [s, name = m.name](const std::vector<std::string>& users) {
      s->state.send(encode_room_changed(name, users));
    });
  }

  void operator()(send_direct& m) {
    auto& st = self->state;
    self->send(st.router, direct_atom::value, st.user, std::move(m.to),
               std::move(m.message), ref, caf::actor_cast<caf::actor>(self));
  }

  void operator()(history_query& q) {
    auto& st = self->state;
    auto room = q.room.empty() ? st.room : q.room;
    auto s = self;
    self->request(st.router, reply_timeout, history_atom::value, room,
                  q.before.value_or(0), q.limit)
        .then([s](const frame& f) { s->state.send(f); });
  }

  void operator()(list_users& q) {
    auto& st = self->state;
    auto room = q.room.empty() ? st.room : q.room;
    auto s = self;
    self->request(st.router, reply_timeout, users_atom::value, room)
        .then([s, room](const std::vector<std::string>& users) {
          s->state.send(encode_presence(room, users));
        });
  }
};

void on_text(connection_actor* self, const std::string& text) {
  auto& st = self->state;
  auto received_ns = now_ns();
  st.limits.counters->messages_received.fetch_add(1, std::memory_order_relaxed);
  // Decode first so that a refusal can echo the frame's ref; frames that fail to
  // decode are bounded by max-errors-in-row instead of the bucket.
  auto d = decode(text, st.limits.decode);
  if (auto* e = std::get_if<protocol_error>(&d)) {
    protocol_fault(self, std::move(*e));
    return;
  }
  st.errors_in_row = 0;
  auto& ev = std::get<client_event>(d);
  if (!st.take_token()) {
    st.send_error({errc::rate_limited,
                   "more than " +
                       std::to_string(static_cast<long>(st.limits.rate_limit)) +
                       " messages per second; this one was not delivered",
                   ev.ref});
    return;
  }
  std::visit(event_handler{self, ev.ref, received_ns}, ev.body);
}

} // namespace

caf::actor spawn_connection(caf::actor_system& sys, std::shared_ptr<client_link> link,
                            std::string wanted_name, const chat_limits& limits,
                            caf::actor manager, caf::actor router) {
  return sys.spawn([=](connection_actor* self) -> caf::behavior {
    auto& init = self->state;
    init.link = link;
    init.limits = limits;
    init.manager = manager;
    init.router = router;
    init.tokens = limits.rate_burst;
    init.refilled = std::chrono::steady_clock::now();
    // Whatever ends this actor, its socket must not outlive it.
    self->attach_functor([link] { link->close(1011, "connection actor ended"); });
    if (!wanted_name.empty() && !valid_user_name(wanted_name)) {
      link->reject(400, "name must be 1..32 characters without control characters");
      self->quit();
      return {};
    }
    self->request(manager, reply_timeout, register_atom::value,
                  caf::actor_cast<caf::actor>(self), wanted_name)
        .await(
            [self](bool admitted, std::string& user) {
              if (!admitted) {
                self->state.link->reject(503, "the server is at max-connections");
                self->quit();
                return;
              }
              self->state.user = std::move(user);
              self->state.link->accept();
            },
            [self](caf::error&) {
              self->state.link->reject(503, "the server is not accepting clients");
              self->quit();
            });
    return {
        [self](upgraded_atom) {
          self->state.upgraded = true;
          join(self, first_room, {}, [self](const std::vector<std::string>&) {
            auto& s = self->state;
            s.send(encode_welcome(s.user, s.room, s.limits.node_name, rfc3339_now()));
          });
        },
        [self](text_atom, const std::string& text) { on_text(self, text); },
        [self](binary_atom) {
          protocol_fault(self, {errc::unsupported_frame,
                                "binary frames are not supported; send "
                                "JSON in text frames",
                                {}});
        },
        [self](deliver_atom, const frame& f) { self->state.send(f); },
        [self](fail_atom, std::string& code, std::string& message, std::string& ref) {
          self->state.send_error({std::move(code), std::move(message), std::move(ref)});
        },
        [self](ping_atom) {
          // A handshake still in progress cannot carry a ping; it is alive (and bounded
          // by the handshake timeout), so answer for it rather than be dropped later.
          if (self->state.upgraded)
            self->state.link->ping();
          else
            self->send(self->state.manager, pong_atom::value,
                       caf::actor_cast<caf::actor>(self));
        },
        [self](pong_atom) {
          self->send(self->state.manager, pong_atom::value,
                     caf::actor_cast<caf::actor>(self));
        },
        [self](drop_atom) {
          self->state.link->drop();
          self->quit();
        },
        [self](shutdown_atom) { end(self, 1001, "server shutting down"); },
        [self](closed_atom) { self->quit(); },
    };
  });
}

} // namespace chat
