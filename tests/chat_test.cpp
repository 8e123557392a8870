// The chat itself, against a real chatd on an ephemeral loopback port.
#define BOOST_TEST_MODULE chat
#include "tests/support/events.hpp"

#include <boost/test/unit_test.hpp>
#include <regex>
#include <unistd.h>

using namespace chat::test;
namespace json = boost::json;

namespace {

struct server_fixture {
  server_process server;
  ws_client join(const std::string& name) { return chat::test::join(server, name); }
};

std::string text_of(const json::object& ev) {
  return std::string(ev.at("payload").at("message").as_string());
}

std::string host_name() {
  char name[256] = {};
  gethostname(name, sizeof name - 1);
  return name;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(chat, server_fixture)

BOOST_AUTO_TEST_CASE(welcome_names_user_room_and_node) {
  ws_client c{server.port(), "/ws"};
  auto w = c.expect("welcome").at("payload").as_object();
  BOOST_TEST(std::regex_match(std::string(w.at("user").as_string()),
                              std::regex{"guest-[0-9a-z]{4,}"}));
  BOOST_TEST(w.at("room").as_string() == "general");
  // The default name is the machine's host name and the HTTP port: distinct per node.
  BOOST_TEST(w.at("node").as_string() ==
             host_name() + ":" + std::to_string(server.port()));
}

BOOST_AUTO_TEST_CASE(seed_message_gets_seed_fields_back) {
  auto c = join("percy");
  c.send(R"({"type":"send_message","payload":{"message":"sdfsdf","from":"percy"}})");
  auto p = c.expect("new_message").at("payload").as_object();
  BOOST_TEST(p.at("message").as_string() == "sdfsdf");
  BOOST_TEST(p.at("from").as_string() == "percy");
  BOOST_TEST(std::regex_match(std::string(p.at("sent").as_string()),
                              std::regex{R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)"}));
  BOOST_TEST(p.at("room").as_string() == "general");
  BOOST_TEST(p.at("id").to_number<int>() >= 1);
}

BOOST_AUTO_TEST_CASE(broadcast_reaches_every_client_including_the_sender) {
  auto a = join("alice");
  auto b = join("bob");
  auto c = join("carol");
  b.send(say("hello all", "bob"));
  for (auto* x : {&a, &b, &c}) {
    auto ev = x->expect("new_message");
    BOOST_TEST(text_of(ev) == "hello all");
    BOOST_TEST(ev.at("payload").at("from").as_string() == "bob");
  }
  // ids increase per room
  a.send(say("second", "alice"));
  auto first = b.expect("new_message");
  BOOST_TEST(text_of(first) == "second");
}

BOOST_AUTO_TEST_CASE(ids_increase_within_a_room) {
  auto a = join("alice");
  a.send(say("one", "alice"));
  a.send(say("two", "alice"));
  auto one = a.expect("new_message").at("payload").at("id").to_number<long>();
  auto two = a.expect("new_message").at("payload").at("id").to_number<long>();
  BOOST_TEST(two > one);
}

BOOST_AUTO_TEST_CASE(change_room_isolates_rooms) {
  auto a = join("alice");
  auto b = join("bob");
  b.send(R"({"type":"change_room","payload":{"name":"lobby"}})");
  auto rc = b.expect("room_changed").at("payload").as_object();
  BOOST_TEST(rc.at("name").as_string() == "lobby");
  BOOST_TEST(rc.at("users").as_array() == json::array{"bob"});
  // alice's message stays in general: once alice has it back, bob's room has moved on.
  a.send(say("only general", "alice"));
  BOOST_TEST(text_of(a.expect("new_message")) == "only general");
  b.send(say("only lobby", "bob"));
  auto ev = b.expect("new_message");
  BOOST_TEST(text_of(ev) == "only lobby");
  BOOST_TEST(ev.at("payload").at("room").as_string() == "lobby");
  // and bob's lobby message never reached alice: her next message is her own.
  a.send(say("general again", "alice"));
  BOOST_TEST(text_of(a.expect("new_message")) == "general again");
  // bob comes back and hears general again.
  b.send(R"({"type":"change_room","payload":{"name":"general"}})");
  BOOST_TEST(b.expect("room_changed").at("payload").at("users").as_array().size() == 2u);
  a.send(say("welcome back", "alice"));
  BOOST_TEST(text_of(b.expect("new_message")) == "welcome back");
}

BOOST_AUTO_TEST_CASE(each_error_leaves_the_connection_usable) {
  auto a = join("alice");
  struct bad_case {
    std::string frame;
    std::string code;
  };
  std::vector<bad_case> cases{
      {"this is not json", "bad_json"},
      {"[1,2,3]", "bad_json"},
      {R"({"payload":{}})", "bad_json"},
      {R"({"type":"fly_away"})", "unknown_type"},
      {R"({"type":"send_message","payload":{"message":""}})", "invalid_payload"},
      {R"({"type":"send_message","payload":{"message":42}})", "invalid_payload"},
      {R"({"type":"change_room","payload":{"name":"no spaces allowed"}})",
       "invalid_payload"},
  };
  int n = 0;
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.frame) {
      a.send(c.frame);
      auto err = a.expect("error").at("payload").as_object();
      BOOST_TEST(err.at("code").as_string() == c.code);
      BOOST_TEST(!err.at("message").as_string().empty());
      auto text = "still here " + std::to_string(++n);
      a.send(say(text, "alice"));
      BOOST_TEST(text_of(a.expect("new_message")) == text);
    }
  }
  a.send_binary("\x01\x02\x03");
  BOOST_TEST(a.expect("error").at("payload").at("code").as_string() ==
             "unsupported_frame");
  a.send(say("after binary", "alice"));
  BOOST_TEST(text_of(a.expect("new_message")) == "after binary");
}

BOOST_AUTO_TEST_CASE(error_echoes_ref) {
  auto a = join("alice");
  a.send(R"({"type":"send_message","ref":"m-1","payload":{}})");
  auto err = a.expect("error");
  BOOST_TEST(err.at("ref").as_string() == "m-1");
}

BOOST_AUTO_TEST_CASE(oversized_frame_closes_only_that_client_with_1009) {
  auto big = join("big");
  auto other = join("other");
  big.send(say(std::string(5000, 'x'), "big"));
  BOOST_TEST(big.close_code() == 1009);
  other.send(say("nobody noticed", "other"));
  auto ev = other.expect("new_message");
  BOOST_TEST(text_of(ev) == "nobody noticed");
}

// A frame of write-share-bytes (1 KiB) or more is sent from the buffer all its
// recipients share, not copied into each one's queue; queued among small ones, every
// frame still arrives whole and in order, to the sender and to another member.
BOOST_AUTO_TEST_CASE(large_and_small_frames_arrive_whole_and_in_order) {
  auto a = join("alice");
  auto b = join("bob");
  std::vector<std::string> sent;
  for (int i = 0; i < 30; ++i) { // within rate-burst (40)
    sent.push_back(i % 3 ? "short " + std::to_string(i)
                         : std::to_string(i) +
                               std::string(1200 + 20 * i, static_cast<char>('a' + i)));
    a.send(say(sent.back(), "alice"));
  }
  for (auto* c : {&a, &b})
    for (const auto& text : sent) {
      auto got = text_of(c->expect("new_message"));
      BOOST_TEST_REQUIRE(got.size() == text.size());
      BOOST_TEST_REQUIRE(got == text);
    }
}

BOOST_AUTO_TEST_CASE(healthz_counts_connections) {
  auto a = join("alice");
  auto b = join("bob");
  auto r = http_request(server.port(), "/healthz");
  BOOST_TEST(r.status == 200u);
  auto o = json::parse(r.body).as_object();
  BOOST_TEST(o.at("status").as_string() == "ok");
  BOOST_TEST(o.at("connections").to_number<int>() == 2);
}

namespace {

// The value of one sample line (`name value`) of a Prometheus text page; -1 if absent.
double sample(const std::string& page, const std::string& name) {
  auto at = page.find("\n" + name + " ");
  if (at == std::string::npos)
    return -1;
  return std::stod(page.substr(at + name.size() + 2));
}

} // namespace

BOOST_AUTO_TEST_CASE(metrics_move_when_a_message_is_sent) {
  auto a = join("alice");
  auto before = http_request(server.port(), "/metrics");
  BOOST_TEST(before.status == 200u);
  BOOST_TEST(before.content_type.find("text/plain; version=0.0.4") == 0u);
  for (auto name : {"chat_connections_open", "chat_connections_accepted_total",
                    "chat_messages_received_total", "chat_deliveries_total", "chat_rooms",
                    "chat_outbound_queue_bytes", "chat_broadcast_seconds"}) {
    BOOST_TEST(before.body.find(std::string{"# HELP "} + name + " ") != std::string::npos,
               name);
    BOOST_TEST(before.body.find(std::string{"# TYPE "} + name + " ") != std::string::npos,
               name);
  }
  BOOST_TEST(sample(before.body, "chat_connections_open") == 1);
  a.send(say("count me", "alice"));
  a.expect("new_message");
  a.send("not json");
  a.expect("error");
  a.send(R"({"type":"send_direct","payload":{"to":"nobody","message":"hi"}})");
  a.expect("error");
  auto after = http_request(server.port(), "/metrics").body;
  BOOST_TEST(sample(after, "chat_messages_received_total") ==
             sample(before.body, "chat_messages_received_total") + 3);
  BOOST_TEST(sample(after, "chat_deliveries_total") >
             sample(before.body, "chat_deliveries_total"));
  BOOST_TEST(sample(after, "chat_broadcast_seconds_count") ==
             sample(before.body, "chat_broadcast_seconds_count") + 1);
  BOOST_TEST(sample(after, "chat_errors_total{code=\"bad_json\"}") == 1);
  BOOST_TEST(sample(after, "chat_errors_total{code=\"no_such_user\"}") == 1);
  BOOST_TEST(sample(after, "chat_broadcast_seconds_bucket{le=\"+Inf\"}") ==
             sample(after, "chat_broadcast_seconds_count"));
}

BOOST_AUTO_TEST_CASE(healthz_reports_rooms_and_uptime) {
  auto a = join("alice");
  a.send(R"({"type":"change_room","payload":{"name":"lobby"}})");
  a.expect("room_changed");
  auto o = json::parse(http_request(server.port(), "/healthz").body).as_object();
  BOOST_TEST(o.at("rooms").to_number<int>() == 2);
  BOOST_TEST(o.at("uptime_s").to_number<int>() >= 0);
  BOOST_TEST(o.at("node").as_string() ==
             host_name() + ":" + std::to_string(server.port()));
}

BOOST_AUTO_TEST_CASE(chat_page_is_served_at_root) {
  auto r = http_request(server.port(), "/");
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.content_type == "text/html; charset=utf-8");
  BOOST_TEST(r.body.find("<html") != std::string::npos);
  BOOST_TEST(http_request(server.port(), "/app.js").content_type ==
             "text/javascript; charset=utf-8");
  BOOST_TEST(http_request(server.port(), "/../CMakeLists.txt").status == 404u);
  // A NUL must not cut the name opened short of the name checked (found by http_fuzz).
  BOOST_TEST(http_request(server.port(), "/index.html%00.png").status == 404u);
}

BOOST_AUTO_TEST_CASE(origin_of_another_site_is_refused_with_403) {
  auto same = "http://127.0.0.1:" + std::to_string(server.port());
  BOOST_TEST(ws_client::refused_status(server.port(), "/ws", same) == 0u);
  BOOST_TEST(ws_client::refused_status(server.port(), "/ws", "http://evil.example") ==
             403u);
  BOOST_TEST(ws_client::refused_status(server.port(), "/ws", "http://127.0.0.1:1") ==
             403u);
  BOOST_TEST(ws_client::refused_status(server.port(), "/ws") ==
             0u); // no Origin: not a browser
}

BOOST_AUTO_TEST_CASE(invalid_name_in_the_query_is_refused_with_400) {
  BOOST_TEST(ws_client::refused_status(server.port(),
                                       "/ws?name=" + std::string(33, 'q')) == 400u);
  BOOST_TEST(ws_client::refused_status(server.port(), "/ws?name=bell%07x") == 400u);
  BOOST_TEST(ws_client::refused_status(server.port(), "/ws?name=Zo%AB") ==
             400u); // not UTF-8
  BOOST_TEST(ws_client::refused_status(server.port(), "/ws?name=Zo%C3%AB") == 0u);
}

BOOST_AUTO_TEST_CASE(upgrade_on_another_path_is_404) {
  BOOST_TEST(ws_client::refused_status(server.port(), "/chat") == 404u);
}

BOOST_AUTO_TEST_CASE(garbage_on_the_port_harms_nobody) {
  auto a = join("alice");
  // not HTTP at all: a 400 and the connection closed
  auto reply =
      raw_exchange(server.port(), std::string("\x16\x03\x01\x00\xff garbage\r\n\r\n"));
  BOOST_TEST(reply.find("400") != std::string::npos, reply);
  // headers far over the limit: refused, connection closed
  reply = raw_exchange(
      server.port(), "GET / HTTP/1.1\r\nX-Big: " + std::string(20000, 'x') + "\r\n\r\n");
  BOOST_TEST(reply.find("431") != std::string::npos, reply);
  // an upgrade with a broken handshake: no WebSocket, no crash
  reply =
      raw_exchange(server.port(), "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                                  "Connection: Upgrade\r\n\r\n");
  BOOST_TEST(reply.find("101") == std::string::npos, reply);
  // the chat goes on
  a.send(say("still fine", "alice"));
  BOOST_TEST(text_of(a.expect("new_message")) == "still fine");
}

BOOST_AUTO_TEST_CASE(unknown_http_path_is_404) {
  BOOST_TEST(http_request(server.port(), "/nope").status == 404u);
  BOOST_TEST(http_request(server.port(), "/healthz", "POST").status == 405u);
}

BOOST_AUTO_TEST_SUITE_END()
