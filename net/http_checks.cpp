#include "net/http_checks.hpp"

#include <algorithm>
#include <boost/url/parse.hpp>

namespace chat::net {

namespace {

route answer(unsigned status, std::string body) {
  route r;
  r.kind = route::answer;
  r.status = status;
  r.body = std::move(body);
  return r;
}

} // namespace

std::optional<refusal> refusal_of(const beast::error_code& ec) {
  if (!ec || ec == http::error::end_of_stream)
    return std::nullopt;
  if (ec == http::error::header_limit)
    return refusal{431, "request header fields too large\n"};
  if (ec == http::error::body_limit)
    return refusal{413, "request body too large\n"};
  if (ec.category() == http::make_error_code(http::error::bad_method).category())
    return refusal{400, "malformed HTTP request\n"};
  return std::nullopt;
}

route route_of(const beast_request& req, const net_settings& settings) {
  auto url = boost::urls::parse_origin_form(req.target());
  if (!url)
    return answer(400, "bad request target\n");
  std::string path = url->path();
  if (websocket::is_upgrade(req)) {
    if (path != "/ws")
      return answer(404, "WebSocket endpoint is /ws\n");
    if (!origin_allowed(req, settings.allowed_origins))
      return answer(403, "origin not allowed\n");
    route r;
    r.kind = route::upgrade;
    for (auto param : url->params())
      r.to_upgrade.query[param.key] = param.value;
    if (auto it = r.to_upgrade.query.find("name"); it != r.to_upgrade.query.end())
      r.name = it->second;
    r.to_upgrade.authorization = std::string(req[http::field::authorization]);
    return r;
  }
  route r;
  r.kind = route::app;
  r.request = http_request{std::string(req.method_string()),
                           std::move(path),
                           {},
                           std::string(req[http::field::authorization]),
                           req.body()};
  for (auto param : url->params())
    r.request.query[param.key] = param.value;
  return r;
}

bool origin_allowed(const beast_request& req,
                    const std::vector<std::string>& allowed_origins) {
  auto origin = req[http::field::origin];
  if (origin.empty())
    return true;
  if (!allowed_origins.empty())
    return std::find(allowed_origins.begin(), allowed_origins.end(), origin) !=
           allowed_origins.end();
  // Same host only: the origin's authority must be the Host the request was sent to.
  auto uri = boost::urls::parse_uri(origin);
  return uri && uri->encoded_authority() == req[http::field::host];
}

static_file static_file_of(http::verb method, const std::string& path) {
  if (method != http::verb::get && method != http::verb::head)
    return {405, "method not allowed\n", {}};
  std::string file = path == "/" ? "/index.html" : path;
  if (!safe_path(file))
    return {404, "not found\n", {}};
  return {0, {}, std::move(file)};
}

bool safe_path(const std::string& path) {
  // No control character: a NUL (%00) would cut the name the file system opens short of
  // the one checked here (/index.html%00.png served index.html as image/png).
  auto control = [](unsigned char c) { return c < 0x20 || c == 0x7F; };
  return path.size() > 1 && path[0] == '/' && path.find("..") == std::string::npos &&
         path.find("/.") == std::string::npos && path.find('\\') == std::string::npos &&
         std::none_of(path.begin(), path.end(), control);
}

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

const char* allowed_methods(std::string_view target) {
  return target.substr(0, 5) == "/api/" ? "GET, POST" : "GET, HEAD";
}

} // namespace chat::net
