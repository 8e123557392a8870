#include "tests/support/ws_client.hpp"

#include <array>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <functional>
#include <optional>
#include <stdexcept>

namespace chat::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

// Runs the io_context until `done` or `timeout`; on timeout closes `sock` and throws.
template <class Socket>
void run_until(asio::io_context& ioc, bool& done, Socket& sock,
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

tcp::endpoint loopback(unsigned short port) {
  return {asio::ip::make_address("127.0.0.1"), port};
}

} // namespace

struct ws_client::impl {
  asio::io_context ioc;
  websocket::stream<tcp::socket> ws{ioc};
  beast::flat_buffer buffer;
  bool open = true;
  presence_model presence;
};

http_reply http_request(unsigned short port, const std::string& target,
                        const std::string& method, const std::string& body,
                        const std::string& authorization) {
  asio::io_context ioc;
  tcp::socket sock{ioc};
  sock.connect(loopback(port));
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "127.0.0.1");
  if (!authorization.empty())
    req.set(http::field::authorization, authorization);
  req.body() = body;
  req.prepare_payload();
  http::write(sock, req);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  bool done = false;
  beast::error_code ec;
  http::async_read(sock, buf, res, [&](beast::error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  run_until(ioc, done, sock, default_wait, "HTTP response");
  if (ec)
    throw std::runtime_error("HTTP read failed: " + ec.message());
  return {res.result_int(), res.body(), std::string{res[http::field::content_type]}};
}

std::string raw_exchange(unsigned short port, const std::string& bytes,
                         std::chrono::milliseconds timeout) {
  asio::io_context ioc;
  tcp::socket sock{ioc};
  sock.connect(loopback(port));
  asio::write(sock, asio::buffer(bytes));
  std::string got;
  bool done = false;
  std::function<void()> read_more;
  std::array<char, 4096> buf;
  read_more = [&] {
    sock.async_read_some(asio::buffer(buf), [&](beast::error_code ec, std::size_t n) {
      got.append(buf.data(), n);
      if (ec)
        done = true;
      else
        read_more();
    });
  };
  read_more();
  run_until(ioc, done, sock, timeout, "the server to close the connection");
  return got;
}

ws_client::ws_client(unsigned short port, const std::string& target,
                     const std::string& authorization)
    : impl_(std::make_unique<impl>()) {
  auto& s = *impl_;
  if (!authorization.empty())
    s.ws.set_option(
        websocket::stream_base::decorator([authorization](websocket::request_type& req) {
          req.set(http::field::authorization, authorization);
        }));
  s.ws.next_layer().connect(loopback(port));
  bool done = false;
  beast::error_code ec;
  s.ws.async_handshake("127.0.0.1:" + std::to_string(port), target,
                       [&](beast::error_code e) {
                         ec = e;
                         done = true;
                       });
  run_until(s.ioc, done, s.ws.next_layer(), default_wait, "WebSocket handshake");
  if (ec)
    throw std::runtime_error("WebSocket handshake failed: " + ec.message());
}

ws_client::~ws_client() = default;
ws_client::ws_client(ws_client&&) noexcept = default;

unsigned ws_client::refused_status(unsigned short port, const std::string& target,
                                   const std::string& origin) {
  asio::io_context ioc;
  websocket::stream<tcp::socket> ws{ioc};
  if (!origin.empty())
    ws.set_option(
        websocket::stream_base::decorator([origin](websocket::request_type& req) {
          req.set(http::field::origin, origin);
        }));
  ws.next_layer().connect(loopback(port));
  websocket::response_type res;
  bool done = false;
  beast::error_code ec;
  ws.async_handshake(res, "127.0.0.1:" + std::to_string(port), target,
                     [&](beast::error_code e) {
                       ec = e;
                       done = true;
                     });
  run_until(ioc, done, ws.next_layer(), default_wait, "WebSocket handshake");
  return ec ? res.result_int() : 0;
}

void ws_client::send(const std::string& text) {
  impl_->ws.text(true);
  impl_->ws.write(asio::buffer(text));
}

void ws_client::send_binary(const std::string& bytes) {
  impl_->ws.binary(true);
  impl_->ws.write(asio::buffer(bytes));
}

boost::json::object ws_client::next(std::chrono::milliseconds timeout) {
  auto& s = *impl_;
  if (!s.open)
    throw std::runtime_error("connection is closed");
  bool done = false;
  beast::error_code ec;
  s.ws.async_read(s.buffer, [&](beast::error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  run_until(s.ioc, done, s.ws.next_layer(), timeout, "next event");
  if (ec) {
    s.open = false;
    throw std::runtime_error("connection closed: " + ec.message() + " code " +
                             std::to_string(s.ws.reason().code));
  }
  auto text = beast::buffers_to_string(s.buffer.data());
  s.buffer.consume(s.buffer.size());
  auto ev = boost::json::parse(text).as_object();
  s.presence.observe(ev);
  return ev;
}

std::deque<presence_event>& ws_client::presence_changes() {
  return impl_->presence.changes();
}

const std::set<std::string>& ws_client::known_users() const {
  return impl_->presence.users();
}

boost::json::object ws_client::expect(const std::string& type,
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

int ws_client::close_code(std::chrono::milliseconds timeout) {
  auto& s = *impl_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (s.open) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      throw std::runtime_error("timed out waiting for the server to close");
    bool done = false;
    beast::error_code ec;
    s.ws.async_read(s.buffer, [&](beast::error_code e, std::size_t) {
      ec = e;
      done = true;
    });
    run_until(s.ioc, done, s.ws.next_layer(), left, "close");
    s.buffer.consume(s.buffer.size());
    if (ec)
      s.open = false;
  }
  return s.ws.reason().code;
}

void ws_client::close() {
  auto& s = *impl_;
  if (!s.open)
    return;
  s.open = false;
  beast::error_code ec;
  s.ws.close(websocket::close_code::normal, ec);
}

} // namespace chat::test
