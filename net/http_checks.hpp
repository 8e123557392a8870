// What http_session decides about a request it has read, as pure functions: no socket and
// no file system, so that every decision can be tested and fuzzed on its own
// (tests/fuzz/http_fuzz.cpp). http_session only carries the decisions out.
#pragma once

#include "net/beast.hpp"
#include "net/server.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace chat::net {

using beast_request = http::request<http::string_body>;

// A plain-text answer: its status and body.
struct refusal {
  unsigned status;
  std::string body;
};

// The answer to a request Beast could not read: 431 (head too large), 413 (body too
// large), 400 (malformed); nullopt when there is nobody to answer (a timeout, a reset, a
// clean close between requests) or nothing went wrong.
std::optional<refusal> refusal_of(const beast::error_code& ec);

// Where a request that was read whole goes.
struct route {
  enum kind_t {
    answer,  // answered at once: `status` and `body` (bad target, wrong path, origin)
    upgrade, // a WebSocket upgrade on /ws from an allowed origin; `query` its ?k=v
    app,     // asked of the app's endpoints first: `request`
  };
  kind_t kind = answer;
  unsigned status = 0;
  std::string body;
  std::string name; // the upgrade's ?name=
  upgrade_request to_upgrade;
  http_request request;
};

route route_of(const beast_request& req, const net_settings& settings);

// Browsers send Origin; other clients usually do not, and are not refused for it. With
// `allowed_origins` empty only the host the request was sent to is allowed.
bool origin_allowed(const beast_request& req,
                    const std::vector<std::string>& allowed_origins);

// A request the app's endpoints did not take: the file below web_root to serve, or (when
// `status` is not 0) the answer: 405 for a method other than GET and HEAD, 404 for a path
// that no file below web_root may have.
struct static_file {
  unsigned status = 0;
  std::string body;
  std::string file; // "/index.html" for "/"
};

static_file static_file_of(http::verb method, const std::string& path);

// Only plain names below web/: no "..", no hidden files, no control characters.
bool safe_path(const std::string& path);

// The Content-Type of a file, by its extension.
const char* content_type_of(const std::string& path);

// The Allow header of a 405 answer to a request for `target`.
const char* allowed_methods(std::string_view target);

} // namespace chat::net
