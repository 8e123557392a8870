#include "net/server.hpp"

#include "net/listener.hpp"

#include <thread>
#include <vector>

namespace chat::net {

struct server::impl {
  net_settings settings;
  handlers h;
  asio::io_context ioc;
  asio::executor_work_guard<asio::io_context::executor_type> work{ioc.get_executor()};
  std::shared_ptr<shared_state> shared =
      std::make_shared<shared_state>(ioc.get_executor());
  std::shared_ptr<listener> acceptor;
  std::vector<std::thread> threads;
};

server::server(net_settings settings, handlers h) : impl_(std::make_unique<impl>()) {
  impl_->settings = std::move(settings);
  impl_->h = std::move(h);
}

server::~server() {
  if (!impl_->threads.empty())
    stop(std::chrono::milliseconds(0));
}

std::string server::listen(const std::string& host, unsigned short port) {
  beast::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec)
    return "chat.host: \"" + host + "\" is not an IP address";
  impl_->acceptor =
      std::make_shared<listener>(impl_->ioc, impl_->settings, impl_->h, impl_->shared);
  if (auto err = impl_->acceptor->open(tcp::endpoint{addr, port}))
    return "cannot listen on " + host + ":" + std::to_string(port) + ": " + err.message();
  return {};
}

unsigned short server::port() const {
  return impl_->acceptor->local_endpoint().port();
}

void server::run(unsigned threads) {
  impl_->acceptor->run();
  for (unsigned i = 0; i < threads; ++i)
    impl_->threads.emplace_back([this] { impl_->ioc.run(); });
}

void server::stop(std::chrono::milliseconds grace) {
  // The port stays open while sessions finish their close handshakes, so that /healthz
  // answers 503 and new upgrades are refused with 503 instead of a refused connection.
  impl_->work.reset();
  impl_->shared->wait_empty(grace);
  if (impl_->acceptor)
    impl_->acceptor->stop();
  impl_->shared->stopped = true;
  impl_->ioc.stop();
  for (auto& t : impl_->threads)
    t.join();
  impl_->threads.clear();
}

} // namespace chat::net
