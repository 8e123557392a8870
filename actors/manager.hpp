// The manager: the client set, admission, liveness, direct messages and shutdown.
// Its contract is messages/manager_contract.hpp.
#pragma once

#include "actors/node_context.hpp"
#include "messages/manager_contract.hpp"

#include <caf/fwd.hpp>

namespace chat {

manager_actor spawn_manager(caf::actor_system& sys, context_ptr ctx);

} // namespace chat
