#include "actors/connection.hpp"

#include "actors/link_feed.hpp"
#include "base/log.hpp"
#include "base/timestamp.hpp"
#include "messages/actor_errors.hpp"
#include "messages/codec.hpp"
#include "messages/names.hpp"

#include <algorithm>
#include <caf/all.hpp>

namespace chat {

namespace {

struct connection_state {
  std::shared_ptr<client_link> link;
  context_ptr ctx;
  manager_actor manager;
  router_actor router;
  std::string user;
  std::string room_name;
  room_actor room; // the room this connection is in; asked directly
  double tokens = 0;
  std::chrono::steady_clock::time_point refilled;
  std::size_t errors_in_row = 0;
  bool upgraded = false;
  catch_up first_missed{false, 0, false}; // ?since= of the upgrade request, for the
                                          // first room; welcome lists no users
  std::string start_room = first_room;
  // Authentication on: who the token says this is (the name never changes), the rooms
  // it allows, and which token is current (its expiry timer carries the number).
  std::optional<identity> who;
  std::uint64_t token_generation = 0;
  static inline const char* name = "connection";

  const limits& lim() const { return ctx->limits; }
  metrics& counters() const { return *ctx->counters; }

  // Every frame to the client goes through here, so deliveries are counted once.
  void send(frame f) {
    counters().deliveries.fetch_add(1, std::memory_order_relaxed);
    link->send(std::move(f));
  }
  void send(std::string text) { send(frame{std::move(text)}); }

  void send_error(protocol_error e) {
    counters().count_error(e.code);
    send(encode_error(e));
  }

