#include "tests/support/tls_client.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <stdexcept>

namespace chat::test {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using tls_socket = ssl::stream<tcp::socket>;

namespace {

// Runs the io_context until `done` or `timeout`; on timeout closes `sock` and throws.
void run_until(asio::io_context& ioc, bool& done, tcp::socket& sock,
               std::chrono::milliseconds timeout, const char* what) {
  ioc.restart();
  ioc.run_for(timeout);
  if (!done) {
    beast::error_code ignored;
    sock.close(ignored);
    ioc.restart();
    ioc.run();
    throw std::runtime_error(std::string{"timed out: "} + what);
  }
}

// A client context that trusts `ca_file` and nothing else.
void trust_only(ssl::context& ctx, const std::string& ca_file) {
  ctx.load_verify_file(ca_file);
  ctx.set_verify_mode(ssl::verify_peer);
}

// Connects to 127.0.0.1:port and completes a TLS handshake that checks the server's
// certificate against "localhost".
void connect_tls(asio::io_context& ioc, tls_socket& s, unsigned short port) {
  s.next_layer().connect({asio::ip::make_address("127.0.0.1"), port});
  SSL_set_tlsext_host_name(s.native_handle(), "localhost");
  s.set_verify_callback(ssl::host_name_verification("localhost"));
  bool done = false;
  beast::error_code ec;
  s.async_handshake(ssl::stream_base::client, [&](beast::error_code e) {
    ec = e;
    done = true;
  });
  run_until(ioc, done, s.next_layer(), default_wait, "TLS handshake");
  if (ec)
    throw std::runtime_error("TLS handshake failed: " + ec.message());
}

} // namespace

http_reply https_request(unsigned short port, const std::string& ca_file,
                         const std::string& target, const std::string& method,
                         const std::string& body) {
  asio::io_context ioc;
  ssl::context ctx{ssl::context::tls_client};
  trust_only(ctx, ca_file);
  tls_socket s{ioc, ctx};
  connect_tls(ioc, s, port);
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "localhost:" + std::to_string(port));
  req.body() = body;
  req.prepare_payload();
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  bool done = false;
  beast::error_code ec;
  http::async_write(s, req, [&](beast::error_code e, std::size_t) {
    if (e) {
      ec = e;
      done = true;
      return;
    }
    http::async_read(s, buf, res, [&](beast::error_code e2, std::size_t) {
      ec = e2;
      done = true;
    });
  });
  run_until(ioc, done, s.next_layer(), default_wait, "HTTPS response");
  if (ec)
    throw std::runtime_error("HTTPS request failed: " + ec.message());
  return {res.result_int(), res.body(), std::string{res[http::field::content_type]}};
}

struct wss_client::impl {
  asio::io_context ioc;
  ssl::context ctx{ssl::context::tls_client};
  websocket::stream<tls_socket> ws{ioc, ctx};
  beast::flat_buffer buffer;
};

wss_client::wss_client(unsigned short port, const std::string& ca_file,
                       const std::string& target)
    : impl_(std::make_unique<impl>()) {
  auto& s = *impl_;
  trust_only(s.ctx, ca_file);
  connect_tls(s.ioc, s.ws.next_layer(), port);
  bool done = false;
  beast::error_code ec;
  s.ws.async_handshake("localhost:" + std::to_string(port), target,
                       [&](beast::error_code e) {
                         ec = e;
                         done = true;
                       });
  run_until(s.ioc, done, s.ws.next_layer().next_layer(), default_wait,
            "WebSocket handshake");
  if (ec)
    throw std::runtime_error("WebSocket handshake failed: " + ec.message());
}

unsigned wss_client::refused_status(unsigned short port, const std::string& ca_file,
                                    const std::string& target) {
  asio::io_context ioc;
  ssl::context ctx{ssl::context::tls_client};
  trust_only(ctx, ca_file);
  websocket::stream<tls_socket> ws{ioc, ctx};
  connect_tls(ioc, ws.next_layer(), port);
  websocket::response_type res;
  bool done = false;
  beast::error_code ec;
  ws.async_handshake(res, "localhost:" + std::to_string(port), target,
                     [&](beast::error_code e) {
                       ec = e;
                       done = true;
                     });
  run_until(ioc, done, ws.next_layer().next_layer(), default_wait, "WebSocket handshake");
  return ec ? res.result_int() : 0;
}

wss_client::~wss_client() = default;
wss_client::wss_client(wss_client&&) noexcept = default;

void wss_client::send(const std::string& text) {
  auto& s = *impl_;
  s.ws.text(true);
  bool done = false;
  beast::error_code ec;
  s.ws.async_write(asio::buffer(text), [&](beast::error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  run_until(s.ioc, done, s.ws.next_layer().next_layer(), default_wait, "send");
  if (ec)
    throw std::runtime_error("send failed: " + ec.message());
}

boost::json::object wss_client::next(std::chrono::milliseconds timeout) {
  auto& s = *impl_;
  bool done = false;
  beast::error_code ec;
  s.ws.async_read(s.buffer, [&](beast::error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  run_until(s.ioc, done, s.ws.next_layer().next_layer(), timeout, "next event");
  if (ec)
    throw std::runtime_error("connection closed: " + ec.message());
  auto text = beast::buffers_to_string(s.buffer.data());
  s.buffer.consume(s.buffer.size());
  return boost::json::parse(text).as_object();
}

boost::json::object wss_client::expect(const std::string& type,
                                       std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      throw std::runtime_error("timed out waiting for " + type);
    auto ev = next(left);
    if (ev.at("type").as_string() == type)
      return ev;
  }
}

} // namespace chat::test
