// One actor per WebSocket: decodes the client's frames, enforces its rate limit and
// error budget, keeps the handle of its room and acts straight on it, asks the router
// only to change rooms, and hands outgoing frames to its link.
#pragma once

#include "actors/client_events.hpp"
#include "actors/client_link.hpp"
#include "actors/node_context.hpp"
#include "messages/manager_contract.hpp"
#include "messages/router_contract.hpp"

#include <caf/fwd.hpp>
#include <memory>
#include <string>

namespace chat {

// `wanted_name` is the ?name= of the upgrade request (empty: a guest name), `since` its
// ?since= (empty: none; else the client resumes its first room after that id). The
// actor registers with the manager and then accepts or rejects the upgrade through
// `link`.
connection_actor spawn_connection(caf::actor_system& sys,
                                  std::shared_ptr<client_link> link,
                                  std::string wanted_name, std::string since,
                                  context_ptr ctx, manager_actor manager,
                                  router_actor router);

// The events a transport reports to `conn`, as messages to it.
std::shared_ptr<client_events> make_client_events(connection_actor conn);

} // namespace chat
