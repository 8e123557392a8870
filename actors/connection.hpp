// One actor per WebSocket: decodes the client's frames, enforces its rate limit and
// error budget, keeps the handle of its room and acts straight on it, asks the router
// only to change rooms, and hands outgoing frames to its link.
#pragma once

#include "actors/client_events.hpp"
#include "actors/client_link.hpp"
#include "actors/node_context.hpp"
#include "messages/identity.hpp"
#include "messages/manager_contract.hpp"
#include "messages/router_contract.hpp"

#include <caf/fwd.hpp>
#include <memory>
#include <optional>
#include <string>

namespace chat {

// What the upgrade request says about its client.
struct client_hello {
  std::string wanted_name; // ?name= (empty: a guest name); ignored when `who` is set
  std::string since;       // ?since= (empty: none): resume the first room after that id
  // Authentication on: the verified token's identity, or why it was refused (401).
  std::optional<identity> who;
  std::optional<auth_refusal> refused;
};

// The actor registers with the manager and then accepts or rejects the upgrade through
// `link`.
connection_actor spawn_connection(caf::actor_system& sys,
                                  std::shared_ptr<client_link> link, client_hello hello,
                                  context_ptr ctx, manager_actor manager,
                                  router_actor router);

// The events a transport reports to `conn`, as messages to it.
std::shared_ptr<client_events> make_client_events(connection_actor conn);

} // namespace chat
