// What the outbox hands frames to: a WebSocket session over either transport, plain or
// TLS (ws_session<Stream>), without knowing which.
#pragma once

#include "messages/frame.hpp"

namespace chat::net {

class frame_target {
public:
  virtual ~frame_target() = default;
  // On the io thread: queue a frame for the client.
  virtual void write(const frame& text) = 0;
};

} // namespace chat::net
