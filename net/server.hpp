// The network side as the rest of the program sees it: no Beast in this header.
// One io_context on `io_threads` threads, an acceptor, HTTP and WebSocket sessions.
#pragma once

#include "actors/client_link.hpp"
#include "actors/metrics.hpp"

#include <caf/actor.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace chat::net {

struct net_limits {
  unsigned io_threads = 1;
  std::size_t max_frame_bytes = 4096;
  std::size_t max_outbound_bytes = 1 << 20;
  std::string web_root = "web";
  std::vector<std::string> allowed_origins;       // empty: same host only
  std::chrono::milliseconds close_timeout{10000}; // a close handshake gives up after this
  std::shared_ptr<metrics> counters = std::make_shared<metrics>();
};

// A plain HTTP request for the application's endpoints (no Beast types).
struct http_request {
  std::string method;                       // "GET", "POST", ...
  std::string path;                         // decoded, e.g. /api/rooms/general/messages
  std::map<std::string, std::string> query; // decoded parameters
  std::string authorization;                // the Authorization header
  std::string body;
};

// Answers an HTTP request: status, content type, body.
using responder =
    std::function<void(unsigned status, std::string content_type, std::string body)>;

struct handlers {
  // A WebSocket upgrade on /ws: returns the actor that will own the connection. The actor
  // later calls link->accept() or link->reject(). `name` is the ?name= query parameter.
  std::function<caf::actor(std::shared_ptr<client_link> link, std::string name)>
      on_upgrade;
  // Any other request, asked before web_root is searched. Returns false when the path is
  // not the application's (then GET/HEAD look in web_root; other methods get 405).
  std::function<bool(const http_request& req, responder respond)> on_request;
};

class server {
public:
  server(net_limits limits, handlers h);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Binds host:port (port 0: any free port). Returns an error message, empty on success.
  std::string listen(const std::string& host, unsigned short port);
  unsigned short port() const;

  void run(unsigned threads);

  // Waits up to `grace` for open sessions to finish their close handshakes, then stops
  // accepting, stops the io_context and joins its threads.
  void stop(std::chrono::milliseconds grace);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace chat::net
