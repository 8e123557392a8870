// One connection to an AMQP 0-9-1 broker (rabbitmq-c), as the chat bridge uses it: a
// topic exchange to publish room messages to (persistent, with publisher confirms) and a
// durable queue to consume posts from (manual acks). Blocking calls, bounded by timeouts;
// no CAF, no actors: actors/amqp_bridge drives it from a thread of its own.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

struct amqp_connection_state_t_; // rabbitmq-c's connection

namespace chat {

// Where the broker is, from an amqp:// URL.
struct amqp_address {
  std::string host;
  int port = 5672;
  std::string user;
  std::string password;
  std::string vhost;
  // host:port and vhost, for the log: never the user's credentials.
  std::string describe() const;
};

// Parses amqp://user:password@host:port/vhost (rabbitmq-c's rules; an empty vhost is
// RabbitMQ's default "/"). On error: nullopt and `why`, which never repeats the URL (it
// may hold a password).
std::optional<amqp_address> parse_amqp_url(const std::string& url, std::string& why);

struct amqp_options {
  std::string exchange;      // topic exchange, declared durable
  std::string inbound_queue; // declared durable, consumed with manual acks
  std::uint16_t prefetch = 64;
  std::uint16_t heartbeat_s = 10;
  std::chrono::milliseconds timeout{2000}; // connect, login and each declaration
};

class amqp_link {
public:
  // What one poll found.
  struct event {
    enum kind_t { nothing, delivery, confirm, lost } kind = nothing;
    std::uint64_t tag = 0; // delivery: its tag; confirm: the publish sequence number
    bool multiple = false; // confirm: every tag up to `tag`
    bool ack = true;       // confirm: ack (false: nack)
    std::string body;      // delivery
  };

  amqp_link(amqp_address where, amqp_options opts);
  ~amqp_link();
  amqp_link(const amqp_link&) = delete;
  amqp_link& operator=(const amqp_link&) = delete;

  // Connects, logs in, declares the exchange and the queue, turns on confirms and starts
  // consuming. False (and last_error()) when any step fails; the link is then closed.
  bool open();
  // Closes the connection (politely when it is still up).
  void close();
  bool is_open() const { return conn_ != nullptr; }

  // Publishes `body` (JSON, persistent) with `routing_key`. Returns the sequence number
  // the broker's confirm will carry, or 0 when the connection failed (then closed).
  std::uint64_t publish(const std::string& routing_key, const std::string& body);
  // Settles a delivery: ack, or reject (requeue or not). False when the connection
  // failed (then closed).
  bool ack(std::uint64_t tag);
  bool reject(std::uint64_t tag, bool requeue);

  // Waits up to `timeout` for the next delivery or confirm. `lost` closes the link.
  event poll(std::chrono::milliseconds timeout);

  const std::string& last_error() const { return error_; }

private:
  bool fail(const std::string& what);
  bool check_rpc(const char* what);
  amqp_address where_;
  amqp_options opts_;
  amqp_connection_state_t_* conn_ = nullptr;
  std::uint64_t next_seq_ = 0;
  std::string error_;
};

} // namespace chat
