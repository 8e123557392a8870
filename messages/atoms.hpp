// The atoms actors and the network layer use to tell each other what a message is.
#pragma once

#include <caf/atom.hpp>

namespace chat {

// session -> connection actor
using text_atom = caf::atom_constant<caf::atom("text")>;     // (text_atom, std::string)
using binary_atom = caf::atom_constant<caf::atom("binary")>; // a binary frame arrived
using upgraded_atom = caf::atom_constant<caf::atom("upgraded")>; // handshake done
using closed_atom = caf::atom_constant<caf::atom("closed")>;     // (closed_atom, reason)
using pong_atom = caf::atom_constant<caf::atom("pong")>;

// between actors
using register_atom = caf::atom_constant<caf::atom("register")>;
using ping_atom = caf::atom_constant<caf::atom("ping")>;
using drop_atom = caf::atom_constant<caf::atom("drop")>;
using join_atom = caf::atom_constant<caf::atom("join")>;
using leave_atom = caf::atom_constant<caf::atom("leave")>;
using publish_atom = caf::atom_constant<caf::atom("publish")>;
using deliver_atom = caf::atom_constant<caf::atom("deliver")>;
using direct_atom = caf::atom_constant<caf::atom("direct")>;
using rename_atom = caf::atom_constant<caf::atom("rename")>;
using users_atom = caf::atom_constant<caf::atom("users")>;
using history_atom = caf::atom_constant<caf::atom("history")>;
using ack_atom = caf::atom_constant<caf::atom("ack")>;
using fail_atom = caf::atom_constant<caf::atom("fail")>;
using shutdown_atom = caf::atom_constant<caf::atom("shutdown")>;
using stats_atom = caf::atom_constant<caf::atom("stats")>;
using count_atom = caf::atom_constant<caf::atom("count")>;
using metric_atom = caf::atom_constant<caf::atom("metric")>;

} // namespace chat
