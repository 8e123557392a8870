// Fuzz target: the bytes a client sends on one HTTP connection, read as http_session reads
// them (Beast's request_parser<string_body> with chat::limits' header and body limits,
// request after request while the connection is kept alive), and what net/http_checks
// decides about each request.
//
// The bytes are read twice: all at once, and in pieces of 1..97 bytes; both readings must
// come to the same decisions. Properties checked (any other outcome aborts):
// - nothing throws out (an exception escaping this function is a crash);
// - a request Beast refuses gets 431, 413 or 400 exactly for header_limit, body_limit and
//   the other parse errors; a clean end of stream gets nothing;
// - a route is one of: an answer of 400 (bad target), 404 (upgrade not on /ws) or 403
//   (origin refused) with a body; an upgrade only for a WebSocket upgrade on /ws from an
//   allowed origin; else the app's request, with the decoded path and query;
// - a name chat::valid_user_name accepts from ?name= is valid UTF-8 (it goes out in
//   every text frame that names the user: welcome, presence_diff, new_message, ...);
// - a file served below web_root is a path safe_path accepts, that the file system gets
//   whole (no NUL that would cut it short), with a content type.
#include "messages/names.hpp"
#include "net/http_checks.hpp"
#include "tests/fuzz/check.hpp"
#include "tests/fuzz/utf8.hpp"

#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/url/parse.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

using namespace chat::net;

namespace {

const chat::limits lim{};

net_settings same_host() {
  return net_settings{};
}

net_settings listed_origins() {
  net_settings s;
  s.allowed_origins = {"http://localhost:3000", "https://chat.example.org"};
  return s;
}

const net_settings settings[] = {same_host(), listed_origins()};

// Every decision about one request, as text, to compare two readings of the same bytes.
void check_request(const beast_request& req, std::string& log) {
  auto url_path_is_ws = [&] {
    auto u = boost::urls::parse_origin_form(req.target());
    return u && u->path() == "/ws";
  };
  for (const auto& s : settings) {
    auto r = route_of(req, s);
    log += std::to_string(r.kind) + " " + std::to_string(r.status) + " ";
    switch (r.kind) {
    case route::answer:
      FUZZ_CHECK(!r.body.empty());
      FUZZ_CHECK(r.status == 400 ||
                 (r.status == 404 && websocket::is_upgrade(req) && !url_path_is_ws()) ||
                 (r.status == 403 && websocket::is_upgrade(req) &&
                  !origin_allowed(req, s.allowed_origins)));
      break;
    case route::upgrade:
      FUZZ_CHECK(websocket::is_upgrade(req) && url_path_is_ws());
      FUZZ_CHECK(origin_allowed(req, s.allowed_origins));
      log += r.name;
      if (chat::valid_user_name(r.name))
        FUZZ_CHECK(chat::fuzz::valid_utf8(r.name));
      break;
    case route::app: {
      FUZZ_CHECK(!websocket::is_upgrade(req));
      const auto& q = r.request;
      FUZZ_CHECK(q.method == req.method_string());
      FUZZ_CHECK(q.body == req.body());
      log += q.method + " " + q.path;
      for (const auto& [k, v] : q.query)
        log += " " + k + "=" + v;
      auto f = static_file_of(req.method(), q.path);
      if (f.status == 0) {
        FUZZ_CHECK(req.method() == http::verb::get || req.method() == http::verb::head);
        FUZZ_CHECK(safe_path(f.file));
        FUZZ_CHECK(std::strlen(f.file.c_str()) == f.file.size());
        FUZZ_CHECK(f.file.find("..") == std::string::npos && f.file[0] == '/');
        FUZZ_CHECK(content_type_of(f.file) != nullptr);
        log += " file " + f.file;
      } else {
        FUZZ_CHECK((f.status == 405 && req.method() != http::verb::get &&
                    req.method() != http::verb::head) ||
                   f.status == 404);
        FUZZ_CHECK(!f.body.empty());
        log += " " + std::to_string(f.status);
      }
      break;
    }
    }
    log += "\n";
  }
  FUZZ_CHECK(std::string_view(allowed_methods(req.target())).size() > 0);
}

// Reads requests from `bytes` as http_session does, `read_size` bytes at a time at most
// (0: all at once), and returns the decisions.
std::string read_all(std::string_view bytes, std::size_t read_size) {
  static boost::asio::io_context ioc;
  beast::test::stream stream{ioc};
  if (read_size != 0)
    stream.read_size(read_size);
  stream.append(bytes);
  stream.close_remote();
  beast::flat_buffer buffer;
  std::string log;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(lim.http_header_bytes));
    parser.body_limit(lim.http_body_bytes);
    beast::error_code ec;
    http::read(stream, buffer, parser, ec);
    auto refused = refusal_of(ec);
    if (ec) {
      if (ec == http::error::header_limit)
        FUZZ_CHECK(refused && refused->status == 431);
      else if (ec == http::error::body_limit)
        FUZZ_CHECK(refused && refused->status == 413);
      else if (ec == http::error::end_of_stream)
        FUZZ_CHECK(!refused);
      else if (ec.category() == http::make_error_code(http::error::bad_method).category())
        FUZZ_CHECK(refused && refused->status == 400);
      else
        FUZZ_CHECK(!refused);
      if (refused)
        FUZZ_CHECK(!refused->body.empty());
      // The decision, not the error: where a request that ends early is found
      // malformed depends on how its bytes arrived (bad_field or partial_message).
      log += "refused " + std::to_string(refused ? refused->status : 0) + "\n";
      return log;
    }
    FUZZ_CHECK(!refused);
    const auto& req = parser.get();
    check_request(req, log);
    // http_session answers and reads on only when the request keeps the connection
    // alive and was not handed to a WebSocket.
    if (!req.keep_alive() || websocket::is_upgrade(req))
      return log;
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes{reinterpret_cast<const char*>(data), size};
  auto whole = read_all(bytes, 0);
  auto pieces = read_all(bytes, 1 + size % 97);
  FUZZ_CHECK(whole == pieces);
  return 0;
}
