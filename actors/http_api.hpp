// The HTTP endpoints that speak for the actors: /healthz, /metrics and the REST API
// (/api/rooms/{room}/messages, /api/rooms/{room}/users). Each request that needs actor
// state is answered by a short-lived actor that asks the owner, so the network thread
// never blocks.
#pragma once

#include "actors/node_context.hpp"
#include "messages/manager_contract.hpp"
#include "messages/router_contract.hpp"

#include <caf/fwd.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <string>

namespace chat {

struct http_api {
  caf::actor_system* sys = nullptr;
  manager_actor manager;
  router_actor router;
  context_ptr ctx;
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
