// The test's own AMQP client (rabbitmq-c), to see what chatd publishes: a private queue
// bound to an exchange, read with a timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

struct amqp_connection_state_t_;

namespace chat::test {

// True when guest/guest can log in to vhost / on 127.0.0.1:port.
bool amqp_login_works(unsigned short port);

struct amqp_delivery {
  std::string routing_key;
  std::string body;
  std::string content_type;
  std::uint8_t delivery_mode = 0; // 2: persistent
};

class amqp_watch {
public:
  // Declares `exchange` (topic, durable: as chatd does, so that the order does not
  // matter) and binds a new exclusive queue to it with `binding_key`. Throws on failure.
  amqp_watch(unsigned short port, const std::string& exchange,
             const std::string& binding_key);
  ~amqp_watch();
  amqp_watch(const amqp_watch&) = delete;
  amqp_watch& operator=(const amqp_watch&) = delete;

  // The next message on the queue; nothing when none came within `timeout`.
  std::optional<amqp_delivery> next(std::chrono::milliseconds timeout);

private:
  amqp_connection_state_t_* conn_ = nullptr;
};

} // namespace chat::test
