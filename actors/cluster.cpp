#include "actors/cluster.hpp"

#include "base/log.hpp"
#include "messages/actor_errors.hpp"

#include <algorithm>
#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <map>
#include <set>

namespace chat {

namespace {

// The local group the rooms hear the view on (actors/room.cpp joins it).
constexpr const char* view_group_name = "chat:cluster-view";
// How often a node tells its peers the addresses it knows: two nodes that joined at
// the same time through different members still find each other.
constexpr auto gossip_interval = std::chrono::seconds(1);
// Reconnecting to a peer that went: the first retry soon, then less and less often.
constexpr auto first_backoff = std::chrono::milliseconds(250);
constexpr auto max_backoff = std::chrono::milliseconds(5000);

struct peer {
  std::string name;    // empty until it said hello or welcome
  cluster_actor actor; // valid while the link is up
  bool up = false;
  bool connecting = false;
  std::chrono::milliseconds backoff = first_backoff;
};

struct cluster_state {
  cluster_settings cfg;
  router_actor router;
  manager_actor manager;
  std::string address;               // where peers reach this node
  std::map<std::string, peer> peers; // by address
  cluster_view view;
  caf::group view_group;
  bool wired = false;
  bool leaving = false;
  static inline const char* name = "cluster";

  const std::string& self_name() const { return cfg.node_name; }

  peer* by_name(const std::string& node) {
    for (auto& [addr, p] : peers)
      if (p.up && p.name == node)
        return &p;
    return nullptr;
  }

  std::vector<peer*> up_peers() {
    std::vector<peer*> xs;
    for (auto& [addr, p] : peers)
      if (p.up)
        xs.push_back(&p);
    return xs;
  }

