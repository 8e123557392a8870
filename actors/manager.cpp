#include "actors/manager.hpp"

#include "base/log.hpp"
#include "base/timestamp.hpp"
#include "messages/actor_errors.hpp"
#include "messages/cluster_contract.hpp"
#include "messages/codec.hpp"

#include <algorithm>
#include <caf/all.hpp>
#include <random>
#include <unordered_map>

namespace chat {

namespace {

struct client {
  connection_actor conn;
  std::string user;
};

struct manager_state {
  context_ptr ctx;
  std::unordered_map<caf::actor_addr, client> clients;
  std::unordered_map<std::string, std::vector<connection_actor>> by_user;
  std::minstd_rand rng{std::random_device{}()};
  bool shutting_down = false;
  std::vector<caf::typed_response_promise<bool>> shutdown_waiters;
  static inline const char* name = "manager";

  metrics& counters() const { return *ctx->counters; }

  void index(const std::string& user, const connection_actor& conn) {
    by_user[user].push_back(conn);
  }

  void unindex(const std::string& user, const connection_actor& conn) {
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

  void publish_count() {
    counters().connections_open.store(static_cast<std::int64_t>(clients.size()));
  }
};

using manager_pointer = manager_actor::stateful_pointer<manager_state>;

// Hands `f` to every connection of `user` on this node; returns how many.
std::size_t deliver(manager_pointer self, const std::string& user, const frame& f) {
  auto it = self->state.by_user.find(user);
  if (it == self->state.by_user.end())
    return 0;
  for (const auto& conn : it->second)
    self->send(conn, f);
  return it->second.size();
}

// A direct message that reached someone, to the AMQP exchange when amqp-publish-direct
// is on: from the sender's node only, so once per cluster.
void publish_direct(manager_pointer self, const direct_message& m, const frame& f) {
  const auto& ctx = *self->state.ctx;
  if (ctx.amqp && ctx.amqp_publish_direct)
    self->send(ctx.amqp, amqp_publish{"direct." + m.to, payload_of(f.text())});
}

void finish_shutdown_if_done(manager_pointer self) {
  auto& st = self->state;
  if (!st.shutting_down || !st.clients.empty())
    return;
  for (auto& rp : st.shutdown_waiters)
    rp.deliver(true);
  st.shutdown_waiters.clear();
}

manager_actor::behavior_type manager(manager_pointer self, context_ptr ctx) {
  self->state.ctx = std::move(ctx);
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    auto it = st.clients.find(dm.source);
    if (it == st.clients.end())
      return;
    st.unindex(it->second.user, it->second.conn);
    st.clients.erase(it);
    st.publish_count();
    finish_shutdown_if_done(self);
  });
  return {
      [self](register_client& r) -> caf::result<std::string> {
        auto& st = self->state;
        if (st.shutting_down)
          return make_error(chat_errc::shutting_down);
        if (st.clients.size() >= st.ctx->limits.max_connections)
          return make_error(chat_errc::at_capacity);
        auto user = r.wanted_name.empty() ? st.guest_name() : r.wanted_name;
        st.clients.emplace(r.conn.address(), client{r.conn, user});
        st.counters().connections_accepted.fetch_add(1, std::memory_order_relaxed);
        st.publish_count();
        st.index(user, r.conn);
        self->monitor(r.conn);
        return user;
      },
      [self](client_renamed& r) {
        auto& st = self->state;
        auto it = st.clients.find(r.conn.address());
        if (it == st.clients.end() || it->second.user == r.user)
          return;
        st.unindex(it->second.user, r.conn);
        it->second.user = r.user;
        st.index(r.user, r.conn);
      },
      // To every connection of `to`, and of the sender so that its other tabs see it, on
      // every node: the frame is built once, here, and each node hands it to its own.
      [self](direct_message& m) -> caf::result<std::size_t> {
        auto& st = self->state;
        frame f{encode_direct(m.from, m.to, m.message, rfc3339_now())};
        auto here = deliver(self, m.to, f);
        if (!st.ctx->cluster) {
          if (here == 0)
            return make_error(chat_errc::no_such_user);
          if (m.from != m.to)
            deliver(self, m.from, f);
          publish_direct(self, m, f);
          return here;
        }
        auto rp = self->make_response_promise<std::size_t>();
        self->request(st.ctx->cluster, st.ctx->limits.cluster_reply_timeout * 2,
                      deliver_direct{m.to, f})
            .then(
                [self, rp, here, f, m](std::size_t elsewhere) mutable {
                  if (here + elsewhere == 0) {
                    rp.deliver(make_error(chat_errc::no_such_user));
                    return;
                  }
                  if (m.from != m.to) {
                    deliver(self, m.from, f);
                    // Nobody waits for how many tabs the sender has elsewhere.
                    caf::anon_send(self->state.ctx->cluster, deliver_direct{m.from, f});
                  }
                  publish_direct(self, m, f);
                  rp.deliver(here + elsewhere);
                },
                [self, rp, here, m, f](caf::error&) mutable {
                  if (here > 0) {
                    publish_direct(self, m, f);
                    rp.deliver(here);
                    return;
                  }
                  rp.deliver(make_error(chat_errc::no_such_user));
                });
        return rp;
      },
      [self](direct_frame& d) { return deliver(self, d.user, d.text); },
      [self](server_stats) {
        return stats_reply{self->state.clients.size(), self->state.shutting_down};
      },
      [self](shutdown_server) {
        auto& st = self->state;
        st.shutting_down = true;
        for (auto& [addr, c] : st.clients)
          // Ahead of whatever the connection still has queued: it closes at once.
          self->send<caf::message_priority::high>(c.conn, shutdown_client{});
        auto rp = self->make_response_promise<bool>();
        st.shutdown_waiters.push_back(rp);
        finish_shutdown_if_done(self);
        return rp;
      },
  };
}

} // namespace

manager_actor spawn_manager(caf::actor_system& sys, context_ptr ctx) {
  return sys.spawn(manager, std::move(ctx));
}

} // namespace chat
