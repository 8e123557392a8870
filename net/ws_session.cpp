#include "net/ws_session.hpp"

#include "base/log.hpp"
#include "net/http_response.hpp"

namespace chat::net {

template <class Stream>
ws_session<Stream>::ws_session(Stream&& stream, http::request<http::string_body> req,
                               const net_settings& settings,
                               std::shared_ptr<shared_state> shared)
    : ws_(std::move(stream), &settings.counters->outbound_queue_bytes,
          settings.limits.write_buffer_keep_bytes, settings.limits.write_share_bytes),
      req_(std::move(req)), settings_(settings), shared_(std::move(shared)),
      batched_(settings.io_threads == 1), close_deadline_(ws_.get_executor()),
      liveness_(ws_.get_executor()) {
  shared_->add();
}

template <class Stream> ws_session<Stream>::~ws_session() {
  shared_->remove();
}

template <class Stream> void ws_session<Stream>::accept() {
  run_on_io([self = shared_from_this()] {
    if (self->closing_)
      return;
    auto& ws = self->ws_;
    auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
    timeouts.handshake_timeout = self->settings_.limits.handshake_timeout;
    ws.set_option(timeouts); // liveness is ours (watch()): no idle timeout here
    ws.read_message_max(self->settings_.limits.max_frame_bytes);
    ws.auto_fragment(false);
    ws.write_buffer_bytes(256); // only masking and deflate use it; neither is on here
    ws.control_callback(
        [raw = self.get()](websocket::frame_type kind, beast::string_view) {
          raw->heard();
          // The answer to our ping: the next one is due ping-interval from now, not at
          // the pong deadline the timer waits for.
          if (kind == websocket::frame_type::pong && raw->awaiting_pong_) {
            raw->awaiting_pong_ = false;
            raw->watch(raw->last_heard_ + raw->settings_.limits.ping_interval);
          }
        });
    ws.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
      res.set(http::field::server, "actor-chat");
    }));
    ws.async_accept(self->req_, beast::bind_front_handler(&ws_session::on_accept, self));
  });
}

template <class Stream> void ws_session<Stream>::on_accept(beast::error_code ec) {
  if (ec) {
    finish();
    return;
  }
  req_ = {}; // the request is no longer needed
  events_->on_upgraded();
  heard();
  watch(last_heard_ + settings_.limits.ping_interval);
  do_read();
}

template <class Stream>
void ws_session<Stream>::watch(std::chrono::steady_clock::time_point at) {
  const auto& lim = settings_.limits;
  const auto grid = std::min<std::chrono::steady_clock::duration>(lim.liveness_slack,
                                                                  lim.ping_interval / 4);
  if (grid.count() > 0) {
    const auto since = at.time_since_epoch();
    at += (grid - since % grid) % grid; // up to the next multiple of the grid
  }
  liveness_.expires_at(at);
  liveness_.async_wait(
      beast::bind_front_handler(&ws_session::on_watch, shared_from_this()));
}

template <class Stream> void ws_session<Stream>::on_watch(beast::error_code ec) {
  if (ec || closing_ || finished_)
    return;
  const auto& lim = settings_.limits;
  const auto now = std::chrono::steady_clock::now();
  if (awaiting_pong_ && last_heard_ < ping_at_) { // nothing since the ping
    if (now - ping_at_ < lim.pong_timeout) {
      watch(ping_at_ + lim.pong_timeout);
      return;
    }
    settings_.counters->count_close(metrics::pong_timeout);
    if (log_enabled(log_level::debug))
      log_debug("client at " + peer() + " dropped: no pong within pong-timeout");
    closing_ = true;
    cut(); // no close frame: the peer is gone or stuck; the read ends the session
    return;
  }
  awaiting_pong_ = false;
  if (now - last_heard_ < lim.ping_interval) { // heard lately: no ping needed
    watch(last_heard_ + lim.ping_interval);
    return;
  }
  awaiting_pong_ = true;
  ping_at_ = now;
  if (ws_.is_open())
    ws_.next_layer().write_ping(); // whole frames only: never inside one of Beast's
  watch(ping_at_ + lim.pong_timeout);
}

template <class Stream>
void ws_session<Stream>::reject(unsigned http_status, std::string why) {
  run_on_io([self = shared_from_this(), http_status, why] {
    if (self->closing_)
      return;
    self->closing_ = true;
    auto res = make_response(http_status, self->req_.version(),
                             "text/plain; charset=utf-8", why + "\n", false);
    res->set(http::field::retry_after, "5");
    self->cut_after(self->settings_.limits.reject_linger);
    // Under the corked layer: the transport, which encrypts on a TLS port.
    http::async_write(self->ws_.next_layer().next_layer(), *res,
                      [self, res](beast::error_code, std::size_t) {
                        self->cut();
                        self->finish();
                      });
  });
}

template <class Stream> void ws_session<Stream>::do_read() {
  // Small reads: an idle client then holds a small buffer (a whole-message read reserves
  // 1.5 KiB per connection up front); a message is assembled over several reads.
  ws_.async_read_some(
      buffer_, settings_.limits.read_chunk_bytes,
      beast::bind_front_handler(&ws_session::on_read, shared_from_this()));
}

