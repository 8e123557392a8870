// The node actor of a cluster of chatd nodes: the peer table, the mesh (join, gossip,
// reconnect with backoff), the view of live nodes that rooms place themselves by, and
// the requests that span nodes. Its contract is messages/cluster_contract.hpp.
#pragma once

#include "actors/metrics.hpp"
#include "base/limits.hpp"
#include "messages/cluster_contract.hpp"

#include <caf/fwd.hpp>
#include <caf/io/middleman_actor.hpp>
#include <memory>
#include <string>
#include <vector>

namespace chat {

struct cluster_settings {
  std::string node_name;
  std::vector<std::string> join;      // "host:port" of nodes to join at start, retried
  caf::io::middleman_actor transport; // CAF's middleman (or its OpenSSL twin) actor
  chat::limits limits;
  std::shared_ptr<metrics> counters;
};

// Spawns the cluster actor; it starts connecting once it gets its cluster_wiring.
cluster_actor spawn_cluster(caf::actor_system& sys, cluster_settings settings);

} // namespace chat
