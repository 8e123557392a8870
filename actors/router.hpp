// The router: the room table (create, bound by max-rooms, release) and moves between
// rooms. Its contract is messages/router_contract.hpp.
#pragma once

#include "actors/node_context.hpp"
#include "messages/router_contract.hpp"

#include <caf/fwd.hpp>

namespace chat {

router_actor spawn_router(caf::actor_system& sys, context_ptr ctx);

} // namespace chat
