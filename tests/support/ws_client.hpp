// A real WebSocket client for tests (Boost.Beast), every operation bounded by a timeout.
#pragma once

#include "tests/support/presence_model.hpp"

#include <boost/json.hpp>
#include <chrono>
#include <memory>
#include <string>

namespace chat::test {

using namespace std::chrono_literals;
constexpr auto default_wait = 5s;

struct http_reply {
  unsigned status = 0;
  std::string body;
  std::string content_type;
};

// One plain HTTP request over a fresh connection (GET unless `method` says otherwise).
http_reply http_request(unsigned short port, const std::string& target,
                        const std::string& method = "GET", const std::string& body = {},
                        const std::string& authorization = {});

// Writes `bytes` on a fresh TCP connection and returns what the server sent back before
// it closed the connection (bounded by `timeout`).
std::string raw_exchange(unsigned short port, const std::string& bytes,
                         std::chrono::milliseconds timeout = default_wait);

class ws_client {
public:
  // Connects to ws://127.0.0.1:port<target> (with `authorization` as the Authorization
  // header when given); throws on failure or timeout.
  ws_client(unsigned short port, const std::string& target = "/ws",
            const std::string& authorization = {});
  ~ws_client();
  ws_client(ws_client&&) noexcept;

  // Connects and returns the HTTP status of a refused upgrade (0 when it was accepted).
  // `origin`, when not empty, is sent as the Origin header (what a browser does).
  static unsigned refused_status(unsigned short port, const std::string& target = "/ws",
                                 const std::string& origin = {});

  void send(const std::string& text);
  void send_binary(const std::string& bytes);
  void send_json(const boost::json::value& v) { send(boost::json::serialize(v)); }

  // Reads the next event; throws on timeout or close.
  boost::json::object next(std::chrono::milliseconds timeout = default_wait);
  // Reads until an event of `type` arrives; throws on timeout or close.
  boost::json::object expect(const std::string& type,
                             std::chrono::milliseconds timeout = default_wait);
  // Reads until the server closes; returns its close code (0: the socket ended without
  // one). Throws when the connection is still open after `timeout`.
  int close_code(std::chrono::milliseconds timeout = default_wait);
  // Closes with 1000 (best effort).
  void close();

  // The presence changes read so far and not yet taken (from presence_diff events).
  std::deque<presence_event>& presence_changes();
  // Its room's users as the events read so far told it.
  const std::set<std::string>& known_users() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace chat::test
