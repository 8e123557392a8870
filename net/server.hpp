// The network side as the rest of the program sees it: no Beast in this header.
// One io_context on `io_threads` threads, an acceptor, HTTP and WebSocket sessions,
// over plain TCP or, with net_settings::tls, over TLS.
#pragma once

#include "actors/client_events.hpp"
#include "actors/client_link.hpp"
#include "actors/metrics.hpp"
#include "base/limits.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace chat::net {

struct tls_context; // net/tls_context.hpp

// Loads a TLS port's PEM certificate (chain) and its private key. Returns null and says
// why in `error`, naming the key and file, when a file is unreadable, holds no PEM
// certificate or unencrypted PEM key, or the key does not match the certificate.
std::shared_ptr<tls_context> load_tls_context(const std::string& cert_file,
                                              const std::string& key_file,
                                              std::string& error);

// What the network side is told at start.
struct net_settings {
  unsigned io_threads = 1;
  std::string web_root = "web";
  std::vector<std::string> allowed_origins; // empty: same host only
  chat::limits limits;
  std::shared_ptr<metrics> counters = std::make_shared<metrics>();
  // Set: the port speaks TLS only (https, wss); null: plain HTTP and WebSocket.
  std::shared_ptr<tls_context> tls;
};

// A plain HTTP request for the application's endpoints (no Beast types).
struct http_request {
  std::string method;                       // "GET", "POST", ...
  std::string path;                         // decoded, e.g. /api/rooms/general/messages
  std::map<std::string, std::string> query; // decoded parameters
  std::string authorization;                // the Authorization header
  std::string body;
};

// A WebSocket upgrade request, as far as the application reads it.
struct upgrade_request {
  std::map<std::string, std::string> query; // decoded parameters (?name=, ?since=, ...)
  std::string authorization;                // the Authorization header
};

// Answers an HTTP request: status, content type, body.
using responder =
    std::function<void(unsigned status, std::string content_type, std::string body)>;

struct handlers {
  // A WebSocket upgrade on /ws: hands the application the session's link and returns
  // where the session reports its client's events. The application later calls
  // link->accept() or link->reject().
  std::function<std::shared_ptr<client_events>(std::shared_ptr<client_link> link,
                                               const upgrade_request& request)>
      on_upgrade;
  // Any other request, asked before web_root is searched. Returns false when the path is
  // not the application's (then GET/HEAD look in web_root; other methods get 405).
  std::function<bool(const http_request& req, responder respond)> on_request;
};

class server {
public:
  server(net_settings settings, handlers h);
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
