#include "net/listener.hpp"

#include "net/http_session.hpp"

namespace chat::net {

listener::listener(asio::io_context& ioc, const net_settings& settings, const handlers& h,
                   std::shared_ptr<shared_state> shared)
    : ioc_(ioc), acceptor_(asio::make_strand(ioc)), settings_(settings), handlers_(h),
      shared_(std::move(shared)) {}

beast::error_code listener::open(const tcp::endpoint& at) {
  beast::error_code ec;
  acceptor_.open(at.protocol(), ec);
  if (!ec)
    acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec)
    acceptor_.bind(at, ec);
  if (!ec)
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  return ec;
}

void listener::stop() {
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
    beast::error_code ignored;
    self->acceptor_.close(ignored);
  });
}

void listener::do_accept() {
  // With several io threads each connection gets its own strand so its handlers never
  // overlap; with one thread that is already so, and the strand would only cost.
  asio::any_io_executor ex = settings_.io_threads > 1
                                 ? asio::any_io_executor{asio::make_strand(ioc_)}
                                 : asio::any_io_executor{ioc_.get_executor()};
  acceptor_.async_accept(
      ex, beast::bind_front_handler(&listener::on_accept, shared_from_this()));
}

void listener::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open())
    return;
  if (!ec) {
    socket.set_option(tcp::no_delay(true), ec);
    std::make_shared<http_session>(std::move(socket), settings_, handlers_, shared_)
        ->run();
  }
  // EMFILE and friends: keep accepting; the next attempt may succeed once sockets close.
  do_accept();
}

} // namespace chat::net
