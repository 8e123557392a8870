// What a node's cluster actor accepts. Each node publishes its cluster actor on
// cluster-port; the cluster actors of all nodes form a full mesh (no hub). The cluster
// actor owns the peer table and the view of live nodes, which it sends to the node's
// rooms; it opens rooms on other nodes for them, asks every node when a room changes
// home, and carries direct messages to users on other nodes.
//
//   between nodes:
//     node_hello     -> node_welcome      a node introduces itself (and its actor)
//     peer_gossip                         the addresses a node knows (full mesh)
//     node_leaving                        a node shuts down: drop it from the view now
//     open_room      -> room_actor        this node's copy of a room, created if needed
//     sync_request   -> room_snapshot     what this node's copy of a room knows
//     remote_direct  -> size_t            a direct message for this node's connections
//                                         of one user
//   from this node's actors:
//     get_view       -> cluster_view      the live nodes now (rooms, at start)
//     room_at        -> room_actor        the copy of a room on another node
//     sync_all       -> vector<room_snapshot>  every other live node's copy of a room
//     deliver_direct -> size_t            a direct message to one user's connections on
//                                         every other live node
//     cluster_status -> vector<peer_info> /healthz and /metrics
//     leave_cluster  -> bool              shutdown: tell every peer, then stop
//     cluster_wiring                      the router, the manager and its own address
//   its own timers: connect_peer, gossip_tick
#pragma once

#include "messages/frame.hpp"
#include "messages/manager_contract.hpp"
#include "messages/router_contract.hpp"

#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace chat {

struct node_hello;
struct node_welcome {
  std::string name;
  std::string address;            // host:port where its cluster actor is published
  std::vector<std::string> peers; // addresses of the nodes it knows
};
struct peer_gossip {
  std::vector<std::string> addresses;
};
struct node_leaving {
  std::string name;
};
struct open_room {
  std::string room;
};
struct sync_request {
  std::string room;
  std::string node; // who asks
};
struct remote_direct {
  std::string user;
  frame text; // the direct_message event, encoded once by the sender's node
};
struct get_view {};
struct room_at {
  std::string node;
  std::string room;
};
struct sync_all {
  std::string room;
};
struct deliver_direct {
  std::string user;
  frame text;
};
struct cluster_status {};
// One peer as /healthz shows it.
struct peer_info {
  std::string node;
  std::string address;
  std::string state; // "up", "connecting" (known, not reachable now)
};
struct leave_cluster {};
struct connect_peer {
  std::string address;
};
struct gossip_tick {};
struct cluster_wiring;

using cluster_actor = caf::typed_actor<
    caf::replies_to<node_hello>::with<node_welcome>, caf::reacts_to<peer_gossip>,
    caf::reacts_to<node_leaving>, caf::replies_to<open_room>::with<room_actor>,
    caf::replies_to<sync_request>::with<room_snapshot>,
    caf::replies_to<remote_direct>::with<std::size_t>,
    caf::replies_to<get_view>::with<cluster_view>,
    caf::replies_to<room_at>::with<room_actor>,
    caf::replies_to<sync_all>::with<std::vector<room_snapshot>>,
    caf::replies_to<deliver_direct>::with<std::size_t>,
    caf::replies_to<cluster_status>::with<std::vector<peer_info>>,
    caf::replies_to<leave_cluster>::with<bool>, caf::reacts_to<connect_peer>,
    caf::reacts_to<gossip_tick>, caf::reacts_to<cluster_wiring>>;

struct node_hello {
  std::string name;
  std::string address;
  cluster_actor actor;
};
// The node's own actors and the address its cluster actor is published at, once they
// exist: until then the cluster actor neither connects nor answers for rooms.
struct cluster_wiring {
  router_actor router;
  manager_actor manager;
  std::string address; // host:port, as peers reach it
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_hello& x) {
  return f(caf::meta::type_name("node_hello"), x.name, x.address, x.actor);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_welcome& x) {
  return f(caf::meta::type_name("node_welcome"), x.name, x.address, x.peers);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, peer_gossip& x) {
  return f(caf::meta::type_name("peer_gossip"), x.addresses);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_leaving& x) {
  return f(caf::meta::type_name("node_leaving"), x.name);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, open_room& x) {
  return f(caf::meta::type_name("open_room"), x.room);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, sync_request& x) {
  return f(caf::meta::type_name("sync_request"), x.room, x.node);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, remote_direct& x) {
  return f(caf::meta::type_name("remote_direct"), x.user, x.text);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, get_view&) {
  return f(caf::meta::type_name("get_view"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, room_at& x) {
  return f(caf::meta::type_name("room_at"), x.node, x.room);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, sync_all& x) {
  return f(caf::meta::type_name("sync_all"), x.room);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, deliver_direct& x) {
  return f(caf::meta::type_name("deliver_direct"), x.user, x.text);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cluster_status&) {
  return f(caf::meta::type_name("cluster_status"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, peer_info& x) {
  return f(caf::meta::type_name("peer_info"), x.node, x.address, x.state);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, leave_cluster&) {
  return f(caf::meta::type_name("leave_cluster"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, connect_peer& x) {
  return f(caf::meta::type_name("connect_peer"), x.address);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, gossip_tick&) {
  return f(caf::meta::type_name("gossip_tick"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cluster_wiring& x) {
  return f(caf::meta::type_name("cluster_wiring"), x.router, x.manager, x.address);
}

} // namespace chat
