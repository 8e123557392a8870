// Every announced message type survives CAF's binary serialization inside a
// caf::message, the way it crosses nodes, and no announced type lacks a sample here.
#define CAF_SUITE serialization
#include "messages/actor_errors.hpp"
#include "tests/actors/fixture.hpp"

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <map>

using namespace chat;
using namespace chat::test;

CAF_TEST_FIXTURE_SCOPE(serialization_tests, actor_fixture)

CAF_TEST(every_announced_type_round_trips) {
  auto alice = connect("alice");
  auto room = room_named("general");
  auto conn = alice.actor;
  chat_message m{7, "general", "héllo \"there\"", "alice", "2026-12-02T00:00:00.000001Z"};
  std::map<std::string, caf::message> samples{
      {"chat::frame", caf::make_message(frame{R"({"type":"x"})"})},
      {"chat::chat_message", caf::make_message(m)},
      {"chat::connection_actor", caf::make_message(conn)},
      {"chat::client_upgraded", caf::make_message(client_upgraded{})},
      {"chat::client_text", caf::make_message(client_text{"{}"})},
      {"chat::client_binary", caf::make_message(client_binary{})},
      {"chat::client_pong", caf::make_message(client_pong{})},
      {"chat::client_closed", caf::make_message(client_closed{})},
      {"chat::ping_client", caf::make_message(ping_client{})},
      {"chat::drop_client", caf::make_message(drop_client{})},
      {"chat::shutdown_client", caf::make_message(shutdown_client{})},
      {"chat::room_actor", caf::make_message(room)},
      {"chat::join_room", caf::make_message(join_room{conn, "alice"})},
      {"chat::joined", caf::make_message(joined{"general", room, {"alice", "bob"}})},
      {"chat::leave_room", caf::make_message(leave_room{conn})},
      {"chat::publish", caf::make_message(publish{"alice", "hi", 42})},
      {"chat::rename_member", caf::make_message(rename_member{conn, "al"})},
      {"chat::list_members", caf::make_message(list_members{})},
      {"chat::read_history", caf::make_message(read_history{10, 5})},
      {"chat::router_actor", caf::make_message(router)},
      {"chat::join_request",
       caf::make_message(join_request{"lobby", "alice", conn, room})},
      {"chat::find_room", caf::make_message(find_room{"lobby", true})},
      {"chat::member_left", caf::make_message(member_left{"lobby"})},
      {"chat::count_rooms", caf::make_message(count_rooms{})},
      {"chat::manager_actor", caf::make_message(manager)},
      {"chat::register_client", caf::make_message(register_client{conn, "alice"})},
      {"chat::client_renamed", caf::make_message(client_renamed{conn, "al"})},
      {"chat::client_alive", caf::make_message(client_alive{conn})},
      {"chat::direct_message", caf::make_message(direct_message{"a", "b", "psst"})},
      {"chat::server_stats", caf::make_message(server_stats{})},
      {"chat::stats_reply", caf::make_message(stats_reply{12, true})},
      {"chat::shutdown_server", caf::make_message(shutdown_server{})},
      {"chat::ping_tick", caf::make_message(ping_tick{})},
      {"chat::pong_deadline", caf::make_message(pong_deadline{3})},
      {"std::vector<chat::chat_message>",
       caf::make_message(std::vector<chat_message>{m, m})},
  };
  // Every type announce_message_types() announced has a sample. CAF adds stream<T> and
  // std::vector<T> for each T (the vector of chat messages is a reply, so it has one).
  std::size_t ours = 0;
  for (const auto& [rtti, name] : cfg.type_names_by_rtti) {
    if (name.rfind("chat::", 0) != 0 && name != "std::vector<chat::chat_message>")
      continue;
    ++ours;
    if (samples.count(name) == 0)
      CAF_FAIL("no sample of " << name);
  }
  CAF_CHECK_EQUAL(ours, samples.size());
  for (auto& [name, original] : samples) {
    CAF_MESSAGE("round trip of " << name);
    std::vector<char> buf;
    caf::binary_serializer sink{sys, buf};
    if (auto err = sink(original))
      CAF_FAIL(name << ": " << sys.render(err));
    caf::message copy;
    caf::binary_deserializer source{sys, buf};
    if (auto err = source(copy))
      CAF_FAIL(name << ": " << sys.render(err));
    CAF_CHECK_EQUAL(sys.types().portable_name(copy.type(0)), name);
    CAF_CHECK_EQUAL(to_string(copy), to_string(original)); // every field, by inspect()
  }
}

CAF_TEST(a_deserialized_frame_has_its_own_buffer_and_a_local_copy_shares_one) {
  frame f{"payload"};
  auto local = f;
  CAF_CHECK(local.shares_buffer_with(f));
  auto copy = roundtrip(f);
  CAF_CHECK_EQUAL(copy.text(), f.text());
  CAF_CHECK(!copy.shares_buffer_with(f));
}

CAF_TEST(chat_errors_render_by_name) {
  CAF_CHECK_EQUAL(sys.render(make_error(chat_errc::too_many_rooms)),
                  "chat: too_many_rooms");
}

CAF_TEST_FIXTURE_SCOPE_END()
