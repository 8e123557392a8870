#include "net/http_session.hpp"

#include "net/http_checks.hpp"
#include "net/http_response.hpp"
#include "net/tls_context.hpp"
#include "net/ws_session.hpp"

#include <fstream>
#include <sstream>

namespace chat::net {

namespace {

// The transport, built in place: a tcp_stream that is moved costs an allocation.
template <class Stream>
Stream open_stream(tcp::socket&& socket, const net_settings& settings) {
  if constexpr (is_tls<Stream>)
    return Stream{std::move(socket), settings.tls->ssl};
  else
    return Stream{std::move(socket)};
}

} // namespace

template <class Stream>
http_session<Stream>::http_session(tcp::socket&& socket, const net_settings& settings,
                                   const handlers& h,
                                   std::shared_ptr<shared_state> shared)
    : stream_(open_stream<Stream>(std::move(socket), settings)), settings_(settings),
      handlers_(h), shared_(std::move(shared)) {}

template <class Stream> void http_session<Stream>::run() {
  if constexpr (is_tls<Stream>) {
    // The TLS handshake gets the time a request gets: a client that sends no
    // ClientHello, or stalls inside the handshake, holds the socket no longer.
    beast::get_lowest_layer(stream_).expires_after(settings_.limits.handshake_timeout);
    stream_.async_handshake(
        ssl::stream_base::server,
        beast::bind_front_handler(&http_session::on_handshake, shared_from_this()));
  } else {
    do_read();
  }
}

template <class Stream> void http_session<Stream>::on_handshake(beast::error_code ec) {
  if (ec)
    return; // too slow, not TLS (plain HTTP on a TLS port), or refused: just close
  do_read();
}

template <class Stream> void http_session<Stream>::do_read() {
  parser_.emplace();
  const auto& lim = settings_.limits;
  parser_->header_limit(static_cast<std::uint32_t>(lim.http_header_bytes));
  parser_->body_limit(lim.http_body_bytes);
  beast::get_lowest_layer(stream_).expires_after(lim.handshake_timeout);
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&http_session::on_read, shared_from_this()));
}

template <class Stream>
void http_session<Stream>::on_read(beast::error_code ec, std::size_t) {
  if (ec == http::error::end_of_stream) {
    finish();
    return;
  }
  // A request Beast could not parse gets a plain answer before the connection closes.
  if (auto r = refusal_of(ec)) {
    refuse(r->status, std::move(r->body));
    return;
  }
  if (ec)
    return; // timeout, reset: nobody to answer
  auto& req = parser_->get();
  auto r = route_of(req, settings_);
  if (r.kind == route::answer) {
    respond(r.status, "text/plain; charset=utf-8", std::move(r.body));
    return;
  }
  if (r.kind == route::upgrade) {
    upgrade(r.to_upgrade);
    return;
  }
  auto self = shared_from_this();
  auto executor = stream_.get_executor();
  bool answered =
      handlers_.on_request &&
      handlers_.on_request(r.request, [self, executor](unsigned status, std::string type,
                                                       std::string body) {
        asio::post(executor, [self, status, type = std::move(type),
                              body = std::move(body)]() mutable {
          self->respond(status, std::move(type), std::move(body));
        });
      });
  if (answered)
    return;
  auto f = static_file_of(req.method(), r.request.path);
  if (f.status != 0)
    respond(f.status, "text/plain; charset=utf-8", std::move(f.body));
  else if (!serve_file(f.file))
    respond(404, "text/plain; charset=utf-8", "not found\n");
}

template <class Stream>
void http_session<Stream>::upgrade(const upgrade_request& request) {
  auto start = [&](auto ws) { ws->set_events(handlers_.on_upgrade(ws, request)); };
  if constexpr (is_tls<Stream>) {
    // From here Beast's WebSocket timeouts and the pings bound the connection, not the
    // request's deadline.
    beast::get_lowest_layer(stream_).expires_never();
    start(std::make_shared<ws_session<tls_stream>>(std::move(stream_), parser_->release(),
                                                   settings_, shared_));
  } else {
    start(std::make_shared<ws_session<tcp::socket>>(
        stream_.release_socket(), parser_->release(), settings_, shared_));
  }
}

template <class Stream> bool http_session<Stream>::serve_file(const std::string& path) {
  if (settings_.web_root.empty())
    return false;
  std::ifstream in(settings_.web_root + path, std::ios::binary);
  if (!in)
    return false;
  std::ostringstream body;
  body << in.rdbuf();
  // Always revalidate: the HTML and its scripts must change together on an update.
  auto cache = "no-cache";
  respond(200, content_type_of(path), body.str(), cache);
  return true;
}

template <class Stream>
void http_session<Stream>::refuse(unsigned status, std::string body) {
  auto res =
      make_response(status, 11, "text/plain; charset=utf-8", std::move(body), false);
  http::async_write(stream_, *res,
                    [self = shared_from_this(), res](beast::error_code, std::size_t) {
                      self->finish();
                    });
}

template <class Stream>
void http_session<Stream>::respond(unsigned status, std::string content_type,
                                   std::string body, std::string cache_control) {
  auto& req = parser_->get();
  auto res = make_response(status, req.version(), content_type, std::move(body),
                           req.keep_alive());
  res->set(http::field::cache_control, cache_control);
  if (status == 405)
    res->set(http::field::allow, allowed_methods(req.target()));
  if (req.method() == http::verb::head)
    res->body().clear();
  http::async_write(stream_, *res,
                    [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
                      if (ec)
                        return;
                      if (!res->keep_alive()) {
                        self->finish();
                        return;
                      }
                      self->do_read();
                    });
}

template <class Stream> void http_session<Stream>::finish() {
  if constexpr (is_tls<Stream>) {
    // close_notify, so that the client can tell the end of the answer from a cut; one
    // that does not answer it is cut at the deadline.
    beast::get_lowest_layer(stream_).expires_after(settings_.limits.handshake_timeout);
    stream_.async_shutdown([self = shared_from_this()](beast::error_code) {});
  } else {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }
}

template class http_session<beast::tcp_stream>;
template class http_session<tls_stream>;

} // namespace chat::net
