#include "net/listener.hpp"

#include "base/log.hpp"
#include "net/http_session.hpp"

#include <cerrno>

namespace chat::net {

namespace {

// accept() errors that say this process cannot take another socket now. By value: asio
// reports them in the system category, and comparing against an error_condition of the
// generic category trips UBSan's vptr check on Boost.System's constexpr categories.
bool out_of_resources(const beast::error_code& ec) {
  switch (ec.value()) {
  case EMFILE: // this process is at its descriptor limit
  case ENFILE: // the system is
  case ENOBUFS:
  case ENOMEM:
    return true;
  default:
    return false;
  }
}

} // namespace

listener::listener(asio::io_context& ioc, const net_settings& settings, const handlers& h,
                   std::shared_ptr<shared_state> shared)
    : ioc_(ioc), acceptor_(asio::make_strand(ioc)), backoff_(acceptor_.get_executor()),
      settings_(settings), handlers_(h), shared_(std::move(shared)) {}

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
    self->backoff_.cancel();
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
  if (out_of_resources(ec)) {
    back_off(ec);
    return;
  }
  if (!ec) {
    socket.set_option(tcp::no_delay(true), ec);
    if (settings_.tls)
      std::make_shared<http_session<tls_stream>>(std::move(socket), settings_, handlers_,
                                                 shared_)
          ->run();
    else
      std::make_shared<http_session<beast::tcp_stream>>(std::move(socket), settings_,
                                                        handlers_, shared_)
          ->run();
  }
  do_accept(); // other errors (a peer that gave up in the queue) concern one socket
}

// Out of descriptors: the pending connection stays in the listen queue, so accepting at
// once would fail at once, forever, at 100 % CPU. Wait, then try again; existing clients
// are served meanwhile, and the queue drains once descriptors are free.
void listener::back_off(const beast::error_code& ec) {
  ++errors_since_log_;
  auto now = std::chrono::steady_clock::now();
  if (now - last_error_log_ >= settings_.limits.accept_error_log_interval) {
    log_warning("cannot accept connections: " + ec.message() + " (" +
                std::to_string(errors_since_log_) +
                " times since the last such line); retrying every " +
                std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   settings_.limits.accept_backoff)
                                   .count()) +
                " ms");
    last_error_log_ = now;
    errors_since_log_ = 0;
  }
  backoff_.expires_after(settings_.limits.accept_backoff);
  backoff_.async_wait([self = shared_from_this()](beast::error_code timer_ec) {
    if (!timer_ec && self->acceptor_.is_open())
      self->do_accept();
  });
}

} // namespace chat::net
