// A private RabbitMQ broker (Debian's rabbitmq-server) for tests: its own epmd, node and
// AMQP ports (free ones), data and logs in a temporary folder; stopped, with its epmd,
// when the object goes. stop() and start() restart it on the same ports and data.
#pragma once

#include <chrono>
#include <string>

namespace chat::test {

class rabbitmq_broker {
public:
  // Starts it and waits until it accepts an AMQP login; throws when it does not within
  // `ready_timeout` (its log is in the message).
  explicit rabbitmq_broker(std::chrono::seconds ready_timeout = std::chrono::seconds(90));
  ~rabbitmq_broker();
  rabbitmq_broker(const rabbitmq_broker&) = delete;
  rabbitmq_broker& operator=(const rabbitmq_broker&) = delete;

  unsigned short port() const { return port_; }
  // amqp://guest:guest@127.0.0.1:PORT (vhost /).
  std::string url() const;
  bool running() const { return pid_ > 0; }

  // SIGTERM (a clean shutdown: clients get connection.close), then waits for the end.
  void stop();
  // Starts it again (same ports, same data) and waits until it accepts a login.
  void start();

private:
  void wait_ready();
  std::string log_tail() const;
  std::string dir_;
  unsigned short port_ = 0;
  unsigned short dist_port_ = 0;
  unsigned short epmd_port_ = 0;
  int pid_ = -1;      // rabbitmq-server, leader of its process group
  int epmd_pid_ = -1; // our epmd, in the foreground: the broker uses it, not its own
  std::chrono::seconds ready_timeout_;
};

} // namespace chat::test
