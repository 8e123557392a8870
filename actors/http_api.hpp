// HTTP endpoints that report actor state: /healthz is answered by a short-lived actor
// that asks the owners, so the network thread never blocks; /metrics reads the counters.
#pragma once

#include "actors/metrics.hpp"

#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace chat {

struct http_api {
  caf::actor_system* sys = nullptr;
  caf::actor manager;
  caf::actor router;
  std::string node;
  std::shared_ptr<const metrics> counters;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

  using reply =
      std::function<void(unsigned status, std::string content_type, std::string body)>;

  // Returns false when `path` is not an endpoint of ours.
  bool answer(const std::string& path, reply r) const;
};

} // namespace chat