  // Token bucket: rate-limit tokens per second, at most rate-burst saved up.
  bool take_token() {
    auto now = std::chrono::steady_clock::now();
    std::chrono::duration<double> dt = now - refilled;
    refilled = now;
    auto burst = static_cast<double>(lim().rate_burst);
    tokens = std::min(burst, tokens + dt.count() * static_cast<double>(lim().rate_limit));
    if (tokens < 1)
      return false;
    tokens -= 1;
    return true;
  }
};

using connection_pointer = connection_actor::stateful_pointer<connection_state>;

connection_actor handle(connection_pointer self) {
  return caf::actor_cast<connection_actor>(self);
}

// Closes the client with `code` and ends the actor. A close the server decides for a
// reason of policy is worth a log line; the others (1001 at shutdown) are not.
void end(connection_pointer self, std::uint16_t code, std::string reason) {
  if (code != 1001)
    log_info("client " + self->state.user + " closed: " + std::to_string(code) + " " +
             reason);
  self->state.link->close(code, std::move(reason));
  self->quit();
}

// An error the client caused. Too many in a row and it is closed with 1008.
void protocol_fault(connection_pointer self, protocol_error e) {
  auto& st = self->state;
  st.send_error(std::move(e));
  if (++st.errors_in_row >= st.lim().max_errors_in_row) {
    st.counters().count_close(metrics::policy_1008);
    end(self, 1008, "too many protocol errors in a row");
  }
}

// What the joiner missed, right after its room_changed (or welcome): a `history`
// event (sent even empty to a client that resumes: it then knows it has everything)
// and, when more were missed than resume-max, error history_truncated.
void send_missed(connection_pointer self, const joined& j, const std::string& ref) {
  auto& st = self->state;
  if (!j.history.empty() || j.resumed)
    st.send(encode_history(j.name, j.history));
  if (j.skipped > 0)
    st.send_error({protocol_code::history_truncated,
                   std::to_string(j.skipped) +
                       " older messages were missed and are not sent (resume-max " +
                       std::to_string(st.lim().resume_max) +
                       "); `history` with `before` pages back to them",
                   ref});
}

// Moves the connection to `room`; `done` runs once it is a member, then what it missed
// is sent, and only then the room's own frames: the room puts them into a feed of this
// join (actors/link_feed.hpp), held until here. The router removes the connection from
// its old room before the join, so no frame of the old room follows room_changed.
template <class F>
void join(connection_pointer self, const std::string& room, catch_up missed,
          std::string ref, F done) {
  auto& st = self->state;
  auto feed = std::make_shared<link_feed>(st.link);
  self->request(st.router, st.lim().actor_reply_timeout,
                join_request{room, st.user, handle(self), st.room, missed, {feed}})
      .await(
          [self, done, ref, feed](joined& j) {
            self->state.room = std::move(j.room);
            self->state.room_name = j.name;
            done(j);
            send_missed(self, j, ref);
            feed->open();
          },
          [self, ref](caf::error& err) {
            if (err == chat_errc::too_many_rooms)
              protocol_fault(self,
                             {protocol_code::invalid_payload,
                              too_many_rooms_message(self->state.lim().max_rooms), ref});
            else
              end(self, 1011, "room service unavailable");
          });
}

void rename(connection_pointer self, const std::string& user) {
  auto& st = self->state;
  // A logged-in user is who the token says: `from` is ignored.
  if (user.empty() || user == st.user || st.who)
    return;
  st.user = user;
  self->send(st.manager, client_renamed{handle(self), user});
  self->send(st.room, rename_member{handle(self), user});
}

// Asks the room named `room` and hands the answer to `done`: the connection's own room
// directly, another through the handle the router gives (which opens it when `open`).
// A room the router has not (or cannot open) goes to `missing`; one that went meanwhile
// answers with an empty result.
template <class Request, class Done, class Missing>
void ask_room(connection_pointer self, const std::string& room, Request req, Done done,
              bool open, Missing missing) {
  auto& st = self->state;
  auto nothing = [done](caf::error&) { done({}); };
  if (room == st.room_name) {
    self->request(st.room, st.lim().actor_reply_timeout, std::move(req))
        .then(done, nothing);
    return;
  }
  self->request(st.router, st.lim().actor_reply_timeout, find_room{room, open})
      .then(
          [self, req, done, nothing](room_actor& other) {
            self->request(other, self->state.lim().actor_reply_timeout, req)
                .then(done, nothing);
          },
          missing);
}

// The room a logged-in client starts in: general when its token allows it, else the
// first room it names exactly; none when it allows only prefixes.
std::optional<std::string> start_room_for(const room_grants& rooms) {
  if (rooms.allows(first_room))
    return std::string{first_room};
  for (const auto& p : rooms.patterns)
    if (!p.empty() && p.back() != '*')
      return p;
  return std::nullopt;
}

// Schedules the close at `exp_s` (Unix seconds; 0: never) for the current token.
void expire_token_at(connection_pointer self, std::int64_t exp_s) {
  if (exp_s == 0)
    return;
  auto now = std::chrono::system_clock::now();
  auto at = std::chrono::system_clock::time_point{std::chrono::seconds{exp_s}};
  auto in = at > now ? at - now : std::chrono::system_clock::duration::zero();
  self->delayed_send(self, std::chrono::duration_cast<caf::timespan>(in),
                     token_expiry{self->state.token_generation});
}

// A room outside the token's `rooms` claim: error forbidden; true when allowed.
bool allowed(connection_pointer self, const std::string& room, const std::string& ref) {
  const auto& st = self->state;
  if (!st.who || st.who->rooms.allows(room))
    return true;
  self->state.send_error(
      {protocol_code::forbidden, "your token does not allow room \"" + room + "\"", ref});
  return false;
}

struct event_handler {
  connection_pointer self;
  const std::string& ref;
  std::int64_t received_ns;

  void operator()(send_message& m) {
    auto& st = self->state;
    rename(self, m.from);
    publish msg{st.user, std::move(m.message), received_ns, {}};
    if (ref.empty()) {
      // No ack wanted. A send() would have the room's answer come back as a message;
      // anon_send() tells the room that nobody waits for it.
      caf::anon_send(st.room, std::move(msg));
      return;
    }
    auto s = self;
    self->request(st.room, st.lim().actor_reply_timeout, std::move(msg))
        .then(
            [s, ref = ref](const chat_message& sent) {
              s->state.send(encode_ack(ref, sent.id, sent.room));
            },
            [](caf::error&) {}); // the room is gone: the client left it meanwhile
  }

