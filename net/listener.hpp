// Accepts TCP connections and starts an http_session on its own strand for each, over
// TLS when the server has a certificate.
#pragma once

#include "net/beast.hpp"
#include "net/server.hpp"
#include "net/shared_state.hpp"

#include <memory>

namespace chat::net {

class listener : public std::enable_shared_from_this<listener> {
public:
  listener(asio::io_context& ioc, const net_settings& settings, const handlers& h,
           std::shared_ptr<shared_state> shared);

  beast::error_code open(const tcp::endpoint& at);
  tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
  void run() { do_accept(); }
  void stop();

private:
  void do_accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
  void back_off(const beast::error_code& ec);

  asio::io_context& ioc_;
  tcp::acceptor acceptor_;
  asio::steady_timer backoff_;
  std::chrono::steady_clock::time_point last_error_log_{};
  std::size_t errors_since_log_ = 0;
  const net_settings& settings_;
  const handlers& handlers_;
  std::shared_ptr<shared_state> shared_;
};

} // namespace chat::net
