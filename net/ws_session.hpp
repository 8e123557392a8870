// One upgraded (or upgrading) WebSocket: reads frames and reports them to its
// client_events, and queues the frames it is sent in its corked socket, bounded by
// max-outbound-bytes. It never looks inside a frame. `Stream` is its transport
// (net/transport.hpp): tcp::socket, or tls_stream on a TLS port.
#pragma once

#include "actors/client_events.hpp"
#include "actors/client_link.hpp"
#include "net/beast.hpp"
#include "net/corked_socket.hpp"
#include "net/frame_target.hpp"
#include "net/server.hpp"
#include "net/shared_state.hpp"
#include "net/transport.hpp"

#include <memory>

namespace chat::net {

template <class Stream>
class ws_session : public client_link,
                   public frame_target,
                   public std::enable_shared_from_this<ws_session<Stream>> {
public:
  ws_session(Stream&& stream, http::request<http::string_body> req,
             const net_settings& settings, std::shared_ptr<shared_state> shared);
  ~ws_session() override;

  // Where this session reports its client's events, until it closes.
  void set_events(std::shared_ptr<client_events> events) { events_ = std::move(events); }

  void accept() override;
  void reject(unsigned http_status, std::string why) override;
  void send(frame text) override;
  // On the io thread (or the session's strand): queue a frame for the client.
  void write(const frame& text) override;
  void close(std::uint16_t code, std::string reason) override;

private:
  // Runs `f` on this session's executor; a no-op once the server stopped (an actor that
  // outlives the network must not post to a finished io_context).
  template <class F> void run_on_io(F&& f) {
    if (!shared_->stopped)
      asio::post(ws_.get_executor(), std::forward<F>(f));
  }
  void on_accept(beast::error_code ec);
  // Liveness, on the io thread: a client heard from (any frame, a pong included) within
  // ping-interval is left alone; a silent one is pinged, and cut when pong-timeout then
  // passes without a word. One timer per session, no walk over every client.
  void heard() { last_heard_ = std::chrono::steady_clock::now(); }
  void watch(std::chrono::steady_clock::time_point at);
  void on_watch(beast::error_code ec);
  void do_read();
  void on_read(beast::error_code ec, std::size_t bytes);
  void start_close(std::uint16_t code, std::string reason);
  void cut();
  void log_policy_close(std::uint16_t code, std::string_view reason);
  std::string peer(); // the client's address and port, for logs ("?" when gone)
  void cut_after(std::chrono::nanoseconds timeout); // unless finish() comes first
  void finish();

  using std::enable_shared_from_this<ws_session>::shared_from_this;

  websocket::stream<corked_socket<Stream>> ws_;
  http::request<http::string_body> req_;
  const net_settings& settings_;
  std::shared_ptr<shared_state> shared_;
  const bool batched_; // one io thread: frames cross through the shared outbox
  std::shared_ptr<client_events> events_;
  beast::flat_buffer buffer_;
  bool awaiting_pong_ = false; // pinged at ping_at_, not heard from since
  bool closing_ = false;
  bool finished_ = false;
  std::chrono::steady_clock::time_point last_heard_, ping_at_;
  asio::steady_timer close_deadline_;
  asio::steady_timer liveness_;
};

} // namespace chat::net