template <class Stream>
void ws_session<Stream>::on_read(beast::error_code ec, std::size_t) {
  // Any read error ends the session: a close from either side, a cut socket, a frame
  // over read_message_max (Beast answers that one with close code 1009 itself).
  if (ec) {
    if (ec == websocket::error::message_too_big) {
      settings_.counters->count_close(metrics::too_big_1009);
      log_policy_close(1009, "frame larger than max-frame-bytes");
    }
    finish();
    return;
  }
  heard();
  if (ws_.is_message_done()) {
    if (ws_.got_text())
      events_->on_text(beast::buffers_to_string(buffer_.data()));
    else
      events_->on_binary();
    buffer_.consume(buffer_.size());
    if (buffer_.capacity() > 4 * settings_.limits.read_chunk_bytes)
      buffer_.shrink_to_fit(); // one big message must not cost an idle client forever
  }
  do_read();
}

template <class Stream> void ws_session<Stream>::send(frame text) {
  if (shared_->stopped)
    return;
  if (batched_) {
    shared_->out.push(shared_from_this(), std::move(text));
    return;
  }
  run_on_io([self = shared_from_this(), text = std::move(text)] { self->write(text); });
}

template <class Stream> void ws_session<Stream>::write(const frame& text) {
  // Before the upgrade there is no WebSocket to frame for (a direct message to a
  // client still in its handshake); after the close began nothing more goes out.
  if (closing_ || !ws_.is_open())
    return;
  auto& out = ws_.next_layer();
  if (out.buffered() + text.size() > settings_.limits.max_outbound_bytes) {
    // A slow consumer: it gets nothing more, only the close.
    settings_.counters->count_close(metrics::slow_1013);
    log_policy_close(1013, "slow consumer: outbound queue full");
    start_close(1013, "slow consumer: outbound queue full");
    return;
  }
  out.write_text(text.buffer());
}

void outbox::push(std::shared_ptr<frame_target> to, frame text) {
  std::lock_guard<std::mutex> guard{m_};
  items_.emplace_back(std::move(to), std::move(text));
  if (!scheduled_) {
    scheduled_ = true;
    asio::post(io_, [this] { drain(); });
  }
}

void outbox::drain() {
  {
    std::lock_guard<std::mutex> guard{m_};
    std::swap(items_, draining_);
    scheduled_ = false;
  }
  for (auto& [session, text] : draining_)
    session->write(text);
  draining_.clear();
  if (draining_.capacity() > 4096)
    draining_
        .shrink_to_fit(); // a burst (a room of thousands joining) must not stay resident
}

template <class Stream>
void ws_session<Stream>::close(std::uint16_t code, std::string reason) {
  run_on_io([self = shared_from_this(), code, reason = std::move(reason)] {
    self->start_close(code, reason);
  });
}

template <class Stream>
void ws_session<Stream>::start_close(std::uint16_t code, std::string reason) {
  if (closing_)
    return;
  closing_ = true;      // nothing more is queued from here on
  if (!ws_.is_open()) { // not upgraded yet, or already gone
    cut();
    return;
  }
  // A slow consumer loses what it has not started to receive; any other close first
  // delivers what is queued (the errors that led to a 1008, the last messages before
  // 1001): Beast's close frame joins the queue behind them.
  if (code == 1013)
    ws_.next_layer().discard_pending();
  ws_.async_close(
      websocket::close_reason(static_cast<websocket::close_code>(code), reason),
      [self = shared_from_this()](beast::error_code) {});
  // A peer that does not read would keep the close frame from leaving: cut it then.
  cut_after(settings_.limits.pong_timeout);
}

template <class Stream>
void ws_session<Stream>::cut_after(std::chrono::nanoseconds timeout) {
  close_deadline_.expires_after(timeout);
  close_deadline_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec)
      self->cut();
  });
}

template <class Stream> void ws_session<Stream>::cut() {
  beast::error_code ignored;
  auto& sock = socket_of(beast::get_lowest_layer(ws_));
  sock.shutdown(tcp::socket::shutdown_both, ignored);
  sock.close(ignored);
}

// net/ does not know the client's name, only its address.
template <class Stream>
void ws_session<Stream>::log_policy_close(std::uint16_t code, std::string_view reason) {
  if (!log_enabled(log_level::info))
    return;
  log_info("client at " + peer() + " closed: " + std::to_string(code) + " " +
           std::string{reason});
}

template <class Stream> std::string ws_session<Stream>::peer() {
  beast::error_code ec;
  auto at = socket_of(beast::get_lowest_layer(ws_)).remote_endpoint(ec);
  return ec ? "?" : at.address().to_string() + ":" + std::to_string(at.port());
}

template <class Stream> void ws_session<Stream>::finish() {
  if (finished_)
    return;
  finished_ = true;
  close_deadline_.cancel();
  liveness_.cancel();
  if (events_)
    events_->on_closed();
  events_ = nullptr; // breaks the session <-> actor reference cycle
}

template class ws_session<tcp::socket>;
template class ws_session<tls_stream>;

} // namespace chat::net
