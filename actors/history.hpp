// The node's history actor: owns the SQLite store (store/history_db) on a thread of its
// own, commits room messages in batches and answers reads. Its contract is
// messages/history_contract.hpp.
#pragma once

#include "actors/metrics.hpp"
#include "base/limits.hpp"
#include "messages/history_contract.hpp"

#include <caf/fwd.hpp>
#include <memory>

namespace chat {

class history_db;

// Spawns the actor detached (SQLite's calls block) with an opened store.
history_actor spawn_history(caf::actor_system& sys, std::unique_ptr<history_db> db,
                            limits lim, std::shared_ptr<metrics> counters);

} // namespace chat
