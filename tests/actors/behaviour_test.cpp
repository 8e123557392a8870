// The manager, router, room and connection actors without sockets: CAF's test
// coordinator and fake links, so that every ordering here is deterministic.
#define CAF_SUITE behaviour
#include "messages/actor_errors.hpp"
#include "tests/actors/fixture.hpp"

using namespace chat;
using namespace chat::test;

namespace {

std::string chat_frame(const std::string& text, const std::string& from = {},
                       const std::string& ref = {}) {
  boost::json::object p{{"message", text}};
  if (!from.empty())
    p["from"] = from;
  boost::json::object o{{"type", "send_message"}, {"payload", p}};
  if (!ref.empty())
    o["ref"] = ref;
  return boost::json::serialize(o);
}

std::string change_room_frame(const std::string& room) {
  return R"({"type":"change_room","payload":{"name":")" + room + "\"}}";
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(behaviour_tests, actor_fixture)

CAF_TEST(a_joiner_is_welcomed_and_announced_to_the_members_only) {
  auto alice = connect("alice");
  auto bob = connect("bob");
  auto joined = alice.next_change();
  CAF_CHECK_EQUAL(joined.kind, "joined");
  CAF_CHECK_EQUAL(joined.user, "bob");
  CAF_CHECK(bob.nothing_new()); // bob hears its welcome, and of itself nothing new
  CAF_CHECK_EQUAL(connections(), 2u);
}

CAF_TEST(a_message_goes_from_the_connection_straight_to_its_room_and_on_to_the_members) {
  auto alice = connect("alice");
  auto bob = connect("bob");
  alice.next_change(); // bob joined
  auto room = room_named("general");
  alice.events->on_text(chat_frame("hi"));
  expect((client_text), to(alice.actor));
  // Not through the router: the connection holds its room's handle.
  expect((publish), to(room));
  // And not through the members' connection actors: the room put the frame into their
  // feeds, so their links have it before any other actor ran.
  for (auto* c : {&alice, &bob}) {
    CAF_REQUIRE(!c->link->frames.empty());
    CAF_CHECK(c->link->frames.back().find("new_message") != std::string::npos);
  }
  CAF_CHECK(sched.jobs.empty());
  sched.run();
  for (auto* c : {&alice, &bob}) {
    auto m = c->next();
    CAF_CHECK_EQUAL(type_of(m), "new_message");
    CAF_CHECK_EQUAL(str(m.at("payload").at("message")), "hi");
    CAF_CHECK_EQUAL(m.at("payload").at("id").to_number<int>(), 1);
  }
}

CAF_TEST(ids_follow_the_order_of_sending_and_acks_carry_them) {
  auto alice = connect("alice");
  auto bob = connect("bob");
  alice.next();
  say(alice, chat_frame("one"));
  say(alice, chat_frame("two", {}, "r2"));
  say(alice, chat_frame("three"));
  for (int id = 1; id <= 3; ++id)
    CAF_CHECK_EQUAL(bob.next().at("payload").at("id").to_number<int>(), id);
  CAF_CHECK_EQUAL(alice.next_type(), "new_message");
  CAF_CHECK_EQUAL(alice.next_type(), "new_message");
  auto ack = alice.next(); // right after its own message, before the next one
  CAF_CHECK_EQUAL(type_of(ack), "ack");
  CAF_CHECK_EQUAL(str(ack.at("ref")), "r2");
  CAF_CHECK_EQUAL(ack.at("payload").at("id").to_number<int>(), 2);
  CAF_CHECK_EQUAL(alice.next_type(), "new_message");
}

CAF_TEST(change_room_leaves_first_then_joins) {
  auto alice = connect("alice");
  auto bob = connect("bob");
  alice.next_change();
  say(alice, change_room_frame("lobby"));
  auto left = bob.next_change();
  CAF_CHECK_EQUAL(left.kind, "left");
  CAF_CHECK_EQUAL(left.user, "alice");
  auto changed = alice.next();
  CAF_CHECK_EQUAL(type_of(changed), "room_changed");
  CAF_CHECK_EQUAL(str(changed.at("payload").at("name")), "lobby");
  CAF_CHECK_EQUAL(changed.at("payload").at("users").as_array().size(), 1u);
  // general no longer reaches alice; lobby does.
  say(bob, chat_frame("in general"));
  CAF_CHECK_EQUAL(bob.next_type(), "new_message");
  CAF_CHECK(alice.nothing_new());
  auto carol = connect("carol");
  say(carol, change_room_frame("lobby"));
  auto joined = alice.next_change();
  CAF_CHECK_EQUAL(joined.kind, "joined");
  CAF_CHECK_EQUAL(joined.user, "carol");
}

CAF_TEST(no_frame_of_the_old_room_follows_room_changed) {
  auto alice = connect("alice");
  auto bob = connect("bob");
  alice.next_change(); // bob joined
  auto general = room_named("general");
  // alice asks to move; before general hears of her leave, bob's message is broadcast
  // there (the soak, bench/soak, found such frames after room_changed when they went
  // through the connection's mailbox: thousands of them under room churn).
  alice.events->on_text(change_room_frame("lobby"));
  bob.events->on_text(chat_frame("late"));
  expect((client_text), to(alice.actor));
  expect((client_text), to(bob.actor));
  expect((publish), to(general));
  sched.run();
  // She was still a member when it was sent: it comes, but before room_changed.
  CAF_CHECK_EQUAL(alice.next_type(), "new_message");
  CAF_CHECK_EQUAL(alice.next_type(), "room_changed");
  CAF_CHECK(alice.nothing_new()); // nothing of general after it
  CAF_CHECK_EQUAL(bob.next_type(), "new_message");
  CAF_CHECK_EQUAL(bob.next_change().kind, "left");
  // Her new room reaches her, and so do direct messages.
  say(bob, R"({"type":"send_direct","payload":{"to":"alice","message":"psst"}})");
  CAF_CHECK_EQUAL(alice.next_type(), "direct_message");
  auto carol = connect("carol");
  say(carol, change_room_frame("lobby"));
  CAF_CHECK_EQUAL(alice.next_change().kind, "joined");
  say(carol, chat_frame("in lobby"));
  CAF_CHECK_EQUAL(alice.next_type(), "new_message");
}

CAF_TEST(a_frame_sent_while_the_joiner_is_told_it_joined_follows_room_changed) {
  auto alice = connect("alice");
  auto carol = connect("carol");
  say(carol, change_room_frame("lobby"));
  auto lobby = room_named("lobby");
  auto general = room_named("general");
  while (!alice.link->frames.empty())
    alice.link->frames.pop_front();
  // lobby adds alice and answers; carol's message is broadcast before alice's
  // connection reads that answer: her feed holds it until room_changed went out.
  alice.events->on_text(change_room_frame("lobby"));
  expect((client_text), to(alice.actor));
  expect((join_request), to(router));
  expect((leave_room), to(general));
  expect((members_changed), to(router));
  expect((bool), to(router));
  expect((join_room), to(lobby));
  expect((flush_presence), to(lobby)); // tells carol (and alice) that alice joined
  carol.events->on_text(chat_frame("early"));
  expect((client_text), to(carol.actor));
  expect((publish), to(lobby));
  CAF_CHECK(alice.link->frames.empty()); // held in her feed
  sched.run();
  CAF_CHECK_EQUAL(alice.next_type(), "room_changed");
  auto m = alice.next();
  CAF_CHECK_EQUAL(type_of(m), "new_message");
  CAF_CHECK_EQUAL(str(m.at("payload").at("message")), "early");
  // Open now: the next one reaches her link at once.
  carol.events->on_text(chat_frame("later"));
  expect((client_text), to(carol.actor));
  expect((publish), to(lobby));
  CAF_CHECK(!alice.link->frames.empty());
}

CAF_TEST(a_rename_is_announced_before_the_message_it_came_with) {
  auto alice = connect("alice");
  auto bob = connect("bob");
  alice.next_change();
  say(bob, chat_frame("hello", "robert"));
  // One presence_diff: bob left, robert joined; then the message.
  auto diff = alice.next();
  CAF_CHECK_EQUAL(type_of(diff), "presence_diff");
  CAF_CHECK_EQUAL(boost::json::serialize(diff.at("payload")),
                  R"({"room":"general","joins":["robert"],"leaves":["bob"]})");
  alice.presence.changes().clear();
  auto m = alice.next();
  CAF_CHECK_EQUAL(str(m.at("payload").at("from")), "robert");
  // bob hears the same, in the same order.
  CAF_CHECK_EQUAL(bob.next_type(), "presence_diff");
  CAF_CHECK_EQUAL(bob.next_type(), "new_message");
  // The manager knows the new name too: a direct message finds it.
  say(alice, R"({"type":"send_direct","payload":{"to":"robert","message":"psst"}})");
  CAF_CHECK_EQUAL(bob.next_type(), "direct_message");
}

CAF_TEST(a_direct_message_to_nobody_is_no_such_user) {
  auto alice = connect("alice");
  say(alice,
      R"({"type":"send_direct","payload":{"to":"ghost","message":"hi"},"ref":"d"})");
  auto err = alice.next();
  CAF_CHECK_EQUAL(type_of(err), "error");
  CAF_CHECK_EQUAL(str(err.at("payload").at("code")), "no_such_user");
  CAF_CHECK_EQUAL(str(err.at("ref")), "d");
  auto answer = ask<std::size_t>(manager, direct_message{"alice", "ghost", "hi"});
  CAF_CHECK(answer.error() == chat_errc::no_such_user);
}

CAF_TEST(at_max_rooms_an_empty_room_is_released_and_occupied_ones_are_not) {
  // max-rooms 3: general, lobby and one more.
  auto alice = connect("alice");
  auto bob = connect("bob");
  alice.next();
  say(alice, change_room_frame("lobby"));
  say(alice, change_room_frame("general")); // lobby is empty again
  say(bob, change_room_frame("games"));     // the third room: no release needed
  CAF_CHECK_EQUAL(rooms(), 3u);
  while (!alice.link->frames.empty())
    alice.next();
  say(alice, change_room_frame("music")); // a fourth: lobby is released for it
  CAF_CHECK_EQUAL(alice.next_type(), "room_changed");
  CAF_CHECK_EQUAL(rooms(), 3u);
  auto lobby = ask<room_actor>(router, find_room{"lobby", false});
  CAF_CHECK(lobby.error() == chat_errc::no_such_room);
  // general (alice left it, bob left it) may not go; games and music are occupied.
  auto carol = connect("carol");
  say(carol, change_room_frame("art"));
  auto err = carol.next();
  CAF_CHECK_EQUAL(type_of(err), "error");
  CAF_CHECK_EQUAL(str(err.at("payload").at("code")), "invalid_payload");
  auto refused = ask<room_actor>(router, find_room{"art", true});
  CAF_CHECK(refused.error() == chat_errc::too_many_rooms);
}

// Pings and pong-timeout are the transport's (net/ws_session, tested with real sockets
// in rooms_test and lifecycle_test): it cuts a silent client and reports the close.
CAF_TEST(a_client_its_transport_lost_leaves_its_room_and_the_client_set) {
  auto alice = connect("alice");
  auto bob = connect("bob");
  alice.next_change();
  bob.events->on_closed();
  sched.run();
  auto left = alice.next_change();
  CAF_CHECK_EQUAL(left.kind, "left");
  CAF_CHECK_EQUAL(left.user, "bob");
  CAF_CHECK_EQUAL(connections(), 1u);
  CAF_CHECK(alice.nothing_new());
}

CAF_TEST(admission_stops_at_max_connections) {
  std::vector<client> clients;
  for (int i = 0; i < 4; ++i)
    clients.push_back(connect("c" + std::to_string(i)));
  auto fifth = open("c4");
  CAF_CHECK(!fifth.link->accepted);
  CAF_CHECK_EQUAL(fifth.link->rejected, 503u);
  auto bad_name = open(std::string(33, 'x'));
  CAF_CHECK_EQUAL(bad_name.link->rejected, 400u);
}

CAF_TEST(shutdown_closes_every_client_with_1001_then_answers) {
  auto alice = connect("alice");
  auto bob = connect("bob");
  auto answer = self->request(manager, caf::infinite, shutdown_server{});
  // The manager answers only once every connection actor has ended.
  expect((shutdown_server), to(manager));
  CAF_CHECK_EQUAL(alice.link->closed_with, std::optional<std::uint16_t>{});
  sched.run();
  CAF_CHECK_EQUAL(alice.link->closed_with, std::optional<std::uint16_t>{1001});
  CAF_CHECK_EQUAL(bob.link->closed_with, std::optional<std::uint16_t>{1001});
  bool done = false;
  answer.receive([&](bool x) { done = x; }, [](caf::error&) {});
  CAF_CHECK(done);
  CAF_CHECK_EQUAL(connections(), 0u);
  // Nobody is admitted any more.
  auto late = open("late");
  CAF_CHECK_EQUAL(late.link->rejected, 503u);
}

CAF_TEST_FIXTURE_SCOPE_END()
