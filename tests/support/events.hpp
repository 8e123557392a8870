// Small helpers the integration suites share: reading events, building frames, joining.
#pragma once

#include "tests/support/server_process.hpp"
#include "tests/support/ws_client.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <string>

namespace chat::test {

inline std::string type_of(const boost::json::object& ev) {
  return std::string(ev.at("type").as_string());
}

inline const boost::json::object& payload_of(const boost::json::object& ev) {
  return ev.at("payload").as_object();
}

inline std::string str(const boost::json::value& v) {
  return std::string(v.as_string());
}

// A send_message frame; `from` only when given.
inline std::string say(const std::string& message, const std::string& from = {}) {
  boost::json::object p{{"message", message}};
  if (!from.empty())
    p["from"] = from;
  return boost::json::serialize(
      boost::json::object{{"type", "send_message"}, {"payload", p}});
}

// The next event that is not a presence_diff telling nothing new (a join the client
// knew of, itself included: set operations, docs/protocol.md).
inline boost::json::object next_news(ws_client& c,
                                     std::chrono::milliseconds timeout = default_wait) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto before = c.presence_changes().size();
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    auto ev = c.next(std::max(left, std::chrono::milliseconds(1)));
    if (type_of(ev) != "presence_diff" || c.presence_changes().size() != before)
      return ev;
  }
}

// The next presence change `c` was told of: its pending ones first, else the next
// event must be a presence_diff that changes something.
inline presence_event next_presence_change(ws_client& c) {
  while (c.presence_changes().empty()) {
    auto ev = c.next();
    BOOST_TEST_REQUIRE(type_of(ev) == "presence_diff",
                       "got " << boost::json::serialize(ev));
  }
  auto change = c.presence_changes().front();
  c.presence_changes().pop_front();
  return change;
}

// The next presence change must be `kind` ("joined"/"left") of `user` in `room`.
inline void next_presence_event(ws_client& c, const std::string& kind,
                                const std::string& room, const std::string& user) {
  auto ch = next_presence_change(c);
  BOOST_TEST(ch.kind == kind, "got " << ch.kind << " " << ch.user);
  BOOST_TEST(ch.room == room);
  BOOST_TEST(ch.user == user);
}

// Reads until a presence change of `kind` arrives (skipping any other event).
inline presence_event expect_presence(ws_client& c, const std::string& kind,
                                      std::chrono::milliseconds timeout = default_wait) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    while (!c.presence_changes().empty()) {
      auto ch = c.presence_changes().front();
      c.presence_changes().pop_front();
      if (ch.kind == kind)
        return ch;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      throw std::runtime_error("timed out waiting for a presence change: " + kind);
    c.next(left);
  }
}

// The next event must be the new_message `text` (often a marker proving that nothing
// else came first; a presence_diff that tells nothing new does not count).
inline boost::json::object next_message(ws_client& c, const std::string& text) {
  auto ev = next_news(c);
  BOOST_TEST_REQUIRE(type_of(ev) == "new_message", "got " << boost::json::serialize(ev));
  BOOST_TEST(str(payload_of(ev).at("message")) == text);
  return ev;
}

// Connects as `name`; the first event must be its welcome, in general.
inline ws_client join(const server_process& server, const std::string& name) {
  ws_client c{server.port(), "/ws?name=" + name};
  auto w = c.next();
  BOOST_TEST_REQUIRE(type_of(w) == "welcome", "got " << boost::json::serialize(w));
  BOOST_TEST(str(payload_of(w).at("user")) == name);
  BOOST_TEST(str(payload_of(w).at("room")) == "general");
  return c;
}

// Connects as `name` into a general that holds `held` messages: its welcome, then a
// history event with the newest of them (join-history, 20 by default).
inline ws_client join_with_history(const server_process& server, const std::string& name,
                                   std::size_t held, std::size_t join_history = 20) {
  auto c = join(server, name);
  auto h = c.next();
  BOOST_TEST_REQUIRE(type_of(h) == "history", "got " << boost::json::serialize(h));
  BOOST_TEST(payload_of(h).at("messages").as_array().size() ==
             std::min(held, join_history));
  return c;
}

// The server's connection count from /healthz.
inline int connections(unsigned short port) {
  auto r = http_request(port, "/healthz");
  BOOST_TEST_REQUIRE(r.status == 200u);
  return boost::json::parse(r.body).at("connections").to_number<int>();
}

// Waits, one /healthz round trip at a time (bounded), until the server counts `n`.
inline bool await_connections(unsigned short port, int n) {
  for (int round = 0; round < 1000; ++round)
    if (connections(port) == n)
      return true;
  return false;
}

} // namespace chat::test