  void operator()(change_room& m) {
    if (!allowed(self, m.name, ref))
      return; // the client stays where it is
    auto s = self;
    catch_up missed{m.since.has_value(), m.since.value_or(0)};
    join(self, m.name, missed, ref,
         [s](const joined& j) { s->state.send(encode_room_changed(j.name, j.users)); });
  }

  void operator()(send_direct& m) {
    auto& st = self->state;
    auto s = self;
    self->request(st.manager, st.lim().actor_reply_timeout,
                  direct_message{st.user, m.to, m.message})
        .then(
            [s, ref = ref](std::size_t) {
              if (!ref.empty())
                s->state.send(encode_ack(ref, 0, ""));
            },
            [s, ref = ref, to = m.to](caf::error& err) {
              if (err == chat_errc::no_such_user)
                s->state.send_error({protocol_code::no_such_user,
                                     "no user named \"" + to + "\" is connected", ref});
            });
  }

  void operator()(history_query& q) {
    auto s = self;
    auto room = q.room.empty() ? self->state.room_name : q.room;
    if (!allowed(self, room, ref))
      return;
    read_history req{q.before.value_or(0), q.limit};
    auto reply = [s, room](const std::vector<chat_message>& xs) {
      s->state.send(encode_history(room, xs));
    };
    const auto& store = self->state.ctx->history;
    if (!store) {
      ask_room(self, room, req, reply, false, [reply](caf::error&) { reply({}); });
      return;
    }
    // With a store, a room that is not open (released, or not used since a restart) is
    // opened and loads its stored history; when it cannot be (max-rooms all have
    // members), this node's store answers alone.
    ask_room(self, room, req, reply, true, [s, room, req, reply](caf::error&) {
      s->request(s->state.ctx->history, s->state.lim().actor_reply_timeout,
                 read_messages{room, 0, req.before, req.limit})
          .then([reply](history_page& page) { reply(page.messages); },
                [reply](caf::error&) { reply({}); });
    });
  }

  void operator()(list_users& q) {
    auto s = self;
    auto room = q.room.empty() ? self->state.room_name : q.room;
    if (!allowed(self, room, ref))
      return;
    auto reply = [s, room](const std::vector<std::string>& users) {
      s->state.send(encode_presence(room, users));
    };
    ask_room(self, room, list_members{}, reply, false,
             [reply](caf::error&) { reply({}); });
  }

