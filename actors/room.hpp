// One room: members (and the feed it puts each one's frames into), presence, the
// message sequence and recent history. Spawned and released by the router, which it
// tells whenever a member goes. Its contract is messages/room_contract.hpp.
#pragma once

#include "actors/node_context.hpp"
#include "messages/router_contract.hpp"

#include <caf/fwd.hpp>
#include <string>

namespace chat {

room_actor spawn_room(caf::actor_system& sys, std::string name, context_ptr ctx,
                      router_actor router);

} // namespace chat
