// Rooms, presence, names, direct messages, acks, history and max-rooms, against a real
// chatd on an ephemeral loopback port. "Did not receive X" is shown with a marker: a
// later event is made to arrive and the next event read must be that marker.
#define BOOST_TEST_MODULE rooms
#include "tests/support/events.hpp"

#include <boost/test/unit_test.hpp>
#include <future>
#include <regex>
#include <set>

using namespace chat::test;
namespace json = boost::json;

namespace {

std::string say_ref(const std::string& message, const std::string& ref) {
  return json::serialize(json::object{
      {"type", "send_message"}, {"payload", {{"message", message}}}, {"ref", ref}});
}

std::string move_to(const std::string& room, const std::string& ref = {}) {
  json::object o{{"type", "change_room"}, {"payload", {{"name", room}}}};
  if (!ref.empty())
    o["ref"] = ref;
  return json::serialize(o);
}

std::string direct(const std::string& to, const std::string& message,
                   const std::string& ref = {}) {
  json::object o{{"type", "send_direct"},
                 {"payload", {{"to", to}, {"message", message}}}};
  if (!ref.empty())
    o["ref"] = ref;
  return json::serialize(o);
}

json::array names(std::initializer_list<const char*> xs) {
  json::array a;
  for (auto x : xs)
    a.emplace_back(x);
  return a;
}

// Sends a marker message from `c` and checks it is the next event `c` reads.
void marker(ws_client& c, const std::string& text) {
  c.send(say(text));
  next_message(c, text);
}

// Reads from `c` until the `presence` reply arrives (other events are skipped).
json::array list_users(ws_client& c, const std::string& room = {}) {
  json::object o{{"type", "list_users"}};
  if (!room.empty())
    o["payload"] = json::object{{"room", room}};
  c.send_json(o);
  auto p = payload_of(c.expect("presence"));
  if (!room.empty())
    BOOST_TEST(str(p.at("room")) == room);
  return p.at("users").as_array();
}

struct server_fixture {
  server_process server;
  server_fixture() : server{} {}
  explicit server_fixture(std::vector<std::string> args) : server{std::move(args)} {}
  // welcome must be the first event, with nothing (e.g. a presence_diff) before it
  ws_client join(const std::string& name) { return chat::test::join(server, name); }
};

struct ping_fixture : server_fixture {
  ping_fixture()
      : server_fixture{{"--chat.ping-interval=200ms", "--chat.pong-timeout=300ms"}} {}
};

struct two_rooms_fixture : server_fixture {
  two_rooms_fixture() : server_fixture{{"--chat.max-rooms=2"}} {}
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(presence, server_fixture)

BOOST_AUTO_TEST_CASE(joiner_is_announced_to_members_but_not_to_itself) {
  auto alice = join("alice");
  auto bob = join("bob");
  next_presence_event(alice, "joined", "general", "bob");
  // bob was told nothing new of himself (a diff naming him changes nothing): the next
  // thing bob reads that tells him something is his marker.
  marker(bob, "bob here");
  next_message(alice, "bob here");
}

BOOST_AUTO_TEST_CASE(change_room_announces_leave_and_join_with_sorted_users) {
  auto alice = join("alice");
  auto bob = join("bob");
  next_presence_event(alice, "joined", "general", "bob");

  bob.send(move_to("lobby"));
  auto rc = next_news(bob);
  BOOST_TEST_REQUIRE(type_of(rc) == "room_changed", "got " << json::serialize(rc));
  BOOST_TEST(str(payload_of(rc).at("name")) == "lobby");
  BOOST_TEST(payload_of(rc).at("users").as_array() == names({"bob"}));
  next_presence_event(alice, "left", "general", "bob");

  alice.send(move_to("lobby"));
  rc = next_news(alice);
  BOOST_TEST_REQUIRE(type_of(rc) == "room_changed", "got " << json::serialize(rc));
  BOOST_TEST(payload_of(rc).at("users").as_array() == names({"alice", "bob"}));
  // bob hears alice arrive in lobby, and heard nothing of his own leave from general.
  next_presence_event(bob, "joined", "lobby", "alice");
  marker(alice, "alice in lobby"); // alice was told nothing new of herself
  next_message(bob, "alice in lobby");
}

BOOST_AUTO_TEST_CASE(room_changed_users_are_sorted_by_name) {
  auto zed = join("zed");
  auto amy = join("amy");
  auto mike = join("mike");
  for (auto* c : {&zed, &amy, &mike}) {
    c->send(move_to("sorted"));
    c->expect("room_changed");
  }
  auto bob = join("bob");
  bob.send(move_to("sorted"));
  auto rc = payload_of(bob.expect("room_changed"));
  BOOST_TEST(str(rc.at("name")) == "sorted");
  BOOST_TEST(rc.at("users").as_array() == names({"amy", "bob", "mike", "zed"}));
}

BOOST_AUTO_TEST_CASE(three_clients_see_joins_and_a_disconnect) {
  auto alice = join("alice");
  auto bob = join("bob");
  next_presence_event(alice, "joined", "general", "bob");
  auto carol = join("carol");
  next_presence_event(alice, "joined", "general", "carol");
  next_presence_event(bob, "joined", "general", "carol");

  carol.close();
  next_presence_event(alice, "left", "general", "carol");
  next_presence_event(bob, "left", "general", "carol");
  BOOST_TEST(list_users(alice) == names({"alice", "bob"}));

  // The two left are still in the room together.
  bob.send(say("just us"));
  next_message(alice, "just us");
  next_message(bob, "just us");
}

BOOST_AUTO_TEST_CASE(change_room_with_three_clients) {
  auto alice = join("alice");
  auto bob = join("bob");
  auto carol = join("carol");
  next_presence_event(alice, "joined", "general", "bob");
  next_presence_event(alice, "joined", "general", "carol");
  next_presence_event(bob, "joined", "general", "carol");

  carol.send(move_to("side"));
  BOOST_TEST(payload_of(carol.expect("room_changed")).at("users").as_array() ==
             names({"carol"}));
  next_presence_event(alice, "left", "general", "carol");
  next_presence_event(bob, "left", "general", "carol");

  bob.send(move_to("side"));
  BOOST_TEST(payload_of(bob.expect("room_changed")).at("users").as_array() ==
             names({"bob", "carol"}));
  next_presence_event(alice, "left", "general", "bob");
  next_presence_event(carol, "joined", "side", "bob");

  // alice, alone in general, hears nothing from side: her next event is her marker.
  carol.send(say("side talk"));
  next_message(carol, "side talk");
  next_message(bob, "side talk");
  marker(alice, "general talk");
}

BOOST_FIXTURE_TEST_CASE(pong_timeout_counts_as_leaving, ping_fixture) {
  auto alice = join("alice");
  auto bob = join("bob");
  next_presence_event(alice, "joined", "general", "bob");
  // `silent` never reads after its welcome, so it never answers a ping.
  auto silent = join("silent");
  next_presence_event(alice, "joined", "general", "silent");
  next_presence_event(bob, "joined", "general", "silent");
  // Both live clients must keep reading (and so answering pings) until the drop:
  // each waits in its own thread.
  auto wait_left = [](ws_client& c) { return expect_presence(c, "left"); };
  auto a = std::async(std::launch::async, wait_left, std::ref(alice));
  auto b = std::async(std::launch::async, wait_left, std::ref(bob));
  for (const auto& ch : {a.get(), b.get()}) {
    BOOST_TEST(ch.room == "general");
    BOOST_TEST(ch.user == "silent");
  }
  BOOST_TEST(list_users(alice) == names({"alice", "bob"}));
  BOOST_TEST(await_connections(server.port(), 2));
  BOOST_TEST(silent.close_code() == 0); // dropped: no close frame
}

BOOST_AUTO_TEST_CASE(list_users_of_own_and_other_rooms) {
  auto alice = join("alice");
  auto bob = join("bob");
  auto carol = join("carol");
  BOOST_TEST(list_users(alice) == names({"alice", "bob", "carol"}));
  bob.send(move_to("lobby"));
  bob.expect("room_changed");
  carol.send(move_to("lobby"));
  carol.expect("room_changed");

  alice.send(R"({"type":"list_users"})");
  auto p = payload_of(alice.expect("presence"));
  BOOST_TEST(str(p.at("room")) == "general");
  BOOST_TEST(p.at("users").as_array() == names({"alice"}));

  BOOST_TEST(list_users(alice, "lobby") == names({"bob", "carol"}));
  BOOST_TEST(list_users(bob, "general") == names({"alice"}));
  BOOST_TEST(list_users(bob) == names({"bob", "carol"}));
  BOOST_TEST(list_users(alice, "nobody-here").empty());

  alice.send(R"({"type":"list_users","payload":{"room":"bad room"}})");
  BOOST_TEST(str(payload_of(alice.expect("error")).at("code")) == "invalid_payload");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(one_user_many_connections, server_fixture)

BOOST_AUTO_TEST_CASE(two_connections_of_one_name_are_one_user) {
  auto bob = join("bob");
  auto alice1 = join("alice");
  next_presence_event(bob, "joined", "general", "alice");
  auto alice2 = join("alice");
  // alice was already in the room: no second join (marker proves it)
  marker(bob, "bob 1");
  BOOST_TEST(list_users(bob) == names({"alice", "bob"}));

  auto carol = join("carol");
  carol.send(move_to("general"));
  BOOST_TEST(payload_of(carol.expect("room_changed")).at("users").as_array() ==
             names({"alice", "bob", "carol"}));

  // Both of alice's connections hear the room.
  bob.send(say("to all"));
  alice1.expect("new_message");
  alice2.expect("new_message");
}

BOOST_AUTO_TEST_CASE(a_leave_is_told_only_when_the_last_connection_changes_room) {
  auto bob = join("bob");
  auto alice1 = join("alice");
  auto alice2 = join("alice");
  next_presence_event(bob, "joined", "general", "alice");

  // alice1 moves away: room_changed means general has processed her leave.
  alice1.send(move_to("elsewhere"));
  alice1.expect("room_changed");
  marker(bob, "alice is still here"); // no leave of alice before the marker
  BOOST_TEST(list_users(bob) == names({"alice", "bob"}));

  alice2.send(move_to("elsewhere"));
  auto rc = payload_of(alice2.expect("room_changed"));
  BOOST_TEST(rc.at("users").as_array() == names({"alice"}));
  next_presence_event(bob, "left", "general", "alice");
  BOOST_TEST(list_users(bob) == names({"bob"}));
}

BOOST_AUTO_TEST_CASE(a_leave_is_told_once_when_both_connections_disconnect) {
  auto bob = join("bob");
  auto alice1 = join("alice");
  auto alice2 = join("alice");
  next_presence_event(bob, "joined", "general", "alice");
  alice1.close();
  alice2.close();
  // Wait (bounded, one round trip at a time) until the room has let both go.
  int user_left = 0;
  bool gone = false;
  auto count_leaves = [&] {
    for (; !bob.presence_changes().empty(); bob.presence_changes().pop_front()) {
      BOOST_TEST(bob.presence_changes().front().kind == "left");
      BOOST_TEST(bob.presence_changes().front().user == "alice");
      ++user_left;
    }
  };
  // The next event of `type`, counting the leaves of the presence_diffs before it.
  auto next_counting = [&](const char* type) {
    for (;;) {
      auto ev = next_news(bob);
      if (type_of(ev) != "presence_diff") {
        BOOST_TEST_REQUIRE(type_of(ev) == type, "got " << json::serialize(ev));
        return ev;
      }
      count_leaves();
    }
  };
  for (int round = 0; round < 500 && !gone; ++round) {
    bob.send(R"({"type":"list_users"})");
    gone = payload_of(next_counting("presence")).at("users").as_array() == names({"bob"});
  }
  BOOST_TEST_REQUIRE(gone);
  // The diff may follow the list (it leaves at the next presence flush); by bob's own
  // marker every leave was told: exactly one.
  bob.send(say("after alice"));
  next_counting("new_message");
  BOOST_TEST(user_left == 1);
}

BOOST_AUTO_TEST_SUITE_END()

// Presence changes within one presence-interval go out as one presence_diff. The other
// suites run with presence-interval=0 (a diff per change); these name an interval.
struct interval_fixture : server_fixture {
  interval_fixture() : server_fixture{{"--chat.presence-interval=1s"}} {}
};

// Connects as `name` and moves into `room`; returns once the room_changed came.
ws_client join_room(const server_process& server, const std::string& name,
                    const std::string& room) {
  auto c = chat::test::join(server, name);
  c.send(move_to(room));
  c.expect("room_changed");
  return c;
}

// Reads `c` until its room's users, as its events told them, are `want`; returns how
// many presence_diff frames that took.
int diffs_until(ws_client& c, const std::set<std::string>& want) {
  int diffs = 0;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (c.known_users() != want) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    BOOST_TEST_REQUIRE(left.count() > 0, "the users never became the expected set");
    if (type_of(c.next(left)) == "presence_diff")
      ++diffs;
  }
  return diffs;
}

BOOST_FIXTURE_TEST_SUITE(presence_diffs, interval_fixture)

BOOST_AUTO_TEST_CASE(a_burst_of_joins_reaches_each_member_as_one_diff_per_interval) {
  auto alice = join_room(server, "alice", "hall");
  std::set<std::string> want{"alice", "carol"};
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<ws_client> crowd;
  for (int i = 0; i < 15; ++i) {
    auto name = "b" + std::to_string(10 + i);
    crowd.push_back(join_room(server, name, "hall"));
    want.insert(name);
  }
  // x comes and goes; carol arrives while x is there: her list names x, and the diff
  // that follows must take x off it again.
  auto x = join_room(server, "x", "hall");
  auto carol = chat::test::join(server, "carol");
  carol.send(move_to("hall"));
  auto rc = carol.expect("room_changed");
  bool lists_x = false;
  for (const auto& u : payload_of(rc).at("users").as_array())
    lists_x = lists_x || u.as_string() == "x";
  BOOST_TEST(lists_x);
  x.close();
  for (int i = 0; i < 15; ++i) {
    auto name = "c" + std::to_string(10 + i);
    crowd.push_back(join_room(server, name, "hall"));
    want.insert(name);
  }
  int frames = diffs_until(alice, want);
  auto elapsed = std::chrono::steady_clock::now() - t0;
  // One diff per interval at most (+1 for the interval under way at each end): 31 users
  // came and went, 30 per-change frames would break this unless the joins took 28 s.
  auto intervals = std::chrono::duration_cast<std::chrono::seconds>(elapsed).count();
  BOOST_TEST(frames <= intervals + 2, frames << " diffs in " << intervals << " s");
  BOOST_TEST(diffs_until(carol, want) <= intervals + 2);
  json::array sorted;
  for (const auto& u : want)
    sorted.emplace_back(u);
  BOOST_TEST(list_users(alice) == sorted);
}

BOOST_AUTO_TEST_CASE(a_joiner_that_speaks_at_once_is_announced_before_its_message) {
  auto alice = join_room(server, "alice", "hall");
  auto dan = join_room(server, "dan", "hall");
  dan.send(say("hi, I am new"));
  // Well within the interval: the room flushes presence before the message.
  auto diff = next_news(alice, 900ms);
  BOOST_TEST_REQUIRE(type_of(diff) == "presence_diff", "got " << json::serialize(diff));
  BOOST_TEST(alice.known_users() == (std::set<std::string>{"alice", "dan"}));
  next_message(alice, "hi, I am new");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(names_and_renames, server_fixture)

BOOST_AUTO_TEST_CASE(guest_name_is_generated_and_stable) {
  ws_client guest{server.port(), "/ws"};
  auto w = next_news(guest);
  BOOST_TEST_REQUIRE(type_of(w) == "welcome", "got " << json::serialize(w));
  auto user = str(payload_of(w).at("user"));
  BOOST_TEST(std::regex_match(user, std::regex{"guest-[0-9a-z]{4,}"}), user);
  auto bob = join("bob");
  next_presence_event(guest, "joined", "general", "bob");
  for (auto text : {"one", "two", "three"}) {
    guest.send(say(text));
    auto mine = next_message(guest, text);
    BOOST_TEST(str(payload_of(mine).at("from")) == user);
    auto theirs = next_message(bob, text);
    BOOST_TEST(str(payload_of(theirs).at("from")) == user);
  }
  BOOST_TEST(list_users(bob) == json::array({json::value("bob"), json::value(user)}));
}

BOOST_AUTO_TEST_CASE(two_guests_get_different_names) {
  ws_client g1{server.port(), "/ws"};
  ws_client g2{server.port(), "/ws"};
  auto u1 = str(payload_of(g1.expect("welcome")).at("user"));
  auto u2 = str(payload_of(g2.expect("welcome")).at("user"));
  BOOST_TEST(u1 != u2);
}

BOOST_AUTO_TEST_CASE(from_renames_before_the_message) {
  auto alice = join("alice");
  auto bob = join("bob");
  next_presence_event(alice, "joined", "general", "bob");

  alice.send(say("new name", "alicia"));
  next_presence_event(bob, "left", "general", "alice");
  next_presence_event(bob, "joined", "general", "alicia");
  auto ev = next_message(bob, "new name");
  BOOST_TEST(str(payload_of(ev).at("from")) == "alicia");
  ev = alice.expect("new_message");
  BOOST_TEST(str(payload_of(ev).at("from")) == "alicia");

  // The same name again renames nothing: the next event is the message itself.
  alice.send(say("same name", "alicia"));
  next_message(bob, "same name");
  // Without `from` the current name is used.
  alice.send(say("no from"));
  BOOST_TEST(str(payload_of(next_message(bob, "no from")).at("from")) == "alicia");

  BOOST_TEST(list_users(bob) == names({"alicia", "bob"}));
  // The rename reaches direct messages too.
  bob.send(direct("alicia", "hi alicia"));
  BOOST_TEST(str(payload_of(alice.expect("direct_message")).at("message")) ==
             "hi alicia");
  bob.send(direct("alice", "hi old name", "old"));
  auto err = bob.expect("error");
  BOOST_TEST(str(payload_of(err).at("code")) == "no_such_user");
}

BOOST_AUTO_TEST_CASE(name_of_32_characters_is_accepted) {
  auto alice = join("alice");
  std::string longest(32, 'n');
  alice.send(say("long name", longest));
  auto ev = alice.expect("new_message");
  BOOST_TEST(str(payload_of(ev).at("from")) == longest);
}

BOOST_AUTO_TEST_CASE(invalid_from_is_refused_and_the_connection_keeps_working) {
  auto alice = join("alice");
  auto bob = join("bob");
  next_presence_event(alice, "joined", "general", "bob");
  for (const std::string& bad :
       {std::string(33, 'x'), std::string("bell\x07name"), std::string("")}) {
    BOOST_TEST_CONTEXT("from " << json::serialize(json::value(bad))) {
      json::object frame{{"type", "send_message"},
                         {"payload", {{"message", "never delivered"}, {"from", bad}}},
                         {"ref", "bad-from"}};
      alice.send_json(frame);
      auto err = next_news(alice);
      BOOST_TEST_REQUIRE(type_of(err) == "error", "got " << json::serialize(err));
      BOOST_TEST(str(payload_of(err).at("code")) == "invalid_payload");
      BOOST_TEST(str(err.at("ref")) == "bad-from");
      // Still alice, still connected; bob never saw the refused message or a rename.
      alice.send(say("still alice"));
      auto ok = next_message(alice, "still alice");
      BOOST_TEST(str(payload_of(ok).at("from")) == "alice");
      next_message(bob, "still alice");
    }
  }
  BOOST_TEST(list_users(bob) == names({"alice", "bob"}));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(direct_messages, server_fixture)

BOOST_AUTO_TEST_CASE(direct_reaches_every_connection_of_both_ends_only) {
  auto alice1 = join("alice");
  auto alice2 = join("alice");
  auto bob1 = join("bob");
  auto bob2 = join("bob");
  auto carol = join("carol");
  alice1.send(direct("bob", "psst"));
  for (auto* c : {&bob1, &bob2, &alice1, &alice2}) {
    auto p = payload_of(c->expect("direct_message"));
    BOOST_TEST(str(p.at("from")) == "alice");
    BOOST_TEST(str(p.at("to")) == "bob");
    BOOST_TEST(str(p.at("message")) == "psst");
    BOOST_TEST(std::regex_match(str(p.at("sent")),
                                std::regex{R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z)"}));
  }
  // carol, in the same room, did not get it: her next event is her own marker.
  marker(carol, "carol marker");
  // and the direct message did not go to the room either: bob's next room event is the
  // marker (after the presence events of the later joiners).
  for (;;) {
    auto ev = next_news(bob1);
    if (type_of(ev) == "presence_diff") {
      bob1.presence_changes().clear();
      continue;
    }
    BOOST_TEST_REQUIRE(type_of(ev) == "new_message", "got " << json::serialize(ev));
    BOOST_TEST(str(payload_of(ev).at("message")) == "carol marker");
    break;
  }
}

BOOST_AUTO_TEST_CASE(direct_reply_goes_back) {
  auto alice = join("alice");
  auto bob = join("bob");
  alice.send(direct("bob", "ping?"));
  bob.expect("direct_message");
  BOOST_TEST(str(payload_of(alice.expect("direct_message")).at("message")) == "ping?");
  bob.send(direct("alice", "pong!"));
  auto p = payload_of(alice.expect("direct_message"));
  BOOST_TEST(str(p.at("from")) == "bob");
  BOOST_TEST(str(p.at("to")) == "alice");
  BOOST_TEST(str(p.at("message")) == "pong!");
}

BOOST_AUTO_TEST_CASE(direct_across_rooms) {
  auto alice = join("alice");
  auto bob = join("bob");
  bob.send(move_to("lobby"));
  bob.expect("room_changed");
  alice.send(direct("bob", "across"));
  BOOST_TEST(str(payload_of(bob.expect("direct_message")).at("message")) == "across");
}

BOOST_AUTO_TEST_CASE(direct_to_an_unknown_user_is_no_such_user) {
  auto alice = join("alice");
  alice.send(direct("nobody", "hello?", "d-1"));
  auto err = next_news(alice);
  BOOST_TEST_REQUIRE(type_of(err) == "error", "got " << json::serialize(err));
  BOOST_TEST(str(payload_of(err).at("code")) == "no_such_user");
  BOOST_TEST(!payload_of(err).at("message").as_string().empty());
  BOOST_TEST(str(err.at("ref")) == "d-1");

  alice.send(direct("nobody", "hello?"));
  err = next_news(alice);
  BOOST_TEST_REQUIRE(type_of(err) == "error", "got " << json::serialize(err));
  BOOST_TEST(str(payload_of(err).at("code")) == "no_such_user");
  BOOST_TEST(!err.contains("ref"));
  marker(alice, "still connected");
}

BOOST_AUTO_TEST_CASE(direct_to_a_user_who_left_is_no_such_user) {
  auto alice = join("alice");
  auto bob = join("bob");
  next_presence_event(alice, "joined", "general", "bob");
  bob.close();
  next_presence_event(alice, "left", "general", "bob");
  // The room has let bob go; the manager is told by the same end of bob's actor, so
  // retry (bounded, each attempt awaited) until it answers no_such_user.
  bool refused = false;
  for (int round = 0; round < 500 && !refused; ++round) {
    alice.send(direct("bob", "are you there?"));
    auto ev = next_news(alice);
    if (type_of(ev) == "direct_message")
      continue; // bob's connection not yet unregistered: alice got the echo
    BOOST_TEST_REQUIRE(type_of(ev) == "error", "got " << json::serialize(ev));
    BOOST_TEST(str(payload_of(ev).at("code")) == "no_such_user");
    refused = true;
  }
  BOOST_TEST(refused);
}

BOOST_AUTO_TEST_CASE(direct_with_invalid_payload) {
  auto alice = join("alice");
  alice.send(R"({"type":"send_direct","payload":{"to":"bob"}})");
  BOOST_TEST(str(payload_of(alice.expect("error")).at("code")) == "invalid_payload");
  alice.send(R"({"type":"send_direct","payload":{"message":"who?"}})");
  BOOST_TEST(str(payload_of(alice.expect("error")).at("code")) == "invalid_payload");
  marker(alice, "still connected");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(acks, server_fixture)

BOOST_AUTO_TEST_CASE(ack_carries_ref_and_the_message_id) {
  auto alice = join("alice");
  alice.send(say_ref("with ref", "abc"));
  // The ack and the echo may come in either order.
  std::optional<json::object> ack, msg;
  while (!ack || !msg) {
    auto ev = next_news(alice);
    if (type_of(ev) == "ack") {
      BOOST_TEST_REQUIRE(!ack.has_value(), "a second ack: " << json::serialize(ev));
      ack = ev;
    } else {
      BOOST_TEST_REQUIRE(type_of(ev) == "new_message", "got " << json::serialize(ev));
      BOOST_TEST_REQUIRE(!msg.has_value(), "a second message: " << json::serialize(ev));
      msg = ev;
    }
  }
  BOOST_TEST(str(ack->at("ref")) == "abc");
  BOOST_TEST(payload_of(*ack).at("id") == payload_of(*msg).at("id"));
  BOOST_TEST(str(payload_of(*ack).at("room")) == "general");
  BOOST_TEST(str(payload_of(*msg).at("message")) == "with ref");
  BOOST_TEST(!msg->contains("ref")); // the broadcast itself carries no ref
}

BOOST_AUTO_TEST_CASE(no_ack_without_ref) {
  auto alice = join("alice");
  auto bob = join("bob");
  next_presence_event(alice, "joined", "general", "bob");
  alice.send(say("no ref"));
  alice.send(say_ref("ref x", "x"));
  std::vector<std::string> messages;
  std::vector<json::object> acks;
  while (messages.size() < 2 || acks.empty()) {
    auto ev = next_news(alice);
    if (type_of(ev) == "ack")
      acks.push_back(ev);
    else if (type_of(ev) == "new_message")
      messages.push_back(str(payload_of(ev).at("message")));
    else
      BOOST_FAIL("unexpected " << json::serialize(ev));
  }
  BOOST_TEST(messages == (std::vector<std::string>{"no ref", "ref x"}),
             boost::test_tools::per_element());
  BOOST_TEST_REQUIRE(acks.size() == 1u);
  BOOST_TEST(str(acks[0].at("ref")) == "x");
  // The ack went to the sender only.
  next_message(bob, "no ref");
  next_message(bob, "ref x");
  marker(bob, "bob marker");
}

BOOST_AUTO_TEST_CASE(ack_names_the_current_room) {
  auto alice = join("alice");
  alice.send(move_to("lobby"));
  alice.expect("room_changed");
  alice.send(say_ref("in lobby", "l-1"));
  auto ack = alice.expect("ack");
  BOOST_TEST(str(ack.at("ref")) == "l-1");
  BOOST_TEST(str(payload_of(ack).at("room")) == "lobby");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(history, server_fixture)

BOOST_AUTO_TEST_CASE(history_returns_the_last_messages_oldest_first) {
  auto alice = join("alice");
  std::vector<json::value> ids;
  for (auto text : {"m1", "m2", "m3"}) {
    alice.send(say(text));
    ids.push_back(payload_of(next_message(alice, text)).at("id"));
  }
  alice.send(R"({"type":"history","payload":{"limit":2}})");
  auto h = payload_of(alice.expect("history"));
  BOOST_TEST(str(h.at("room")) == "general");
  auto msgs = h.at("messages").as_array();
  BOOST_TEST_REQUIRE(msgs.size() == 2u);
  BOOST_TEST(str(msgs[0].at("message")) == "m2");
  BOOST_TEST(str(msgs[1].at("message")) == "m3");
  BOOST_TEST(msgs[0].at("id") == ids[1]);
  BOOST_TEST(msgs[1].at("id") == ids[2]);
  BOOST_TEST(str(msgs[1].at("from")) == "alice");
  BOOST_TEST(str(msgs[1].at("room")) == "general");
  BOOST_TEST(msgs[1].as_object().contains("sent"));

  // default limit: everything there is
  alice.send(R"({"type":"history"})");
  msgs = payload_of(alice.expect("history")).at("messages").as_array();
  BOOST_TEST_REQUIRE(msgs.size() == 3u);
  BOOST_TEST(str(msgs[0].at("message")) == "m1");
}

BOOST_AUTO_TEST_CASE(history_before_an_id) {
  auto alice = join("alice");
  std::vector<std::int64_t> ids;
  for (auto text : {"m1", "m2", "m3"}) {
    alice.send(say(text));
    ids.push_back(
        payload_of(next_message(alice, text)).at("id").to_number<std::int64_t>());
  }
  alice.send_json(
      json::object{{"type", "history"}, {"payload", {{"before", ids[2]}, {"limit", 1}}}});
  auto msgs = payload_of(alice.expect("history")).at("messages").as_array();
  BOOST_TEST_REQUIRE(msgs.size() == 1u);
  BOOST_TEST(str(msgs[0].at("message")) == "m2");

  alice.send_json(json::object{{"type", "history"}, {"payload", {{"before", ids[2]}}}});
  msgs = payload_of(alice.expect("history")).at("messages").as_array();
  BOOST_TEST_REQUIRE(msgs.size() == 2u);
  BOOST_TEST(str(msgs[0].at("message")) == "m1");
  BOOST_TEST(str(msgs[1].at("message")) == "m2");

  alice.send_json(json::object{{"type", "history"}, {"payload", {{"before", ids[0]}}}});
  BOOST_TEST(payload_of(alice.expect("history")).at("messages").as_array().empty());
}

BOOST_AUTO_TEST_CASE(history_of_another_room) {
  auto alice = join("alice");
  auto bob = join("bob");
  alice.send(say("in general"));
  alice.expect("new_message");
  bob.send(move_to("lobby"));
  bob.expect("room_changed");
  bob.send(R"({"type":"history","payload":{"room":"general"}})");
  auto h = payload_of(bob.expect("history"));
  BOOST_TEST(str(h.at("room")) == "general");
  auto msgs = h.at("messages").as_array();
  BOOST_TEST_REQUIRE(msgs.size() == 1u);
  BOOST_TEST(str(msgs[0].at("message")) == "in general");
  // and lobby's own history is empty
  bob.send(R"({"type":"history"})");
  h = payload_of(bob.expect("history"));
  BOOST_TEST(str(h.at("room")) == "lobby");
  BOOST_TEST(h.at("messages").as_array().empty());
}

BOOST_AUTO_TEST_CASE(history_limit_out_of_range_is_invalid_payload) {
  auto alice = join("alice");
  for (auto frame : {R"({"type":"history","payload":{"limit":0}})",
                     R"({"type":"history","payload":{"limit":201}})",
                     R"({"type":"history","payload":{"before":-1}})"}) {
    BOOST_TEST_CONTEXT(frame) {
      alice.send(frame);
      auto err = next_news(alice);
      BOOST_TEST_REQUIRE(type_of(err) == "error", "got " << json::serialize(err));
      BOOST_TEST(str(payload_of(err).at("code")) == "invalid_payload");
    }
  }
  alice.send(R"({"type":"history","payload":{"limit":200}})");
  BOOST_TEST(type_of(next_news(alice)) == "history");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(max_rooms, two_rooms_fixture)

BOOST_AUTO_TEST_CASE(third_room_is_refused_while_both_are_occupied) {
  auto alice = join("alice");
  auto bob = join("bob");
  alice.send(move_to("r1"));
  alice.expect("room_changed");
  next_presence_event(bob, "left", "general", "alice");
  bob.send(move_to("r2", "mv-1"));
  auto err = next_news(bob);
  BOOST_TEST_REQUIRE(type_of(err) == "error", "got " << json::serialize(err));
  BOOST_TEST(str(payload_of(err).at("code")) == "invalid_payload");
  auto why = str(payload_of(err).at("message"));
  BOOST_TEST(why.find("room") != std::string::npos, why);
  BOOST_TEST(str(err.at("ref")) == "mv-1");
  // bob is still in general and still works there
  marker(bob, "bob still in general");
  BOOST_TEST(list_users(bob) == names({"bob"}));
  // joining an existing room is still fine
  bob.send(move_to("r1"));
  BOOST_TEST(payload_of(bob.expect("room_changed")).at("users").as_array() ==
             names({"alice", "bob"}));
}

BOOST_AUTO_TEST_CASE(general_is_never_released_so_newcomers_always_get_in) {
  auto alice = join("alice");
  auto bob = join("bob");
  alice.send(move_to("r1"));
  alice.expect("room_changed");
  bob.send(move_to("r1"));
  bob.expect("room_changed");
  // general is empty now, but it is not given up for a new room...
  bob.send(move_to("r2"));
  BOOST_TEST(str(payload_of(bob.expect("error")).at("code")) == "invalid_payload");
  // ...so a new connection still finds it.
  auto carol = join("carol");
  carol.send(say("made it"));
  next_message(carol, "made it");
}

BOOST_AUTO_TEST_CASE(a_room_emptied_by_change_room_is_released) {
  auto alice = join("alice");
  auto bob = join("bob");
  alice.send(move_to("r1"));
  alice.expect("room_changed");
  bob.send(move_to("r2"));
  BOOST_TEST(str(payload_of(bob.expect("error")).at("code")) == "invalid_payload");
  // alice goes back: r1 is empty now and may be released for r2
  alice.send(move_to("general"));
  alice.expect("room_changed");
  bob.send(move_to("r2"));
  auto rc = payload_of(bob.expect("room_changed"));
  BOOST_TEST(str(rc.at("name")) == "r2");
  BOOST_TEST(rc.at("users").as_array() == names({"bob"}));
  bob.send(say("in r2"));
  BOOST_TEST(str(payload_of(next_message(bob, "in r2")).at("room")) == "r2");
}

BOOST_AUTO_TEST_CASE(a_room_emptied_by_a_disconnect_is_released) {
  auto alice = join("alice");
  auto bob = join("bob");
  alice.send(move_to("r1"));
  alice.expect("room_changed");
  bob.send(move_to("r2"));
  BOOST_TEST(str(payload_of(bob.expect("error")).at("code")) == "invalid_payload");
  alice.close();
  // Await the room letting alice go (bounded, one round trip at a time).
  bool empty = false;
  for (int round = 0; round < 500 && !empty; ++round)
    empty = list_users(bob, "r1").empty();
  BOOST_TEST_REQUIRE(empty);
  bob.send(move_to("r2"));
  auto rc = next_news(bob);
  BOOST_TEST_REQUIRE(type_of(rc) == "room_changed", "got " << json::serialize(rc));
  BOOST_TEST(str(payload_of(rc).at("name")) == "r2");
}

BOOST_AUTO_TEST_SUITE_END()