  // A new token for the same user: its expiry (and rooms) replace the current one's.
  void operator()(refresh_token& r) {
    auto& st = self->state;
    if (!st.ctx->verifier) {
      st.send_error({protocol_code::invalid_payload,
                     "authentication is off: there is no token to refresh", ref});
      return;
    }
    auto v = st.ctx->verifier->verify(r.token, unix_now_s());
    if (!v.who) {
      st.send_error({protocol_code::invalid_payload,
                     "token refused: " + std::string{describe(v.why)}, ref});
      return;
    }
    if (v.who->user != st.who->user) {
      st.send_error({protocol_code::forbidden,
                     "the token is for another user; a connection keeps its user", ref});
      return;
    }
    st.who = std::move(v.who);
    ++st.token_generation; // the old token's expiry no longer closes anything
    expire_token_at(self, st.who->exp_s);
    if (!ref.empty())
      st.send(encode_ack(ref, 0, ""));
  }
};

void on_text(connection_pointer self, const std::string& text) {
  auto& st = self->state;
  auto received_ns = now_ns();
  st.counters().messages_received.fetch_add(1, std::memory_order_relaxed);
  // Decode first so that a refusal can echo the frame's ref; frames that fail to
  // decode are bounded by max-errors-in-row instead of the bucket.
  auto d = decode(text, st.lim());
  if (auto* e = std::get_if<protocol_error>(&d)) {
    protocol_fault(self, std::move(*e));
    return;
  }
  st.errors_in_row = 0;
  auto& ev = std::get<client_event>(d);
  if (!st.take_token()) {
    st.send_error({protocol_code::rate_limited,
                   "more than " + std::to_string(st.lim().rate_limit) +
                       " messages per second; this one was not delivered",
                   ev.ref});
    return;
  }
  std::visit(event_handler{self, ev.ref, received_ns}, ev.body);
}

connection_actor::behavior_type connection(connection_pointer self,
                                           std::shared_ptr<client_link> link,
                                           client_hello hello, context_ptr ctx,
                                           manager_actor manager, router_actor router) {
  auto& init = self->state;
  auto& wanted_name = hello.wanted_name;
  const auto& since = hello.since;
  init.link = link;
  init.ctx = std::move(ctx);
  init.manager = manager;
  init.router = std::move(router);
  init.tokens = static_cast<double>(init.lim().rate_burst);
  init.refilled = std::chrono::steady_clock::now();
  // Whatever ends this actor, its socket must not outlive it.
  self->attach_functor([link] { link->close(1011, "connection actor ended"); });
  bool since_ok =
      since.empty() ||
      (since.size() <= 19 && since.find_first_not_of("0123456789") == std::string::npos);
  if (!since.empty() && since_ok)
    init.first_missed = catch_up{true, std::stoull(since), false};
  if (hello.who) {
    wanted_name = hello.who->user; // the token names the user, not ?name=
    init.who = std::move(hello.who);
    if (auto start = start_room_for(init.who->rooms))
      init.start_room = *start;
    else
      hello.refused = auth_refusal::no_room;
  }
  if (hello.refused) {
    init.counters().count_auth_refusal(*hello.refused);
    link->reject(401, std::string{describe(*hello.refused)});
    self->quit(); // the behaviour below is never used
  } else if (!wanted_name.empty() && !valid_user_name(wanted_name)) {
    link->reject(400, "name must be 1..32 characters without control characters");
    self->quit();
  } else if (!since_ok) {
    link->reject(400, "since must be a message id (a non-negative integer)");
    self->quit();
  } else {
    self->request(manager, init.lim().actor_reply_timeout,
                  register_client{handle(self), wanted_name})
        .await(
            [self](std::string& user) {
              self->state.user = std::move(user);
              self->state.link->accept();
              expire_token_at(self, self->state.who ? self->state.who->exp_s : 0);
            },
            [self](caf::error& err) {
              self->state.link->reject(503, err == chat_errc::at_capacity
                                                ? "the server is at max-connections"
                                                : "the server is not accepting clients");
              self->quit();
            });
  }
  return {
      [self](frame& f) { self->state.send(std::move(f)); }, // a direct message
      [self](client_upgraded) {
        self->state.upgraded = true;
        join(self, self->state.start_room, self->state.first_missed, {},
             [self](const joined&) {
               auto& s = self->state;
               s.send(
                   encode_welcome(s.user, s.room_name, s.ctx->node_name, rfc3339_now()));
             });
      },
      [self](client_text& t) { on_text(self, t.text); },
      [self](client_binary) {
        protocol_fault(self, {protocol_code::unsupported_frame,
                              "binary frames are not supported; send JSON in text frames",
                              {}});
      },
      [self](client_closed) { self->quit(); },
      [self](shutdown_client) { end(self, 1001, "server shutting down"); },
      [self](token_expiry e) {
        if (e.generation == self->state.token_generation) {
          self->state.counters().count_close(metrics::policy_1008);
          end(self, 1008, "token expired");
        }
      },
  };
}

// The transport's events, as messages to the connection actor.
class connection_events final : public client_events {
public:
  explicit connection_events(connection_actor conn) : conn_(std::move(conn)) {}
  void on_upgraded() override { caf::anon_send(conn_, client_upgraded{}); }
  void on_text(std::string text) override {
    caf::anon_send(conn_, client_text{std::move(text)});
  }
  void on_binary() override { caf::anon_send(conn_, client_binary{}); }
  void on_closed() override { caf::anon_send(conn_, client_closed{}); }

private:
  connection_actor conn_;
};

} // namespace

connection_actor spawn_connection(caf::actor_system& sys,
                                  std::shared_ptr<client_link> link, client_hello hello,
                                  context_ptr ctx, manager_actor manager,
                                  router_actor router) {
  return sys.spawn(connection, std::move(link), std::move(hello), std::move(ctx),
                   std::move(manager), std::move(router));
}

std::shared_ptr<client_events> make_client_events(connection_actor conn) {
  return std::make_shared<connection_events>(std::move(conn));
}

} // namespace chat
