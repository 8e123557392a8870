// The layer under each WebSocket, and its outbound queue. Everything written while a
// send is in flight goes out in the next single write to `NextLayer`, so frames queued
// for one client cost one write, not one each. Beast writes its control frames (ping,
// pong, close) through async_write_some; chat frames are appended by write_text. Each
// frame is appended whole, so the two never interleave inside a frame. A large payload
// (a presence_diff naming hundreds, sent to every member of a room) is not copied: the
// write refers to the one buffer all its recipients share.
// `NextLayer` is the transport (net/transport.hpp): a tcp::socket, or a TLS stream, which
// then encrypts each batch in one write, never frame by frame.
#pragma once

#include "net/beast.hpp"
#include "net/ws_frame.hpp"

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace chat::net {

template <class NextLayer> class corked_socket {
public:
  using executor_type = typename NextLayer::executor_type;

  // `gauge`, when given, follows the bytes buffered here (the outbound-queue metric);
  // once everything is sent, buffers above `keep_capacity` are released. Payloads of at
  // least `share_from` bytes are sent from their shared buffer rather than copied.
  corked_socket(NextLayer&& socket, std::atomic<std::int64_t>* gauge,
                std::size_t keep_capacity, std::size_t share_from)
      : impl_(std::make_shared<impl>(std::move(socket), gauge, keep_capacity,
                                     share_from)) {}

  executor_type get_executor() noexcept { return impl_->socket.get_executor(); }
  NextLayer& next_layer() noexcept { return impl_->socket; }
  const NextLayer& next_layer() const noexcept { return impl_->socket; }

  // Bytes accepted from Beast and not yet sent on.
  std::size_t buffered() const noexcept {
    return impl_->pending.size() + impl_->inflight.size();
  }

  // Buffer capacity held now (both buffers): what an idle client costs here.
  std::size_t held_capacity() const noexcept {
    return impl_->pending.bytes.capacity() + impl_->inflight.bytes.capacity();
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
    append_text_frame(s.pending.bytes, payload);
    s.count(static_cast<std::int64_t>(s.pending.size() - before));
    flush(impl_);
  }

  // The same for a payload in a buffer shared with other recipients: a large one is
  // kept by reference until sent (its header is copied, the payload is not).
  void write_text(const std::shared_ptr<const std::string>& payload) {
    auto& s = *impl_;
    if (!payload || payload->size() < s.share_from) {
      write_text(payload ? std::string_view{*payload} : std::string_view{});
      return;
    }
    if (s.failed)
      return;
    auto before = s.pending.size();
    append_text_header(s.pending.bytes, payload->size());
    s.pending.shared.push_back({s.pending.bytes.size(), payload});
    s.pending.shared_bytes += payload->size();
    s.count(static_cast<std::int64_t>(s.pending.size() - before));
    flush(impl_);
  }

  // Appends an empty ping (the liveness probe). Hand-written like write_text: Beast's
  // ping op allocates and hops through two handlers for a two-byte frame, once per
  // idle client per ping-interval.
  void write_ping() {
    auto& s = *impl_;
    if (s.failed)
      return;
    append_ping_frame(s.pending.bytes);
    s.count(2);
    flush(impl_);
  }

  // Forgets what is not yet being sent (a slow consumer's backlog).
  void discard_pending() { impl_->forget(impl_->pending); }

  // Completes at once (through the executor) after copying the bytes; a failed earlier
  // send is reported here, so Beast sees a dead socket on its next write.
  template <class ConstBuffers, class Handler>
  void async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    auto& s = *impl_;
    auto n = asio::buffer_size(buffers);
    if (!s.failed) {
      auto at = s.pending.bytes.size();
      s.pending.bytes.resize(at + n);
      asio::buffer_copy(asio::buffer(s.pending.bytes.data() + at, n), buffers);
      s.count(static_cast<std::int64_t>(n));
      flush(impl_);
    }
    auto ec =
        s.failed ? beast::error_code{asio::error::broken_pipe} : beast::error_code{};
    asio::post(get_executor(),
               beast::bind_handler(std::forward<Handler>(handler), ec, s.failed ? 0 : n));
  }

private:
  // A shared payload, sent after the first `at` bytes of its batch's byte buffer.
  struct shared_piece {
    std::size_t at;
    std::shared_ptr<const std::string> text;
  };

  // What one write sends: copied bytes, and large payloads between them (in order of
  // `at`; a payload always follows its header, so a batch with any is never empty).
  struct batch {
    std::vector<char> bytes;
    std::vector<shared_piece> shared;
    std::size_t shared_bytes = 0;

    std::size_t size() const noexcept { return bytes.size() + shared_bytes; }
    bool empty() const noexcept { return bytes.empty(); }
    void clear() noexcept {
      bytes.clear();
      shared.clear();
      shared_bytes = 0;
    }
    // Frees the byte buffer if a burst grew it past `keep`.
    void release(std::size_t keep) {
      if (bytes.capacity() > keep)
        std::vector<char>{}.swap(bytes);
    }
    // The buffers of one gathered write: bytes, a shared payload, bytes, ...
    std::vector<asio::const_buffer> pieces() const {
      std::vector<asio::const_buffer> out;
      out.reserve(2 * shared.size() + 1);
      std::size_t from = 0;
      for (const auto& p : shared) {
        out.emplace_back(bytes.data() + from, p.at - from);
        out.emplace_back(p.text->data(), p.text->size());
        from = p.at;
      }
      if (from < bytes.size())
        out.emplace_back(bytes.data() + from, bytes.size() - from);
      return out;
    }
  };

  struct impl {
    impl(NextLayer&& s, std::atomic<std::int64_t>* g, std::size_t keep, std::size_t share)
        : socket(std::move(s)), gauge(g), keep_capacity(keep), share_from(share) {}
    ~impl() { count(-static_cast<std::int64_t>(pending.size() + inflight.size())); }
    void count(std::int64_t delta) {
      if (gauge)
        gauge->fetch_add(delta, std::memory_order_relaxed);
    }
    // Drops what `b` holds, off the gauge.
    void forget(batch& b) {
      count(-static_cast<std::int64_t>(b.size()));
      b.clear();
    }
    NextLayer socket;
    std::atomic<std::int64_t>* gauge;
    std::size_t keep_capacity;
    std::size_t share_from;
    batch pending;  // written since the send in flight began
    batch inflight; // being sent
    bool failed = false;
  };

  static void flush(const std::shared_ptr<impl>& self) {
    auto& s = *self;
    if (!s.inflight.empty() || s.pending.empty())
      return;
    std::swap(s.pending, s.inflight);
    auto done = [self](beast::error_code ec, std::size_t) {
      auto& st = *self;
      st.forget(st.inflight);
      if (ec) {
        st.failed = true;
        st.forget(st.pending);
      }
      // All sent: a burst must not stay resident in every member's two buffers.
      if (st.pending.empty()) {
        st.inflight.release(st.keep_capacity);
        st.pending.release(st.keep_capacity);
      }
      if (!ec)
        flush(self);
    };
    if (s.inflight.shared.empty())
      asio::async_write(s.socket, asio::buffer(s.inflight.bytes), std::move(done));
    else
      asio::async_write(s.socket, s.inflight.pieces(), std::move(done));
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
