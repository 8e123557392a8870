// Announces every message type that actors exchange, and the "chat" error category, to
// CAF. Call it on every node before the actor_system is built: a type that is not
// announced cannot cross nodes (CAF drops the message with an error log).
#pragma once

#include <caf/fwd.hpp>

namespace chat {

void announce_message_types(caf::actor_system_config& cfg);

} // namespace chat
