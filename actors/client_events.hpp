// What a transport tells the actor side about its client: the mirror of client_link.
// net/ calls it from its io thread; actors/ implements it by messaging the connection
// actor, so every call returns at once. After on_closed() the transport calls nothing
// more and drops its reference.
#pragma once

#include <string>

namespace chat {

class client_events {
public:
  virtual ~client_events() = default;
  virtual void on_upgraded() = 0;             // the WebSocket handshake completed
  virtual void on_text(std::string text) = 0; // one whole text message
  virtual void on_binary() = 0;               // one whole binary message
  virtual void on_closed() = 0;               // the socket is gone, whoever closed it
};

} // namespace chat
