// What the AMQP bridge accepts (actors/amqp_bridge): the node's link to a RabbitMQ
// broker. It is local to its node (every node has its own) and runs on a thread of its
// own (the broker's calls block).
//
//   amqp_publish   publish `body` to the exchange with `routing_key` (a room's home
//                  for each message it sequenced; the manager for direct messages
//                  when amqp-publish-direct is on). Counted dropped while the broker
//                  is away.
//   amqp_wiring    the router, where inbound posts go; the bridge connects once it
//                  has it
#pragma once

#include "messages/router_contract.hpp"

#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <string>

namespace chat {

struct amqp_publish {
  std::string routing_key; // room.<room> or direct.<to>
  std::string body;        // the event's payload, JSON
};
struct amqp_wiring {
  router_actor router;
};

using amqp_actor =
    caf::typed_actor<caf::reacts_to<amqp_publish>, caf::reacts_to<amqp_wiring>>;

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, amqp_publish& x) {
  return f(caf::meta::type_name("amqp_publish"), x.routing_key, x.body);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, amqp_wiring& x) {
  return f(caf::meta::type_name("amqp_wiring"), x.router);
}

} // namespace chat
