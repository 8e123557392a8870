#include "actors/http_api.hpp"

#include "messages/atoms.hpp"

#include <boost/json.hpp>
#include <caf/all.hpp>

namespace chat {

namespace {

constexpr auto ask_timeout = std::chrono::seconds(2);

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
                      r(shutting_down ? 503 : 200, "application/json",
                        boost::json::serialize(o) + "\n");
                    },
                    [=](caf::error&) {
                      r(503, "application/json", "{\"status\":\"unavailable\"}\n");
                    });
          },
          [=](caf::error&) {
            r(503, "application/json", "{\"status\":\"unavailable\"}\n");
          });
}

} // namespace

bool http_api::answer(const std::string& path, reply r) const {
  if (path == "/healthz") {
    sys->spawn(healthz, *this, std::move(r));
    return true;
  }
  if (path == "/metrics") {
    r(200, "text/plain; version=0.0.4; charset=utf-8", counters->render());
    return true;
  }
  return false;
}

} // namespace chat
