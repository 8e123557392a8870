#include "actors/http_api.hpp"

#include "messages/actor_errors.hpp"
#include "messages/codec.hpp"
#include "messages/names.hpp"

#include <boost/json.hpp>
#include <caf/all.hpp>

namespace chat {

namespace {

constexpr const char* json_type = "application/json";

std::string json_error(std::string_view code, const std::string& message) {
  return boost::json::serialize(
             boost::json::object{{"code", code}, {"message", message}}) +
         "\n";
}

void unavailable(const http_api::reply& r, caf::error&) {
  r(503, json_type, json_error("unavailable", "the server did not answer in time"));
}

// The answer once every owner has spoken: the manager, the router and, in a cluster,
// the cluster actor.
void healthz_reply(http_api api, const stats_reply& stats, std::size_t rooms,
                   const std::vector<peer_info>* peers, const http_api::reply& r) {
  auto up = std::chrono::steady_clock::now() - api.started;
  boost::json::object o{
      {"status", stats.shutting_down ? "shutting_down" : "ok"},
      {"node", api.ctx->node_name},
      {"connections", stats.connections},
      {"rooms", rooms},
      {"uptime_s", std::chrono::duration_cast<std::chrono::seconds>(up).count()},
      {"amqp", to_string(api.ctx->counters->amqp.load(std::memory_order_relaxed))}};
  if (peers) {
    boost::json::array xs;
    for (const auto& p : *peers)
      xs.push_back({{"node", p.node}, {"address", p.address}, {"state", p.state}});
    o["peers"] = std::move(xs);
  }
  r(stats.shutting_down ? 503 : 200, json_type, boost::json::serialize(o) + "\n");
}

void healthz(caf::event_based_actor* self, http_api api, http_api::reply r) {
  const auto timeout = api.ctx->limits.api_reply_timeout;
  auto fail = [=](caf::error& e) { unavailable(r, e); };
  self->request(api.manager, timeout, server_stats{})
      .then(
          [=](const stats_reply& stats) {
            self->request(api.router, timeout, count_rooms{})
                .then(
                    [=](std::size_t rooms) {
                      if (!api.ctx->cluster) {
                        healthz_reply(api, stats, rooms, nullptr, r);
                        return;
                      }
                      self->request(api.ctx->cluster, timeout, cluster_status{})
                          .then(
                              [=](const std::vector<peer_info>& peers) {
                                healthz_reply(api, stats, rooms, &peers, r);
                              },
                              fail);
                    },
                    fail);
          },
          fail);
}

// Posting to a room creates it, like a change_room would.
void post_message(caf::event_based_actor* self, http_api api, std::string room,
                  send_message m, http_api::reply r) {
  auto from = m.from.empty() ? std::string{"api"} : m.from;
  self->request(api.router, api.ctx->limits.api_reply_timeout, find_room{room, true})
      .then(
          [=](const room_actor& target) {
            self->request(target, api.ctx->limits.api_reply_timeout,
                          publish{from, m.message, now_ns(), {}})
                .then(
                    [=](const chat_message& sent) {
                      r(201, json_type, encode_message_payload(sent) + "\n");
                    },
                    [=](caf::error& e) { unavailable(r, e); });
          },
          [=](caf::error& e) {
            if (e == chat_errc::too_many_rooms)
              r(409, json_type,
                json_error(to_string(protocol_code::invalid_payload),
                           too_many_rooms_message(api.ctx->limits.max_rooms)));
            else
              unavailable(r, e);
          });
}

// Asks an existing room (or, when `open`, opens it); a room that does not exist (or
// cannot be opened) goes to `missing`.
template <class Request, class Reply, class Done, class Missing>
void ask_room(caf::event_based_actor* self, http_api api, std::string room, Request req,
              Done done, Missing missing, http_api::reply r, bool open = false) {
  self->request(api.router, api.ctx->limits.api_reply_timeout,
                find_room{std::move(room), open})
      .then(
          [=](const room_actor& target) {
            self->request(target, api.ctx->limits.api_reply_timeout, req)
                .then([=](const Reply& x) { done(x); },
                      [=](caf::error& e) { unavailable(r, e); });
          },
          [=](caf::error& e) {
            if (e == chat_errc::no_such_room || e == chat_errc::too_many_rooms)
              missing();
            else
              unavailable(r, e);
          });
}

// With a store, a room that is not open (released, or not used since a restart) is
// opened and loads its stored history; when it cannot be (max-rooms all have members),
// this node's store answers alone.
void get_history(caf::event_based_actor* self, http_api api, std::string room,
                 read_history q, http_api::reply r) {
  auto done = [=](const std::vector<chat_message>& xs) {
    r(200, json_type, payload_of(encode_history(room, xs)) + "\n");
  };
  auto missing = [=] {
    if (!api.ctx->history) {
      done({});
      return;
    }
    self->request(api.ctx->history, api.ctx->limits.api_reply_timeout,
                  read_messages{room, 0, q.before, q.limit})
        .then([=](const history_page& page) { done(page.messages); },
              [=](caf::error& e) { unavailable(r, e); });
  };
  ask_room<read_history, std::vector<chat_message>>(self, api, room, q, done, missing, r,
                                                    static_cast<bool>(api.ctx->history));
}

void get_users(caf::event_based_actor* self, http_api api, std::string room,
               http_api::reply r) {
  auto done = [=](const std::vector<std::string>& users) {
    r(200, json_type, payload_of(encode_presence(room, users)) + "\n");
  };
  ask_room<list_members, std::vector<std::string>>(
      self, api, room, list_members{}, done, [=] { done({}); }, r);
}

// The query of GET .../messages, checked by the same rules as a `history` event.
std::optional<history_query>
history_params(const std::map<std::string, std::string>& query, const limits& lim) {
  boost::json::object p;
  for (const char* key : {"limit", "before"})
    if (auto it = query.find(key); it != query.end()) {
      boost::json::error_code ec;
      auto v = boost::json::parse(it->second, ec);
      if (ec)
        return std::nullopt;
      p[key] = v;
    }
  auto d = decode_payload("history", boost::json::serialize(p), lim);
  if (auto* ev = std::get_if<client_event>(&d))
    return std::get<history_query>(ev->body);
  return std::nullopt;
}

bool api_rooms(const http_api& api, const http_api::request& req,
               const http_api::reply& r) {
  static const std::string prefix = "/api/rooms/";
  const auto& lim = api.ctx->limits;
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
  auto invalid = to_string(protocol_code::invalid_payload);
  if (!valid_room_name(room)) {
    r(400, json_type,
      json_error(invalid, "room must be 1..64 characters of A-Z a-z 0-9 _ . -"));
    return true;
  }
  bool get = req.method == "GET" || req.method == "HEAD";
  if (what == "users" && get) {
    api.sys->spawn(get_users, api, room, r);
  } else if (what == "messages" && get) {
    auto q = history_params(req.query, lim);
    if (!q)
      r(400, json_type,
        json_error(invalid, "limit must be 1.." + std::to_string(lim.max_history_query) +
                                " and before a message id"));
    else
      api.sys->spawn(get_history, api, room,
                     read_history{q->before.value_or(0), q->limit}, r);
  } else if (what == "messages" && req.method == "POST") {
    auto d = decode_payload("send_message", req.body, lim);
    if (auto* e = std::get_if<protocol_error>(&d))
      r(400, json_type, json_error(to_string(e->code), e->message));
    else
      api.sys->spawn(post_message, api, room,
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
      r(200, "text/plain; version=0.0.4; charset=utf-8", ctx->counters->render());
    return true;
  }
  if (req.path.rfind("/api/rooms/", 0) == 0)
    return api_rooms(*this, req, r);
  return false;
}

} // namespace chat
