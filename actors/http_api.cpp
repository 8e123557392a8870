#include "actors/http_api.hpp"

#include "messages/atoms.hpp"
#include "messages/frame.hpp"
#include "messages/names.hpp"

#include <boost/json.hpp>
#include <caf/all.hpp>

namespace chat {

namespace {

constexpr auto ask_timeout = std::chrono::seconds(2);
constexpr const char* json_type = "application/json";

std::string json_error(const std::string& code, const std::string& message) {
  return boost::json::serialize(
             boost::json::object{{"code", code}, {"message", message}}) +
         "\n";
}

void unavailable(const http_api::reply& r, caf::error&) {
  r(503, json_type, json_error("unavailable", "the server did not answer in time"));
}

void healthz(caf::event_based_actor* self, http_api api, http_api::reply r) {
  self->request(api.manager, ask_timeout, stats_atom::value)
      .then(
          [=](std::size_t connections, bool shutting_down) {
            self->request(api.router, ask_timeout, count_atom::value)
                .then(
                    [=](std::size_t rooms) {
                      auto up = std::chrono::steady_clock::now() - api.started;
                      boost::json::object o{
                          {"status", shutting_down ? "shutting_down" : "ok"},
                          {"node", api.node},
                          {"connections", connections},
                          {"rooms", rooms},
                          {"uptime_s",
                           std::chrono::duration_cast<std::chrono::seconds>(up).count()}};
                      r(shutting_down ? 503 : 200, json_type,
                        boost::json::serialize(o) + "\n");
                    },
                    [=](caf::error& e) { unavailable(r, e); });
          },
          [=](caf::error& e) { unavailable(r, e); });
}

void post_message(caf::event_based_actor* self, caf::actor router, std::string room,
                  send_message m, http_api::reply r) {
  auto from = m.from.empty() ? std::string{"api"} : m.from;
  self->request(router, ask_timeout, publish_atom::value, room, from,
                std::move(m.message), now_ns())
      .then(
          [=](std::string& why, std::string& payload) {
            if (!why.empty())
              r(409, json_type, json_error(errc::invalid_payload, why));
            else
              r(201, json_type, payload + "\n");
          },
          [=](caf::error& e) { unavailable(r, e); });
}

void get_history(caf::event_based_actor* self, caf::actor router, std::string room,
                 std::uint64_t before, std::size_t limit, http_api::reply r) {
  self->request(router, ask_timeout, history_atom::value, room, before, limit)
      .then([=](const frame& f) { r(200, json_type, payload_of(*f) + "\n"); },
            [=](caf::error& e) { unavailable(r, e); });
}

void get_users(caf::event_based_actor* self, caf::actor router, std::string room,
               http_api::reply r) {
  self->request(router, ask_timeout, users_atom::value, room)
      .then(
          [=](const std::vector<std::string>& users) {
            r(200, json_type, payload_of(encode_presence(room, users)) + "\n");
          },
          [=](caf::error& e) { unavailable(r, e); });
}

// The query of GET .../messages, checked by the same rules as a `history` event.
std::optional<history_query>
history_params(const std::map<std::string, std::string>& query,
               const decode_limits& limits) {
  boost::json::object p;
  for (const char* key : {"limit", "before"})
    if (auto it = query.find(key); it != query.end()) {
      boost::json::error_code ec;
      auto v = boost::json::parse(it->second, ec);
      if (ec)
        return std::nullopt;
      p[key] = v;
    }
  auto d = decode_payload("history", boost::json::serialize(p), limits);
  if (auto* ev = std::get_if<client_event>(&d))
    return std::get<history_query>(ev->body);
  return std::nullopt;
}

bool api_rooms(const http_api& api, const http_api::request& req,
               const http_api::reply& r) {
  static const std::string prefix = "/api/rooms/";
  auto rest = req.path.substr(prefix.size());
  auto slash = rest.find('/');
  auto room = rest.substr(0, slash);
  auto what = slash == std::string::npos ? std::string{} : rest.substr(slash + 1);
  if (what != "messages" && what != "users")
    return false;
  if (!api.api_key.empty() && req.authorization != "Bearer " + api.api_key) {
    r(401, json_type,
      json_error("unauthorized", "Authorization: Bearer <api-key> required"));
    return true;
  }
  if (!valid_room_name(room)) {
    r(400, json_type,
      json_error(errc::invalid_payload,
                 "room must be 1..64 characters of A-Z a-z 0-9 _ . -"));
    return true;
  }
  bool get = req.method == "GET" || req.method == "HEAD";
  if (what == "users" && get) {
    api.sys->spawn(get_users, api.router, room, r);
  } else if (what == "messages" && get) {
    auto q = history_params(req.query, api.limits);
    if (!q)
      r(400, json_type,
        json_error(errc::invalid_payload, "limit must be 1.." +
                                              std::to_string(api.limits.max_history) +
                                              " and before a message id"));
    else
      api.sys->spawn(get_history, api.router, room, q->before.value_or(0), q->limit, r);
  } else if (what == "messages" && req.method == "POST") {
    auto d = decode_payload("send_message", req.body, api.limits);
    if (auto* e = std::get_if<protocol_error>(&d))
      r(400, json_type, json_error(e->code, e->message));
    else
      api.sys->spawn(post_message, api.router, room,
                     std::get<send_message>(std::get<client_event>(d).body), r);
  } else {
    r(405, json_type,
      json_error("method_not_allowed", req.method + " is not allowed here"));
  }
  return true;
}

} // namespace

bool http_api::answer(const request& req, reply r) const {
  if (req.path == "/healthz" || req.path == "/metrics") {
    if (req.method != "GET" && req.method != "HEAD")
      r(405, "text/plain; charset=utf-8", "method not allowed\n");
    else if (req.path == "/healthz")
      sys->spawn(healthz, *this, std::move(r));
    else
      r(200, "text/plain; version=0.0.4; charset=utf-8", counters->render());
    return true;
  }
  if (req.path.rfind("/api/rooms/", 0) == 0)
    return api_rooms(*this, req, r);
  return false;
}

} // namespace chat
