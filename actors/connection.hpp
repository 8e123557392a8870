// One actor per WebSocket: decodes the client's frames, enforces its rate limit and
// error budget, asks the router to act, and hands outgoing frames to its link.
#pragma once

#include "actors/client_link.hpp"
#include "actors/limits.hpp"

#include <caf/fwd.hpp>
#include <memory>
#include <string>

namespace chat {

caf::actor spawn_connection(caf::actor_system& sys, std::shared_ptr<client_link> link,
                            std::string wanted_name, const chat_limits& limits,
                            caf::actor manager, caf::actor router);

} // namespace chat
