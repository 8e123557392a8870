// Every announced message type survives CAF's binary serialization inside a
// caf::message, the way it crosses nodes, and no announced type lacks a sample here.
#define CAF_SUITE serialization
#include "actors/cluster.hpp"
#include "messages/actor_errors.hpp"
#include "tests/actors/fixture.hpp"

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <map>
#include <set>

using namespace chat;
using namespace chat::test;

CAF_TEST_FIXTURE_SCOPE(serialization_tests, actor_fixture)

CAF_TEST(every_announced_type_round_trips) {
  auto alice = connect("alice");
  auto room = room_named("general");
  auto conn = alice.actor;
  chat_message m{7, "general", "héllo \"there\"", "alice", "2026-12-02T00:00:00.000001Z"};
  // A cluster actor that is never wired does nothing but exist.
  auto cluster =
      spawn_cluster(sys, cluster_settings{"a", {}, {}, ctx->limits, ctx->counters});
  room_snapshot snapshot{"b", true, true, 12, {{"bob", 1}}, room, {m}};
  peer_info info{"b", "127.0.0.1:4001", "up"};
  std::map<std::string, caf::message> samples{
      {"chat::frame", caf::make_message(frame{R"({"type":"x"})"})},
      {"chat::chat_message", caf::make_message(m)},
      {"chat::connection_actor", caf::make_message(conn)},
      {"chat::client_upgraded", caf::make_message(client_upgraded{})},
      {"chat::client_text", caf::make_message(client_text{"{}"})},
      {"chat::client_binary", caf::make_message(client_binary{})},
      {"chat::client_closed", caf::make_message(client_closed{})},
      {"chat::shutdown_client", caf::make_message(shutdown_client{})},
      {"chat::token_expiry", caf::make_message(token_expiry{3})},
      {"chat::room_actor", caf::make_message(room)},
      {"chat::join_room", caf::make_message(join_room{conn, "alice", {true, 41}, {}})},
      {"chat::joined",
       caf::make_message(joined{"general", room, {"alice", "bob"}, {m}, 3, true})},
      {"chat::catch_up", caf::make_message(catch_up{true, 7})},
      {"chat::leave_room", caf::make_message(leave_room{conn})},
      {"chat::publish", caf::make_message(publish{"alice", "hi", 42, "node-b"})},
      {"chat::rename_member", caf::make_message(rename_member{conn, "al"})},
      {"chat::list_members", caf::make_message(list_members{})},
      {"chat::read_history", caf::make_message(read_history{10, 5})},
      {"chat::router_actor", caf::make_message(router)},
      {"chat::join_request",
       caf::make_message(join_request{"lobby", "alice", conn, room, {false, 0}, {}})},
      {"chat::find_room", caf::make_message(find_room{"lobby", true})},
      {"chat::members_changed", caf::make_message(members_changed{"lobby", -1})},
      {"chat::count_rooms", caf::make_message(count_rooms{})},
      {"chat::manager_actor", caf::make_message(manager)},
      {"chat::register_client", caf::make_message(register_client{conn, "alice"})},
      {"chat::client_renamed", caf::make_message(client_renamed{conn, "al"})},
      {"chat::direct_message", caf::make_message(direct_message{"a", "b", "psst"})},
      {"chat::direct_frame", caf::make_message(direct_frame{"b", frame{"{}"}})},
      {"chat::server_stats", caf::make_message(server_stats{})},
      {"chat::stats_reply", caf::make_message(stats_reply{12, true})},
      {"chat::shutdown_server", caf::make_message(shutdown_server{})},
      {"std::vector<chat::chat_message>",
       caf::make_message(std::vector<chat_message>{m, m})},
      // between the copies of a room on different nodes
      {"chat::user_count", caf::make_message(user_count{"alice", 2})},
      {"chat::subscribe_replica",
       caf::make_message(subscribe_replica{"node-b", room, {{"alice", 2}}, 17})},
      {"chat::unsubscribe_replica", caf::make_message(unsubscribe_replica{"node-b"})},
      {"chat::presence_change", caf::make_message(presence_change{"node-b", "al", -1})},
      {"chat::replicated_frame",
       caf::make_message(replicated_frame{frame{"{}"}, m, m.id, {"ann", "bo"}, {"cy"}})},
      {"chat::sync_room", caf::make_message(sync_room{"node-c"})},
      {"chat::room_snapshot", caf::make_message(snapshot)},
      {"std::vector<chat::room_snapshot>",
       caf::make_message(std::vector<room_snapshot>{snapshot})},
      {"chat::cluster_view", caf::make_message(cluster_view{4, {"a", "b"}})},
      {"chat::follow_home", caf::make_message(follow_home{})},
      {"chat::flush_presence", caf::make_message(flush_presence{})},
      // between nodes' cluster actors, and from this node's actors to its own
      {"chat::cluster_actor", caf::make_message(cluster)},
      {"chat::node_hello", caf::make_message(node_hello{"b", "127.0.0.1:4001", cluster})},
      {"chat::node_welcome",
       caf::make_message(node_welcome{"a", "127.0.0.1:4000", {"127.0.0.1:4002"}})},
      {"chat::peer_gossip", caf::make_message(peer_gossip{{"127.0.0.1:4002"}})},
      {"chat::node_leaving", caf::make_message(node_leaving{"b"})},
      {"chat::open_room", caf::make_message(open_room{"lobby"})},
      {"chat::sync_request", caf::make_message(sync_request{"lobby", "a"})},
      {"chat::remote_direct", caf::make_message(remote_direct{"bob", frame{"{}"}})},
      {"chat::get_view", caf::make_message(get_view{})},
      {"chat::room_at", caf::make_message(room_at{"b", "lobby"})},
      {"chat::sync_all", caf::make_message(sync_all{"lobby"})},
      {"chat::deliver_direct", caf::make_message(deliver_direct{"bob", frame{"{}"}})},
      {"chat::cluster_status", caf::make_message(cluster_status{})},
      {"chat::peer_info", caf::make_message(info)},
      {"std::vector<chat::peer_info>", caf::make_message(std::vector<peer_info>{info})},
      {"chat::leave_cluster", caf::make_message(leave_cluster{})},
      {"chat::connect_peer", caf::make_message(connect_peer{"127.0.0.1:4003"})},
      {"chat::gossip_tick", caf::make_message(gossip_tick{})},
      {"chat::cluster_wiring",
       caf::make_message(cluster_wiring{router, manager, "127.0.0.1:4000"})},
      {"chat::amqp_actor", caf::make_message(amqp_actor{})},
      {"chat::amqp_publish",
       caf::make_message(amqp_publish{"room.general", R"({"id":7})"})},
      {"chat::amqp_wiring", caf::make_message(amqp_wiring{router})},
  };
  // Every type announce_message_types() announced has a sample. CAF adds stream<T> and
  // std::vector<T> for each T; the vectors that are replies on their own have one too.
  const std::set<std::string> replies{"std::vector<chat::chat_message>",
                                      "std::vector<chat::room_snapshot>",
                                      "std::vector<chat::peer_info>"};
  std::size_t ours = 0;
  for (const auto& [rtti, name] : cfg.type_names_by_rtti) {
    if (name.rfind("chat::", 0) != 0 && replies.count(name) == 0)
      continue;
    ++ours;
    if (samples.count(name) == 0)
      CAF_FAIL("no sample of " << name);
  }
  CAF_CHECK_EQUAL(ours, samples.size());
  caf::anon_send_exit(cluster, caf::exit_reason::user_shutdown);
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
