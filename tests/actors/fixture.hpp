// A deterministic actor system for the actor tests: CAF's test coordinator runs every
// actor in the test's thread, one message at a time, with a virtual clock. Clients are
// connection actors whose link is a fake_link that records what the actor asked of it.
#pragma once

#include "actors/connection.hpp"
#include "actors/manager.hpp"
#include "actors/router.hpp"
#include "messages/announce.hpp"
#include "tests/support/presence_model.hpp"

#include <boost/json.hpp>
#include <caf/test/dsl.hpp>
#include <deque>
#include <optional>
#include <string>

namespace chat::test {

class fake_link : public client_link {
public:
  bool accepted = false;
  unsigned rejected = 0; // the HTTP status of a refusal
  std::optional<std::uint16_t> closed_with;
  std::deque<std::string> frames; // sent to the client, oldest first

  void accept() override { accepted = true; }
  void reject(unsigned status, std::string) override { rejected = status; }
  void send(frame f) override { frames.emplace_back(f.text()); }
  void close(std::uint16_t code, std::string) override {
    if (!closed_with)
      closed_with = code;
  }
};

struct test_config : caf::actor_system_config {
  test_config() { announce_message_types(*this); }
};

// Limits small enough to reach in a test.
inline limits test_limits() {
  limits l;
  l.ping_interval = std::chrono::seconds(1);
  l.pong_timeout = std::chrono::milliseconds(500);
  l.max_rooms = 3;
  l.max_connections = 4;
  l.presence_interval = std::chrono::milliseconds(0); // a presence_diff per change
  return l;
}

struct client {
  connection_actor actor;
  std::shared_ptr<fake_link> link;
  std::shared_ptr<client_events> events;

  presence_model presence; // what its room's presence_diffs told it

  // Takes the oldest frame sent to the client, parsed, skipping presence_diffs that
  // tell it nothing new (set operations: a diff may name itself or users it knew).
  boost::json::object next() {
    for (;;) {
      CAF_REQUIRE(!link->frames.empty());
      auto text = std::move(link->frames.front());
      link->frames.pop_front();
      auto ev = boost::json::parse(text).as_object();
      auto before = presence.changes().size();
      presence.observe(ev);
      if (ev.at("type").as_string() != "presence_diff" ||
          presence.changes().size() != before)
        return ev;
    }
  }
  // True when every frame left tells nothing new (those are consumed).
  bool nothing_new() {
    while (!link->frames.empty()) {
      auto ev = boost::json::parse(link->frames.front()).as_object();
      auto before = presence.changes().size();
      if (ev.at("type").as_string() != "presence_diff")
        return false;
      presence.observe(ev);
      link->frames.pop_front();
      if (presence.changes().size() != before)
        return false;
    }
    return true;
  }
  // The next presence change: `kind` ("joined"/"left") of `user`.
  presence_event next_change() {
    while (presence.changes().empty())
      CAF_REQUIRE_EQUAL(std::string(next().at("type").as_string()), "presence_diff");
    auto ch = presence.changes().front();
    presence.changes().pop_front();
    return ch;
  }
  std::string next_type() { return std::string(next().at("type").as_string()); }
};

inline std::string type_of(const boost::json::object& ev) {
  return std::string(ev.at("type").as_string());
}

inline std::string str(const boost::json::value& v) {
  return std::string(v.as_string());
}

struct actor_fixture : test_coordinator_fixture<test_config> {
  context_ptr ctx;
  manager_actor manager;
  router_actor router;

  explicit actor_fixture(limits lim = test_limits()) {
    auto c = std::make_shared<node_context>();
    c->limits = lim;
    c->node_name = "test-node";
    ctx = std::move(c);
    manager = spawn_manager(sys, ctx);
    router = spawn_router(sys, ctx);
    sched.run();
  }

  ~actor_fixture() override {
    // As chatd ends: the manager closes every connection, then it and the router (with
    // its rooms) go, before the base class runs every remaining timeout.
    caf::anon_send(manager, shutdown_server{});
    sched.run();
    caf::anon_send_exit(manager, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(router, caf::exit_reason::user_shutdown);
    sched.run();
  }

  // Opens a connection up to its registration; the upgrade is the test's to make.
  client open(const std::string& name) {
    client c;
    c.link = std::make_shared<fake_link>();
    c.actor = spawn_connection(sys, c.link, client_hello{name, {}, {}, {}}, ctx, manager,
                               router);
    c.events = make_client_events(c.actor);
    sched.run();
    return c;
  }

  // A client through its upgrade and welcome, in `general`.
  client connect(const std::string& name) {
    auto c = open(name);
    CAF_REQUIRE(c.link->accepted);
    c.events->on_upgraded();
    sched.run();
    auto welcome = c.next();
    CAF_REQUIRE_EQUAL(type_of(welcome), "welcome");
    CAF_CHECK_EQUAL(str(welcome.at("payload").at("user")), name);
    return c;
  }

  void say(client& c, const std::string& json) {
    c.events->on_text(json);
    sched.run();
  }

  // Lets `d` of virtual time pass in small steps, running every message in between.
  void elapse(caf::timespan d) {
    const auto step = std::chrono::milliseconds(10);
    for (caf::timespan t{0}; t < d; t += step) {
      advance_time(step);
      sched.run();
    }
  }

  // Requests `msg` of `to` and returns the answer: T, or the error.
  template <class T, class Handle, class Message>
  caf::expected<T> ask(const Handle& to, Message msg) {
    auto answer = self->request(to, caf::infinite, std::move(msg));
    sched.run();
    caf::expected<T> result = caf::error{};
    answer.receive([&](T& x) { result = std::move(x); },
                   [&](caf::error& e) { result = std::move(e); });
    return result;
  }

  std::size_t connections() {
    auto stats = ask<stats_reply>(manager, server_stats{});
    CAF_REQUIRE(stats);
    return stats->connections;
  }

  std::size_t rooms() {
    auto n = ask<std::size_t>(router, count_rooms{});
    CAF_REQUIRE(n);
    return *n;
  }

  room_actor room_named(const std::string& name) {
    auto r = ask<room_actor>(router, find_room{name, false});
    CAF_REQUIRE(r);
    return *r;
  }
};

} // namespace chat::test
