#include "net/http_session.hpp"

#include "net/http_response.hpp"
#include "net/ws_session.hpp"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <fstream>
#include <sstream>

namespace chat::net {

namespace {

const char* content_type_of(const std::string& path) {
  auto ext = path.substr(path.find_last_of('.') + 1);
  if (ext == "html")
    return "text/html; charset=utf-8";
  if (ext == "js")
    return "text/javascript; charset=utf-8";
  if (ext == "css")
    return "text/css; charset=utf-8";
  if (ext == "svg")
    return "image/svg+xml";
  if (ext == "png")
    return "image/png";
  if (ext == "ico")
    return "image/x-icon";
  if (ext == "json")
    return "application/json";
  return "application/octet-stream";
}

// Only plain names below web/: no "..", no hidden files.
bool safe_path(const std::string& path) {
  return path.size() > 1 && path[0] == '/' && path.find("..") == std::string::npos &&
         path.find("/.") == std::string::npos && path.find('\\') == std::string::npos;
}

} // namespace

// Browsers send Origin; other clients usually do not, and are not refused for it.
bool http_session::origin_allowed(const http::request<http::string_body>& req) const {
  auto origin = req[http::field::origin];
  if (origin.empty())
    return true;
  if (!settings_.allowed_origins.empty())
    return std::find(settings_.allowed_origins.begin(), settings_.allowed_origins.end(),
                     origin) != settings_.allowed_origins.end();
  // Same host only: the origin's authority must be the Host the request was sent to.
  auto uri = boost::urls::parse_uri(origin);
  return uri && uri->encoded_authority() == req[http::field::host];
}

http_session::http_session(tcp::socket&& socket, const net_settings& settings,
                           const handlers& h, std::shared_ptr<shared_state> shared)
    : stream_(std::move(socket)), settings_(settings), handlers_(h),
      shared_(std::move(shared)) {}

void http_session::run() {
  do_read();
}

void http_session::do_read() {
  parser_.emplace();
  const auto& lim = settings_.limits;
  parser_->header_limit(static_cast<std::uint32_t>(lim.http_header_bytes));
  parser_->body_limit(lim.http_body_bytes);
  stream_.expires_after(lim.handshake_timeout);
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&http_session::on_read, shared_from_this()));
}

void http_session::on_read(beast::error_code ec, std::size_t) {
  if (ec == http::error::end_of_stream) {
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    return;
  }
  // A request Beast could not parse gets a plain answer before the connection closes.
  if (ec == http::error::header_limit) {
    refuse(431, "request header fields too large\n");
    return;
  }
  if (ec == http::error::body_limit) {
    refuse(413, "request body too large\n");
    return;
  }
  if (ec.category() == http::make_error_code(http::error::bad_method).category()) {
    refuse(400, "malformed HTTP request\n");
    return;
  }
  if (ec)
    return; // timeout, reset: nobody to answer
  auto& req = parser_->get();
  auto url = boost::urls::parse_origin_form(req.target());
  if (!url) {
    respond(400, "text/plain; charset=utf-8", "bad request target\n");
    return;
  }
  const std::string path = url->path();
  if (websocket::is_upgrade(req)) {
    if (path != "/ws")
      respond(404, "text/plain; charset=utf-8", "WebSocket endpoint is /ws\n");
    else if (!origin_allowed(req))
      respond(403, "text/plain; charset=utf-8", "origin not allowed\n");
    else
      upgrade();
    return;
  }
  http_request info{std::string(req.method_string()),
                    path,
                    {},
                    std::string(req[http::field::authorization]),
                    req.body()};
  for (auto param : url->params())
    info.query[param.key] = param.value;
  auto self = shared_from_this();
  auto executor = stream_.get_executor();
  bool answered =
      handlers_.on_request &&
      handlers_.on_request(
          info, [self, executor](unsigned status, std::string type, std::string body) {
            asio::post(executor, [self, status, type = std::move(type),
                                  body = std::move(body)]() mutable {
              self->respond(status, std::move(type), std::move(body));
            });
          });
  if (answered)
    return;
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    respond(405, "text/plain; charset=utf-8", "method not allowed\n");
    return;
  }
  if (!serve_file(path == "/" ? "/index.html" : path))
    respond(404, "text/plain; charset=utf-8", "not found\n");
}

void http_session::upgrade() {
  auto& req = parser_->get();
  std::string name;
  auto url = boost::urls::parse_origin_form(req.target());
  if (auto it = url->params().find("name"); it != url->params().end())
    name = (*it).value;
  auto ws = std::make_shared<ws_session>(stream_.release_socket(), parser_->release(),
                                         settings_, shared_);
  ws->set_events(handlers_.on_upgrade(ws, std::move(name)));
}

bool http_session::serve_file(const std::string& path) {
  if (settings_.web_root.empty() || !safe_path(path))
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

void http_session::refuse(unsigned status, std::string body) {
  auto res =
      make_response(status, 11, "text/plain; charset=utf-8", std::move(body), false);
  http::async_write(stream_, *res,
                    [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
                      self->stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
                    });
}

void http_session::respond(unsigned status, std::string content_type, std::string body,
                           std::string cache_control) {
  auto& req = parser_->get();
  auto res = make_response(status, req.version(), content_type, std::move(body),
                           req.keep_alive());
  res->set(http::field::cache_control, cache_control);
  if (status == 405)
    res->set(http::field::allow,
             req.target().substr(0, 5) == "/api/" ? "GET, POST" : "GET, HEAD");
  if (req.method() == http::verb::head)
    res->body().clear();
  http::async_write(stream_, *res,
                    [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
                      if (ec)
                        return;
                      if (!res->keep_alive()) {
                        self->stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
                        return;
                      }
                      self->do_read();
                    });
}

} // namespace chat::net