  std::vector<std::string> known_addresses() const {
    std::vector<std::string> xs{address};
    for (const auto& [addr, p] : peers)
      if (p.up)
        xs.push_back(addr);
    return xs;
  }
};

using cluster_pointer = cluster_actor::stateful_pointer<cluster_state>;

// The live nodes changed: every room of this node hears it (through the view group).
void publish_view(cluster_pointer self) {
  auto& st = self->state;
  std::vector<std::string> nodes{st.self_name()};
  for (auto& [addr, p] : st.peers)
    if (p.up)
      nodes.push_back(p.name);
  std::sort(nodes.begin(), nodes.end());
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  if (nodes == st.view.nodes)
    return;
  st.view.nodes = std::move(nodes);
  ++st.view.version;
  st.cfg.counters->cluster_peers.store(
      static_cast<std::int64_t>(st.view.nodes.size() - 1));
  st.view_group.get()->enqueue(self->ctrl(), caf::make_message_id(),
                               caf::make_message(st.view), self->context());
}

void retry_later(cluster_pointer self, const std::string& address) {
  auto& p = self->state.peers[address];
  p.connecting = false;
  if (self->state.leaving)
    return;
  self->delayed_send(self, p.backoff, connect_peer{address});
  p.backoff = std::min(max_backoff, p.backoff * 2);
}

// A peer is up: introduced by a hello (it connected) or a welcome (we did).
void peer_up(cluster_pointer self, const std::string& address, const std::string& name,
             cluster_actor actor) {
  auto& st = self->state;
  if (name == st.self_name()) {
    if (address != st.address)
      log_error("cluster: the node at " + address + " is named " + name +
                " like this one; node names must differ");
    st.peers.erase(address);
    return;
  }
  // The same node known under another address (a seed written differently) is one peer.
  for (auto it = st.peers.begin(); it != st.peers.end();)
    if (it->first != address && it->second.name == name)
      it = st.peers.erase(it);
    else
      ++it;
  auto& p = st.peers[address];
  if (p.up && p.actor == actor)
    return;
  p.name = name;
  p.actor = std::move(actor);
  p.up = true;
  p.connecting = false;
  p.backoff = first_backoff;
  self->monitor(p.actor);
  log_info("cluster: peer " + name + " (" + address + ") up");
  publish_view(self);
}

void peer_down(cluster_pointer self, peer& p, const std::string& address,
               const char* why) {
  if (!p.up)
    return;
  p.up = false;
  p.actor = cluster_actor{};
  log_info("cluster: peer " + p.name + " (" + address + ") down: " + why);
  publish_view(self);
  retry_later(self, address);
}

void connect(cluster_pointer self, const std::string& address) {
  auto& st = self->state;
  if (!st.wired || st.leaving || address == st.address)
    return;
  auto& p = st.peers[address];
  if (p.up || p.connecting)
    return;
  auto colon = address.rfind(':');
  if (colon == std::string::npos) {
    log_error("cluster: " + address + " is not host:port");
    st.peers.erase(address);
    return;
  }
  auto host = address.substr(0, colon);
  auto port = static_cast<std::uint16_t>(std::stoul(address.substr(colon + 1)));
  p.connecting = true;
  self->request(st.cfg.transport, st.cfg.limits.cluster_reply_timeout,
                caf::connect_atom::value, host, port)
      .then(
          [self, address](caf::node_id&, caf::strong_actor_ptr& ptr,
                          std::set<std::string>&) {
            auto& state = self->state;
            auto remote = caf::actor_cast<cluster_actor>(ptr);
            if (!remote || remote == caf::actor_cast<cluster_actor>(self)) {
              retry_later(self, address);
              return;
            }
            self->request(remote, state.cfg.limits.cluster_reply_timeout,
                          node_hello{state.self_name(), state.address,
                                     caf::actor_cast<cluster_actor>(self)})
                .then(
                    [self, address, remote](node_welcome& w) {
                      peer_up(self, address, w.name, remote);
                      for (const auto& a : w.peers)
                        connect(self, a);
                    },
                    [self, address](caf::error&) { retry_later(self, address); });
          },
          [self, address](caf::error& err) {
            log_debug("cluster: cannot reach " + address + ": " +
                      self->system().render(err));
            retry_later(self, address);
          });
}

// Sends `make(peer)` to every live peer and answers with what `combine` makes of their
// answers (each one's, or nothing from a peer that failed to answer in time).
template <class Reply, class Result, class Request, class Combine>
void ask_every_peer(cluster_pointer self, Request req,
                    caf::typed_response_promise<Result> rp, Combine combine) {
  auto peers = self->state.up_peers();
  struct round {
    std::size_t waiting;
    std::vector<Reply> answers;
  };
  auto r = std::make_shared<round>(round{peers.size(), {}});
  if (peers.empty()) {
    rp.deliver(combine(std::move(r->answers)));
    return;
  }
  auto done = [rp, r, combine]() mutable {
    if (--r->waiting == 0)
      rp.deliver(combine(std::move(r->answers)));
  };
  for (auto* p : peers)
    self->request(p->actor, self->state.cfg.limits.cluster_reply_timeout, req)
        .then(
            [r, done](Reply& x) mutable {
              r->answers.push_back(std::move(x));
              done();
            },
            [done](caf::error&) mutable { done(); });
}

cluster_actor::behavior_type cluster(cluster_pointer self, cluster_settings cfg) {
  self->state.cfg = std::move(cfg);
  self->state.view.nodes = {self->state.self_name()};
  self->state.view_group = self->system().groups().get_local(view_group_name);
  self->set_down_handler([self](caf::down_msg& dm) {
    for (auto& [addr, p] : self->state.peers)
      if (p.up && p.actor.address() == dm.source) {
        peer_down(self, p, addr, "link lost");
        return;
      }
  });
  return {
      [self](cluster_wiring& w) {
        auto& st = self->state;
        st.router = std::move(w.router);
        st.manager = std::move(w.manager);
        st.address = std::move(w.address);
        st.wired = true;
        for (const auto& a : st.cfg.join)
          connect(self, a);
        self->send(self, gossip_tick{});
      },
      [self](node_hello& h) {
        auto& st = self->state;
        peer_up(self, h.address, h.name, std::move(h.actor));
        return node_welcome{st.self_name(), st.address, st.known_addresses()};
      },
      [self](peer_gossip& g) {
        for (const auto& a : g.addresses)
          if (self->state.peers.count(a) == 0 || !self->state.peers[a].up)
            connect(self, a);
      },
      [self](gossip_tick) {
        auto& st = self->state;
        if (st.leaving)
          return;
        peer_gossip g{st.known_addresses()};
        for (auto* p : st.up_peers())
          self->send(p->actor, g);
        self->delayed_send(self, gossip_interval, gossip_tick{});
      },
      [self](connect_peer& c) { connect(self, c.address); },
      [self](node_leaving& l) {
        for (auto& [addr, p] : self->state.peers)
          if (p.up && p.name == l.name) {
            peer_down(self, p, addr, "it is shutting down");
            return;
          }
      },
      [self](get_view) { return self->state.view; },
      [self](open_room& o) -> caf::result<room_actor> {
        return self->delegate(self->state.router, find_room{std::move(o.room), true});
      },
      [self](sync_request& q) -> caf::result<room_snapshot> {
        auto rp = self->make_response_promise<room_snapshot>();
        auto node = self->state.self_name();
        self->request(self->state.router, self->state.cfg.limits.cluster_reply_timeout,
                      find_room{q.room, false})
            .then([rp,
                   q](room_actor& room) mutable { rp.delegate(room, sync_room{q.node}); },
                  [rp, node](caf::error&) mutable {
                    rp.deliver(room_snapshot{node, false, false, 0, {}, {}, {}});
                  });
        return rp;
      },
      [self](remote_direct& d) -> caf::result<std::size_t> {
        return self->delegate(self->state.manager,
                              direct_frame{std::move(d.user), std::move(d.text)});
      },
      [self](room_at& r) -> caf::result<room_actor> {
        auto& st = self->state;
        if (r.node == st.self_name())
          return self->delegate(st.router, find_room{std::move(r.room), true});
        if (auto* p = st.by_name(r.node))
          return self->delegate(p->actor, open_room{std::move(r.room)});
        return make_error(chat_errc::no_such_node);
      },
      [self](sync_all& s) {
        auto rp = self->make_response_promise<std::vector<room_snapshot>>();
        ask_every_peer<room_snapshot>(self, sync_request{s.room, self->state.self_name()},
                                      rp,
                                      [](std::vector<room_snapshot> xs) { return xs; });
        return rp;
      },
      [self](deliver_direct& d) {
        auto rp = self->make_response_promise<std::size_t>();
        for (auto* p : self->state.up_peers())
          self->state.cfg.counters->peer(p->name).sent(d.text.size());
        ask_every_peer<std::size_t>(self, remote_direct{d.user, d.text}, rp,
                                    [](std::vector<std::size_t> xs) {
                                      std::size_t n = 0;
                                      for (auto x : xs)
                                        n += x;
                                      return n;
                                    });
        return rp;
      },
      [self](cluster_status) {
        std::vector<peer_info> xs;
        for (const auto& [addr, p] : self->state.peers)
          xs.push_back({p.name, addr, p.up ? "up" : "connecting"});
        return xs;
      },
      [self](leave_cluster) {
        auto& st = self->state;
        st.leaving = true;
        for (auto* p : st.up_peers())
          self->send(p->actor, node_leaving{st.self_name()});
        return true;
      },
  };
}

} // namespace

cluster_actor spawn_cluster(caf::actor_system& sys, cluster_settings settings) {
  return sys.spawn(cluster, std::move(settings));
}

} // namespace chat
