// One client WebSocket connection (Boost.Beast behind this header): connect from a chosen
// source address, TLS handshake (wss://), WebSocket handshake, one read loop, a write
// queue with one async_write at a time.
// All callbacks run on the connection's executor (a strand when the io_context has several
// threads); every method may be called from any thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace bench {

class WsConnection;

struct ConnectTarget {
  boost::asio::ip::tcp::endpoint server;
  boost::asio::ip::address source; // unspecified: let the kernel choose
  std::string host_header;         // "host:port"
  std::string target;              // "/ws?name=b17"
  double handshake_timeout_s = 30;
  int receive_buffer_bytes = 0; // > 0: a fixed SO_RCVBUF (no autotuning); 0: the kernel's
};

enum class CloseKind {
  by_us,     // we asked for it (close() or abort())
  by_server, // the server sent a close frame: close_code holds its code
  dropped,   // the stream ended without a close frame (EOF, reset, ...)
};

class WsEvents {
public:
  virtual ~WsEvents() = default;
  virtual void on_open(WsConnection& c) = 0;
  // Connect or handshake failed; http_status is the refusal's status when the server
  // answered the upgrade with plain HTTP (e.g. 503), else 0.
  virtual void on_connect_failed(WsConnection& c, std::string_view stage,
                                 const std::string& error, int http_status) = 0;
  virtual void on_text(WsConnection& c, std::string_view frame) = 0;
  // After on_open only, exactly once.
  virtual void on_closed(WsConnection& c, CloseKind kind, int close_code,
                         const std::string& error) = 0;
};

class WsConnection {
public:
  explicit WsConnection(std::uint32_t id) : id_(id) {}
  virtual ~WsConnection() = default;
  WsConnection(const WsConnection&) = delete;
  WsConnection& operator=(const WsConnection&) = delete;

  std::uint32_t id() const { return id_; }
  virtual const boost::asio::any_io_executor& executor() const = 0;

  virtual void start(ConnectTarget target) = 0;
  // Queues one text frame (dropped when the connection is not open or closing).
  virtual void send(std::shared_ptr<const std::string> text) = 0;
  // Sends a close frame (1000) once the queue is written.
  virtual void close() = 0;
  // Closes the socket now, in any state.
  virtual void abort() = 0;
  // false: read no further frame once the one being read arrives, so the kernel buffers
  // fill and the server's queue for us grows (a slow reader; pings go unanswered too).
  // true: read on. Reading is on from the start.
  virtual void set_reading(bool on) = 0;

private:
  std::uint32_t id_;
};

// What wss:// connections share: a client TLS context that trusts only the certificates
// in one CA file (OpenSSL stays behind this header).
struct TlsClient;
// Throws std::runtime_error when `ca_file` holds no PEM certificate.
std::shared_ptr<TlsClient> make_tls_client(const std::string& ca_file);

// strand: give the connection its own strand (needed when several threads run the context).
// tls: speak wss:// (TLS, the server's certificate checked against the host of
// ConnectTarget::host_header); null: ws://.
std::shared_ptr<WsConnection>
make_ws_connection(boost::asio::io_context& ioc, bool strand, std::uint32_t id,
                   WsEvents& events, std::shared_ptr<TlsClient> tls = nullptr);

} // namespace bench
