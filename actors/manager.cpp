#include "actors/manager.hpp"

#include "messages/atoms.hpp"
#include "messages/codec.hpp"
#include "messages/frame.hpp"
#include "messages/timestamp.hpp"

#include <algorithm>
#include <caf/all.hpp>
#include <random>
#include <unordered_map>

namespace chat {

namespace {

using check_atom = caf::atom_constant<caf::atom("check")>;

struct client {
  caf::actor conn;
  std::string user;
  std::size_t slice = 0;        // which tick of each ping-interval pings this client
  std::uint64_t ping_round = 0; // round of the unanswered ping, 0 when none
};

// Pings are spread over the interval in slices of about 100 ms: pinging every client at
// once stalled delivery for hundreds of milliseconds at 19k connections.
std::size_t ping_slices(std::chrono::milliseconds interval) {
  return std::clamp<std::size_t>(static_cast<std::size_t>(interval.count() / 100), 1,
                                 100);
}

struct manager_state {
  chat_limits limits;
  std::unordered_map<caf::actor_addr, client> clients;
  std::unordered_map<std::string, std::vector<caf::actor>> by_user;
  std::uint64_t round = 0;
  std::size_t slices = 1;
  std::uint64_t admitted = 0;
  std::minstd_rand rng{std::random_device{}()};
  bool shutting_down = false;
  std::vector<caf::response_promise> shutdown_waiters;
  static inline const char* name = "manager";

  void index(const std::string& user, const caf::actor& conn) {
    by_user[user].push_back(conn);
  }

  void unindex(const std::string& user, const caf::actor& conn) {
    auto it = by_user.find(user);
    if (it == by_user.end())
      return;
    auto& xs = it->second;
    xs.erase(std::remove(xs.begin(), xs.end(), conn), xs.end());
    if (xs.empty())
      by_user.erase(it);
  }

  // guest-XXXX, unique among the connected users.
  std::string guest_name() {
    static constexpr char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    for (std::size_t len = 4;; ++len) {
      for (int attempt = 0; attempt < 8; ++attempt) {
        std::string candidate = "guest-";
        for (std::size_t i = 0; i < len; ++i)
          candidate += digits[rng() % 36];
        if (by_user.count(candidate) == 0)
          return candidate;
      }
    }
  }
};

using manager_actor = caf::stateful_actor<manager_state>;

void finish_shutdown_if_done(manager_actor* self) {
  auto& st = self->state;
  if (!st.shutting_down || !st.clients.empty())
    return;
  for (auto& rp : st.shutdown_waiters)
    rp.deliver(true);
  st.shutdown_waiters.clear();
}

} // namespace

caf::actor spawn_manager(caf::actor_system& sys, const chat_limits& limits) {
  return sys.spawn([limits](manager_actor* self) -> caf::behavior {
    self->state.limits = limits;
    self->state.slices = ping_slices(limits.ping_interval);
    self->set_down_handler([self](caf::down_msg& dm) {
      auto& st = self->state;
      auto it = st.clients.find(dm.source);
      if (it == st.clients.end())
        return;
      st.unindex(it->second.user, it->second.conn);
      st.clients.erase(it);
      st.limits.counters->connections_open.store(
          static_cast<std::int64_t>(st.clients.size()));
      finish_shutdown_if_done(self);
    });
    self->send(self, ping_atom::value);
    return {
        [self](register_atom, const caf::actor& conn, const std::string& wanted) {
          auto& st = self->state;
          if (st.shutting_down || st.clients.size() >= st.limits.max_connections)
            return caf::make_message(false, std::string{});
          auto user = wanted.empty() ? st.guest_name() : wanted;
          auto slice = static_cast<std::size_t>(st.admitted++ % st.slices);
          st.clients.emplace(conn.address(), client{conn, user, slice, 0});
          st.limits.counters->connections_accepted.fetch_add(1,
                                                             std::memory_order_relaxed);
          st.limits.counters->connections_open.store(
              static_cast<std::int64_t>(st.clients.size()));
          st.index(user, conn);
          self->monitor(conn);
          return caf::make_message(true, std::move(user));
        },
        [self](rename_atom, const caf::actor& conn, const std::string& user) {
          auto& st = self->state;
          auto it = st.clients.find(conn.address());
          if (it == st.clients.end() || it->second.user == user)
            return;
          st.unindex(it->second.user, conn);
          it->second.user = user;
          st.index(user, conn);
        },
        // Liveness: one tick per slice; over a ping-interval every client without an
        // unanswered ping gets one, and pong-timeout later those still silent are dropped.
        [self](ping_atom) {
          auto& st = self->state;
          auto r = ++st.round;
          auto slice = r % st.slices;
          for (auto& [addr, c] : st.clients) {
            if (c.slice == slice && c.ping_round == 0) {
              c.ping_round = r;
              self->send(c.conn, ping_atom::value);
            }
          }
          self->delayed_send(self, st.limits.pong_timeout, check_atom::value, r);
          self->delayed_send(self, st.limits.ping_interval / st.slices, ping_atom::value);
        },
        [self](check_atom, std::uint64_t r) {
          for (auto& [addr, c] : self->state.clients)
            if (c.ping_round == r) {
              self->state.limits.counters->count_close(metrics::pong_timeout);
              self->send<caf::message_priority::high>(c.conn, drop_atom::value);
            }
        },
        [self](pong_atom, const caf::actor& conn) {
          if (auto it = self->state.clients.find(conn.address());
              it != self->state.clients.end())
            it->second.ping_round = 0;
        },
        [self](direct_atom, const std::string& from, const std::string& to,
               const std::string& message, const std::string& ref,
               const caf::actor& sender) {
          auto& st = self->state;
          auto it = st.by_user.find(to);
          if (it == st.by_user.end()) {
            self->send(sender, fail_atom::value, std::string{errc::no_such_user},
                       "no user named \"" + to + "\" is connected", ref);
            return;
          }
          auto f = make_frame(encode_direct(from, to, message, rfc3339_now()));
          for (const auto& conn : it->second)
            self->send(conn, deliver_atom::value, f);
          if (from != to)
            if (auto mine = st.by_user.find(from); mine != st.by_user.end())
              for (const auto& conn : mine->second)
                self->send(conn, deliver_atom::value, f);
          if (!ref.empty())
            self->send(sender, deliver_atom::value, make_frame(encode_ack(ref, 0, "")));
        },
        [self](stats_atom) {
          return caf::make_message(self->state.clients.size(), self->state.shutting_down);
        },
        [self](shutdown_atom) {
          auto& st = self->state;
          st.shutting_down = true;
          for (auto& [addr, c] : st.clients)
            // Ahead of whatever the connection still has queued: it closes at once.
            self->send<caf::message_priority::high>(c.conn, shutdown_atom::value);
          auto rp = self->make_response_promise();
          st.shutdown_waiters.push_back(rp);
          finish_shutdown_if_done(self);
          return rp;
        },
    };
  });
}

} // namespace chat
