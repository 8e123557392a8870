// One HTTP connection: reads requests, serves web/ and the app's endpoints, and hands a
// /ws upgrade over to a ws_session. `Stream` is its transport (net/transport.hpp):
// beast::tcp_stream, or tls_stream on a TLS port, where the TLS handshake comes first.
#pragma once

#include "net/beast.hpp"
#include "net/server.hpp"
#include "net/shared_state.hpp"
#include "net/transport.hpp"

#include <memory>
#include <optional>

namespace chat::net {

template <class Stream>
class http_session : public std::enable_shared_from_this<http_session<Stream>> {
public:
  http_session(tcp::socket&& socket, const net_settings& settings, const handlers& h,
               std::shared_ptr<shared_state> shared);
  void run();

private:
  using std::enable_shared_from_this<http_session>::shared_from_this;

  void on_handshake(beast::error_code ec);
  void do_read();
  void on_read(beast::error_code ec, std::size_t);
  void upgrade(const upgrade_request& request);
  void respond(unsigned status, std::string content_type, std::string body,
               std::string cache_control = "no-store");
  bool serve_file(const std::string& path); // path: checked by static_file_of
  void refuse(unsigned status,
              std::string body); // then close: the request was unreadable
  void finish();                 // ends the connection after the last answer

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const net_settings& settings_;
  const handlers& handlers_;
  std::shared_ptr<shared_state> shared_;
};

} // namespace chat::net
