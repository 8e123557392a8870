// What a connection actor needs from its transport. net/ implements it over a Beast
// WebSocket; the actor only hands over bytes and decisions, it never sees a socket.
// Every call may be made from any thread and returns at once.
#pragma once

#include "messages/frame.hpp"

#include <cstdint>
#include <string>

namespace chat {

class client_link {
public:
  virtual ~client_link() = default;
  virtual void accept() = 0;                                      // complete the upgrade
  virtual void reject(unsigned http_status, std::string why) = 0; // refuse the upgrade
  virtual void send(frame text) = 0;                              // queue a text frame
  virtual void close(std::uint16_t code, std::string reason) = 0; // close handshake
};

} // namespace chat
