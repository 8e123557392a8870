// The HTTP endpoints that speak for the actors: /healthz, /metrics and the REST API
// (/api/rooms/{room}/messages, /api/rooms/{room}/users). Each request that needs actor
// state is answered by a short-lived actor that asks the owner, so the network thread
// never blocks.
#pragma once

#include "actors/metrics.hpp"
#include "messages/codec.hpp"

#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace chat {

struct http_api {
  caf::actor_system* sys = nullptr;
  caf::actor manager;
  caf::actor router;
  std::string node;
  std::shared_ptr<const metrics> counters;
  decode_limits limits;
  std::string api_key; // empty: the REST API needs no Authorization
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

  using reply =
      std::function<void(unsigned status, std::string content_type, std::string body)>;

  struct request {
    const std::string& method;
    const std::string& path;
    const std::map<std::string, std::string>& query;
    const std::string& authorization;
    const std::string& body;
  };

  // Returns false when the path is not one of ours.
  bool answer(const request& req, reply r) const;
};

} // namespace chat
