// What every actor of this node reads and never changes: the limits it enforces, the
// node's name, and where it counts for /metrics. One shared, immutable instance: a
// connection actor holds a pointer to it, not a copy.
#pragma once

#include "actors/metrics.hpp"
#include "auth/token_verifier.hpp"
#include "base/limits.hpp"
#include "messages/amqp_contract.hpp"
#include "messages/cluster_contract.hpp"
#include "messages/history_contract.hpp"

#include <memory>
#include <string>

namespace chat {

struct node_context {
  chat::limits limits;
  std::string node_name;
  std::shared_ptr<metrics> counters = std::make_shared<metrics>();
  cluster_actor cluster; // this node's cluster actor; invalid on a single node
  history_actor history; // this node's history store; invalid with history-db ""
  amqp_actor amqp;       // the AMQP bridge; invalid without amqp-url
  bool amqp_publish_direct = false; // direct messages go to the exchange too
  // Checks the tokens of refresh events; null when authentication is off.
  std::shared_ptr<const auth::token_verifier> verifier;
};

using context_ptr = std::shared_ptr<const node_context>;

} // namespace chat
