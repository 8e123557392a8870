// This node's place in a cluster: its cluster actor, published where the other nodes
// reach it (over CAF's OpenSSL module when node links use TLS).
#pragma once

#include "actors/cluster.hpp"
#include "app/settings.hpp"

#include <caf/fwd.hpp>
#include <string>

namespace chat {

struct cluster_node {
  cluster_actor actor;
  std::string address; // cluster-host:port, the port as bound
};

// Spawns the cluster actor and publishes it on cluster-host:cluster-port. Returns an
// error message instead when the port cannot be bound.
std::string start_cluster(caf::actor_system& sys, const chat_settings& s,
                          cluster_settings actor_settings, cluster_node& out);

} // namespace chat
