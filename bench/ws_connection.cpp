// The only translation unit that includes Boost.Beast.
#include "ws_connection.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <chrono>
#include <deque>
#include <netinet/in.h>
#include <stdexcept>
#include <type_traits>

namespace bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
namespace ssl = asio::ssl;
using tls_socket = ssl::stream<tcp::socket>;

struct TlsClient {
  ssl::context ctx{ssl::context::tls_client};
};

namespace {

#ifdef IP_BIND_ADDRESS_NO_PORT
// Bind to a source address but let connect() pick the port per destination, so each source
// address has the whole ephemeral range to itself.
using bind_address_no_port =
    asio::detail::socket_option::boolean<IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT>;
#endif

// Stream: tcp::socket (ws://) or tls_socket (wss://).
template <class Stream>
class Connection final : public WsConnection,
                         public std::enable_shared_from_this<Connection<Stream>> {
  static constexpr bool tls = std::is_same_v<Stream, tls_socket>;

public:
  Connection(asio::any_io_executor ex, std::uint32_t id, WsEvents& events)
      : WsConnection(id), ex_(std::move(ex)), ws_(ex_), events_(events) {}
  Connection(asio::any_io_executor ex, std::uint32_t id, WsEvents& events,
             std::shared_ptr<TlsClient> tls_client)
      : WsConnection(id), ex_(std::move(ex)), tls_(std::move(tls_client)),
        ws_(ex_, tls_->ctx), events_(events) {}

  const asio::any_io_executor& executor() const override { return ex_; }

  void start(ConnectTarget target) override {
    asio::dispatch(ex_, [self = shared_from_this(), t = std::move(target)]() mutable {
      self->do_connect(std::move(t));
    });
  }

  void send(std::shared_ptr<const std::string> text) override {
    asio::dispatch(ex_, [self = shared_from_this(), text = std::move(text)]() mutable {
      if (!self->open_ || self->closing_ || self->done_)
        return;
      self->queue_.push_back(std::move(text));
      if (!self->writing_)
        self->do_write();
    });
  }

  void close() override {
    asio::dispatch(ex_, [self = shared_from_this()] {
      if (!self->open_ || self->done_ || self->closing_)
        return;
      self->closing_ = true;
      self->read_on(); // the read loop reports the end of the close handshake
      if (!self->writing_)
        self->do_close();
    });
  }

  void abort() override {
    asio::dispatch(ex_, [self = shared_from_this()] {
      self->closing_ = true;
      beast::error_code ignored;
      beast::get_lowest_layer(self->ws_).close(ignored);
      self->read_on(); // the read loop reports the end
    });
  }

  void set_reading(bool on) override {
    asio::dispatch(ex_, [self = shared_from_this(), on] {
      if (on)
        self->read_on();
      else
        self->paused_ = true;
    });
  }

private:
  using std::enable_shared_from_this<Connection>::shared_from_this;

  void do_connect(ConnectTarget t) {
    target_ = std::move(t);
    tcp::socket& sock = beast::get_lowest_layer(ws_);
    beast::error_code ec;
    sock.open(target_.server.protocol(), ec);
    if (ec)
      return fail_connect("socket", ec);
    if (target_.receive_buffer_bytes > 0) // before connect: it sets the window scale
      sock.set_option(
          asio::socket_base::receive_buffer_size(target_.receive_buffer_bytes), ec);
    if (!target_.source.is_unspecified()) {
#ifdef IP_BIND_ADDRESS_NO_PORT
      sock.set_option(bind_address_no_port(true), ec); // best effort
#endif
      sock.bind(tcp::endpoint(target_.source, 0), ec);
      if (ec)
        return fail_connect("bind", ec);
    }
    sock.async_connect(target_.server, [self = shared_from_this()](beast::error_code e) {
      self->on_connect(e);
    });
  }

  void on_connect(beast::error_code ec) {
    if (ec)
      return fail_connect("connect", ec);
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).set_option(tcp::no_delay(true), ignored);
    if constexpr (tls) {
      // The name (or address) the certificate must carry: the host of the Host header;
      // SNI too, unless it is an address (SNI names hosts only).
      auto host = target_.host_header.substr(0, target_.host_header.rfind(':'));
      beast::error_code not_ip;
      asio::ip::make_address(host, not_ip);
      if (not_ip)
        SSL_set_tlsext_host_name(ws_.next_layer().native_handle(), host.c_str());
      ws_.next_layer().set_verify_callback(ssl::host_name_verification(host));
      ws_.next_layer().async_handshake(ssl::stream_base::client,
                                       [self = shared_from_this()](beast::error_code e) {
                                         if (e)
                                           return self->fail_connect("tls", e);
                                         self->do_handshake();
                                       });
    } else {
      do_handshake();
    }
  }

