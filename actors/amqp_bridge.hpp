// The node's AMQP bridge: publishes the messages this node's rooms sequence (and, when
// asked, direct messages) to a topic exchange, and posts what arrives on the inbound
// queue into rooms, acking each only once its room accepted it. It owns the broker
// connection (bridge/amqp_link) on a thread of its own and reconnects with backoff.
// Its contract is messages/amqp_contract.hpp.
#pragma once

#include "actors/metrics.hpp"
#include "base/limits.hpp"
#include "bridge/amqp_link.hpp"
#include "messages/amqp_contract.hpp"

#include <caf/fwd.hpp>
#include <memory>

namespace chat {

// Spawns the actor detached (the broker's calls block). It connects once it gets its
// amqp_wiring.
amqp_actor spawn_amqp_bridge(caf::actor_system& sys, amqp_address where,
                             amqp_options opts, limits lim,
                             std::shared_ptr<metrics> counters);

} // namespace chat
