// The layer under each WebSocket, and its outbound queue. Everything written while a
// send is in flight goes out in the next single write to `NextLayer`, so frames queued
// for one client cost one write, not one each. Beast writes its control frames (ping,
// pong, close) through async_write_some; chat frames are appended by write_text. Each
// frame is appended whole, so the two never interleave inside a frame.
// `NextLayer` is the transport (net/transport.hpp): a tcp::socket, or a TLS stream, which
// then encrypts each batch in one write, never frame by frame.
#pragma once

#include "net/beast.hpp"
#include "net/ws_frame.hpp"

#include <atomic>
#include <memory>
#include <string_view>
#include <vector>

namespace chat::net {

template <class NextLayer> class corked_socket {
public:
  using executor_type = typename NextLayer::executor_type;

  // `gauge`, when given, follows the bytes buffered here (the outbound-queue metric);
  // a send buffer above `keep_capacity` is released once sent.
  corked_socket(NextLayer&& socket, std::atomic<std::int64_t>* gauge,
                std::size_t keep_capacity)
      : impl_(std::make_shared<impl>(std::move(socket), gauge, keep_capacity)) {}

  executor_type get_executor() noexcept { return impl_->socket.get_executor(); }
  NextLayer& next_layer() noexcept { return impl_->socket; }
  const NextLayer& next_layer() const noexcept { return impl_->socket; }

  // Bytes accepted from Beast and not yet sent on.
  std::size_t buffered() const noexcept {
    return impl_->pending.size() + impl_->inflight.size();
  }

  template <class MutableBuffers, class Handler>
  void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    impl_->socket.async_read_some(buffers, std::forward<Handler>(handler));
  }

  // Appends one unfragmented, unmasked text frame (net/ws_frame.hpp).
  // Hand-written because Beast's write op costs an allocation and two handler hops per
  // frame, about a tenth of the server's time per delivery, for a 2-10 byte header.
  void write_text(std::string_view payload) {
    auto& s = *impl_;
    if (s.failed)
      return;
    auto before = s.pending.size();
    append_text_frame(s.pending, payload);
    s.count(static_cast<std::int64_t>(s.pending.size() - before));
    flush(impl_);
  }

  // Forgets what is not yet being sent (a slow consumer's backlog).
  void discard_pending() {
    impl_->count(-static_cast<std::int64_t>(impl_->pending.size()));
    impl_->pending.clear();
  }

  // Completes at once (through the executor) after copying the bytes; a failed earlier
  // send is reported here, so Beast sees a dead socket on its next write.
  template <class ConstBuffers, class Handler>
  void async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    auto& s = *impl_;
    auto n = asio::buffer_size(buffers);
    if (!s.failed) {
      auto at = s.pending.size();
      s.pending.resize(at + n);
      asio::buffer_copy(asio::buffer(s.pending.data() + at, n), buffers);
      s.count(static_cast<std::int64_t>(n));
      flush(impl_);
    }
    auto ec =
        s.failed ? beast::error_code{asio::error::broken_pipe} : beast::error_code{};
    asio::post(get_executor(),
               beast::bind_handler(std::forward<Handler>(handler), ec, s.failed ? 0 : n));
  }

private:
  struct impl {
    impl(NextLayer&& s, std::atomic<std::int64_t>* g, std::size_t keep)
        : socket(std::move(s)), gauge(g), keep_capacity(keep) {}
    ~impl() { count(-static_cast<std::int64_t>(pending.size() + inflight.size())); }
    void count(std::int64_t delta) {
      if (gauge)
        gauge->fetch_add(delta, std::memory_order_relaxed);
    }
    NextLayer socket;
    std::atomic<std::int64_t>* gauge;
    std::size_t keep_capacity;
    std::vector<char> pending;  // written by Beast since the send in flight began
    std::vector<char> inflight; // being sent
    bool failed = false;
  };

  static void flush(const std::shared_ptr<impl>& self) {
    if (!self->inflight.empty() || self->pending.empty())
      return;
    std::swap(self->pending, self->inflight);
    asio::async_write(self->socket, asio::buffer(self->inflight),
                      [self](beast::error_code ec, std::size_t) {
                        self->count(-static_cast<std::int64_t>(self->inflight.size()));
                        self->inflight.clear();
                        if (self->inflight.capacity() > self->keep_capacity)
                          self->inflight.shrink_to_fit(); // an idle client keeps little
                        if (ec) {
                          self->failed = true;
                          self->count(-static_cast<std::int64_t>(self->pending.size()));
                          self->pending.clear();
                          return;
                        }
                        flush(self);
                      });
  }

  std::shared_ptr<impl> impl_;

  friend void teardown(beast::role_type role, corked_socket& s, beast::error_code& ec) {
    using boost::beast::websocket::teardown;
    teardown(role, s.impl_->socket, ec);
  }

  template <class TeardownHandler>
  friend void async_teardown(beast::role_type role, corked_socket& s,
                             TeardownHandler&& h) {
    using boost::beast::websocket::async_teardown;
    async_teardown(role, s.impl_->socket, std::forward<TeardownHandler>(h));
  }
};

} // namespace chat::net