  void do_handshake() {
    websocket::stream_base::timeout to{};
    to.handshake_timeout = std::chrono::milliseconds(
        static_cast<long long>(target_.handshake_timeout_s * 1000));
    to.idle_timeout = websocket::stream_base::none();
    to.keep_alive_pings = false;
    ws_.set_option(to);
    websocket::permessage_deflate pmd;
    pmd.client_enable = false;
    pmd.server_enable = false;
    ws_.set_option(pmd);
    ws_.read_message_max(4 * 1024 * 1024);
    ws_.auto_fragment(false);
    ws_.async_handshake(
        response_, target_.host_header, target_.target,
        [self = shared_from_this()](beast::error_code e) { self->on_handshake(e); });
  }

  void on_handshake(beast::error_code ec) {
    if (ec) {
      int status = ec == websocket::error::upgrade_declined
                       ? static_cast<int>(response_.result_int())
                       : 0;
      return fail_connect("handshake", ec, status);
    }
    response_ = {};
    open_ = true;
    events_.on_open(*this);
    if (closing_) { // aborted meanwhile
      finish(CloseKind::by_us, 0, {});
      return;
    }
    do_read();
    if (!queue_.empty() && !writing_)
      do_write();
  }

  void fail_connect(const char* stage, beast::error_code ec, int status = 0) {
    if (done_)
      return;
    done_ = true;
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).close(ignored);
    events_.on_connect_failed(*this, stage, ec.message(), status);
  }

  void read_on() {
    paused_ = false;
    if (!parked_ || done_)
      return;
    parked_ = false;
    do_read();
  }

  void do_read() {
    ws_.async_read(buffer_,
                   [self = shared_from_this()](beast::error_code ec, std::size_t) {
                     self->on_read(ec);
                   });
  }

  void on_read(beast::error_code ec) {
    if (ec) {
      if (ec == websocket::error::closed)
        return finish(closing_ ? CloseKind::by_us : CloseKind::by_server,
                      static_cast<int>(ws_.reason().code), ec.message());
      return finish(closing_ ? CloseKind::by_us : CloseKind::dropped, 0, ec.message());
    }
    const auto data = buffer_.cdata();
    events_.on_text(*this,
                    std::string_view(static_cast<const char*>(data.data()), data.size()));
    buffer_.consume(buffer_.size());
    if (done_)
      return;
    if (paused_)
      parked_ = true; // set_reading(true) reads on
    else
      do_read();
  }

  void do_write() {
    writing_ = true;
    ws_.async_write(asio::buffer(*queue_.front()),
                    [self = shared_from_this()](beast::error_code ec, std::size_t) {
                      self->on_write(ec);
                    });
  }

  void on_write(beast::error_code ec) {
    writing_ = false;
    if (done_)
      return; // finish() already emptied the queue
    queue_.pop_front();
    if (ec) {
      queue_.clear(); // the read loop reports the end
      return;
    }
    if (!queue_.empty())
      return do_write();
    if (closing_)
      do_close();
  }

  void do_close() {
    ws_.async_close(websocket::close_code::normal,
                    [self = shared_from_this()](beast::error_code) {
                      // The read loop ends with websocket::error::closed (or an error) and reports it.
                    });
  }

  void finish(CloseKind kind, int code, const std::string& error) {
    if (done_)
      return;
    done_ = true;
    queue_.clear();
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).close(ignored);
    events_.on_closed(*this, kind, code, error);
  }

  asio::any_io_executor ex_;
  std::shared_ptr<TlsClient> tls_; // keeps the context alive for the stream
  websocket::stream<Stream> ws_;
  WsEvents& events_;
  ConnectTarget target_;
  http::response<http::string_body> response_;
  beast::flat_buffer buffer_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  bool open_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool done_ = false;
  bool paused_ = false; // set_reading(false)
  bool parked_ = false; // paused with no read in flight
};

} // namespace

std::shared_ptr<TlsClient> make_tls_client(const std::string& ca_file) {
  auto tls = std::make_shared<TlsClient>();
  beast::error_code ec;
  tls->ctx.load_verify_file(ca_file, ec);
  if (ec)
    throw std::runtime_error("cannot load CA file " + ca_file + ": " + ec.message());
  tls->ctx.set_verify_mode(ssl::verify_peer);
  return tls;
}

std::shared_ptr<WsConnection> make_ws_connection(asio::io_context& ioc, bool strand,
                                                 std::uint32_t id, WsEvents& events,
                                                 std::shared_ptr<TlsClient> tls) {
  asio::any_io_executor ex = strand ? asio::any_io_executor(asio::make_strand(ioc))
                                    : asio::any_io_executor(ioc.get_executor());
  if (tls)
    return std::make_shared<Connection<tls_socket>>(std::move(ex), id, events,
                                                    std::move(tls));
  return std::make_shared<Connection<tcp::socket>>(std::move(ex), id, events);
}

} // namespace bench
