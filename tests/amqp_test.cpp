// The AMQP bridge against a real RabbitMQ (Debian's rabbitmq-server, one private broker
// for the suite): room messages on the exchange, posts from the inbound queue in rooms
// (sent with Debian's amqp-publish), invalid posts rejected, a broker restart while
// clients chat, and a two-node cluster that publishes each message once.
#define BOOST_TEST_MODULE amqp
#include "tests/support/amqp_watch.hpp"
#include "tests/support/cluster_node.hpp"
#include "tests/support/events.hpp"
#include "tests/support/rabbitmq_broker.hpp"

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

using namespace chat::test;
namespace json = boost::json;

namespace {

struct broker_fixture {
  broker_fixture() { broker = std::make_unique<rabbitmq_broker>(); }
  ~broker_fixture() { broker.reset(); }
  static inline std::unique_ptr<rabbitmq_broker> broker;
};

// The suite's broker, running (a test that stopped it may have failed before its start).
rabbitmq_broker& broker() {
  broker_fixture::broker->start();
  return *broker_fixture::broker;
}

constexpr auto bridge_wait = std::chrono::seconds(30); // the backoff tops out at 10 s

// chatd's flags for the bridge, with an exchange and a queue of the test's own.
std::vector<std::string> bridge_args(const std::string& tag,
                                     std::vector<std::string> more = {}) {
  std::vector<std::string> args{"--chat.amqp-url=\"" + broker().url() + "\"",
                                "--chat.amqp-exchange=\"chat-" + tag + "\"",
                                "--chat.amqp-inbound-queue=\"in-" + tag + "\""};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

std::string amqp_state(unsigned short port) {
  auto r = http_request(port, "/healthz");
  return str(json::parse(r.body).at("amqp"));
}

// Polls /healthz until the bridge is in `state`.
bool wait_amqp(unsigned short port, const std::string& state,
               std::chrono::milliseconds timeout = bridge_wait) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (amqp_state(port) == state)
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// chat_amqp_<name>_total from /metrics.
std::uint64_t counter(unsigned short port, const std::string& name) {
  auto metrics = http_request(port, "/metrics").body;
  auto key = "chat_amqp_" + name + "_total ";
  auto at = metrics.find("\n" + key);
  BOOST_TEST_REQUIRE(at != std::string::npos, "no " << key << "in " << metrics);
  return std::stoull(metrics.substr(at + 1 + key.size()));
}

// Polls /metrics until the counter reaches `n`; returns its last value.
std::uint64_t wait_counter(unsigned short port, const std::string& name, std::uint64_t n,
                           std::chrono::milliseconds timeout = default_wait) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto v = counter(port, name);
  while (v < n && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    v = counter(port, name);
  }
  return v;
}

// Posts `body` to the inbound queue the way an application would: amqp-publish to the
// default exchange with the queue's name as routing key.
void amqp_publish(const std::string& queue, const std::string& body) {
  auto r = run_program("/usr/bin/amqp-publish",
                       {"--url=" + broker().url(), "--routing-key=" + queue,
                        "--content-type=application/json", "--body=" + body},
                       std::chrono::seconds(10));
  BOOST_TEST_REQUIRE(r.status == 0, "amqp-publish: " << r.output);
}

// The next new_message, skipping presence and join history.
json::object next_chat(ws_client& c, std::chrono::milliseconds timeout = default_wait) {
  for (;;) {
    auto ev = c.next(timeout);
    if (type_of(ev) == "new_message")
      return payload_of(ev);
    BOOST_TEST_REQUIRE((type_of(ev) == "presence_diff" || type_of(ev) == "history"),
                       "unexpected " << json::serialize(ev));
  }
}

std::string direct(const std::string& to, const std::string& message) {
  return json::serialize(json::object{{"type", "send_direct"},
                                      {"payload", {{"to", to}, {"message", message}}}});
}

} // namespace

BOOST_TEST_GLOBAL_FIXTURE(broker_fixture);

BOOST_AUTO_TEST_CASE(a_room_message_is_published_with_its_room_key_and_payload) {
  amqp_watch watch{broker().port(), "chat-out", "#"};
  server_process server{bridge_args("out")};
  BOOST_TEST_REQUIRE(wait_amqp(server.port(), "connected"), server.output());
  auto ann = join(server, "ann");
  auto bob = join(server, "bob");
  // Off by default: a direct message does not reach the exchange.
  ann.send(direct("bob", "psst"));
  bob.expect("direct_message");
  ann.expect("direct_message"); // the sender's copy
  ann.send(say("hello exchange"));
  auto payload = next_chat(ann);
  auto got = watch.next(default_wait);
  BOOST_TEST_REQUIRE(got.has_value(), "nothing on the exchange");
  BOOST_TEST(got->routing_key == "room.general");
  BOOST_TEST(json::parse(got->body) == json::value(payload), got->body);
  BOOST_TEST(got->content_type == "application/json");
  BOOST_TEST(got->delivery_mode == 2); // persistent
  BOOST_TEST(counter(server.port(), "published") == 1u);
  BOOST_TEST(wait_counter(server.port(), "confirmed", 1) == 1u);
  BOOST_TEST(counter(server.port(), "dropped") == 0u);
  // The log names the broker, never its credentials.
  BOOST_TEST(server.wait_for_output("amqp: connected to 127.0.0.1:" +
                                        std::to_string(broker().port()),
                                    default_wait),
             server.output());
  BOOST_TEST(server.output().find("guest") == std::string::npos, server.output());
}

BOOST_AUTO_TEST_CASE(direct_messages_are_published_when_asked) {
  amqp_watch watch{broker().port(), "chat-dm", "direct.*"};
  server_process server{bridge_args("dm", {"--chat.amqp-publish-direct"})};
  BOOST_TEST_REQUIRE(wait_amqp(server.port(), "connected"), server.output());
  auto ann = join(server, "ann");
  auto bob = join(server, "bob");
  ann.send(direct("bob", "psst"));
  auto dm = payload_of(bob.expect("direct_message"));
  auto got = watch.next(default_wait);
  BOOST_TEST_REQUIRE(got.has_value(), "nothing on the exchange");
  BOOST_TEST(got->routing_key == "direct.bob");
  BOOST_TEST(json::parse(got->body) == json::value(dm), got->body);
}

BOOST_AUTO_TEST_CASE(amqp_publish_into_the_inbound_queue_reaches_websocket_clients) {
  server_process server{bridge_args("in")};
  BOOST_TEST_REQUIRE(wait_amqp(server.port(), "connected"), server.output());
  auto ann = join(server, "ann");
  amqp_publish("in-in",
               R"({"room":"general","from":"bot","message":"hello from the broker"})");
  auto m = next_chat(ann);
  BOOST_TEST(str(m.at("from")) == "bot");
  BOOST_TEST(str(m.at("message")) == "hello from the broker");
  BOOST_TEST(str(m.at("room")) == "general");
  BOOST_TEST(wait_counter(server.port(), "consumed", 1) == 1u);
  // Into a room nobody is in yet: created, like a REST post; a joiner finds it there.
  amqp_publish("in-in", R"({"room":"lobby","from":"bot","message":"first"})");
  BOOST_TEST(wait_counter(server.port(), "consumed", 2) == 2u);
  ann.send(R"({"type":"change_room","payload":{"name":"lobby"}})");
  ann.expect("room_changed");
  auto h = payload_of(ann.expect("history"));
  BOOST_TEST_REQUIRE(h.at("messages").as_array().size() == 1u, json::serialize(h));
  BOOST_TEST(str(h.at("messages").as_array()[0].as_object().at("message")) == "first");
}

BOOST_AUTO_TEST_CASE(an_invalid_post_is_rejected_and_reaches_nobody) {
  server_process server{bridge_args("bad")};
  BOOST_TEST_REQUIRE(wait_amqp(server.port(), "connected"), server.output());
  auto ann = join(server, "ann");
  for (const char* bad :
       {"not json", R"({"room":"general"})", R"({"room":"no such room!","message":"x"})",
        R"({"room":"general","from":"","message":"x"})", "[1,2]"})
    amqp_publish("in-bad", bad);
  amqp_publish("in-bad", R"({"room":"general","from":"bot","message":"marker"})");
  // Nothing came before the marker (the queue is in order).
  auto m = next_chat(ann);
  BOOST_TEST(str(m.at("message")) == "marker");
  BOOST_TEST(counter(server.port(), "rejected") == 5u);
  BOOST_TEST(wait_counter(server.port(), "consumed", 1) == 1u); // acked after delivery
  // Not requeued: a requeued one would come back at once and be rejected again.
  amqp_publish("in-bad", R"({"room":"general","from":"bot","message":"marker 2"})");
  BOOST_TEST(str(next_chat(ann).at("message")) == "marker 2");
  BOOST_TEST(counter(server.port(), "rejected") == 5u);
}

BOOST_AUTO_TEST_CASE(chat_goes_on_while_the_broker_restarts_and_the_bridge_returns) {
  server_process server{bridge_args("restart")};
  BOOST_TEST_REQUIRE(wait_amqp(server.port(), "connected"), server.output());
  auto ann = join(server, "ann");
  auto bob = join(server, "bob");
  broker().stop();
  try {
    BOOST_TEST_REQUIRE(wait_amqp(server.port(), "down", std::chrono::seconds(10)),
                       server.output());
    ann.send(say("while the broker is away"));
    BOOST_TEST(str(next_chat(bob).at("message")) == "while the broker is away");
    BOOST_TEST(wait_counter(server.port(), "dropped", 1) == 1u);
    auto metrics = http_request(server.port(), "/metrics").body;
    BOOST_TEST(metrics.find("chat_amqp_state{state=\"down\"} 1") != std::string::npos,
               metrics);
  } catch (...) {
    broker().start();
    throw;
  }
  broker().start();
  BOOST_TEST_REQUIRE(wait_amqp(server.port(), "connected"), server.output());
  amqp_watch watch{broker().port(), "chat-restart", "room.general"};
  ann.send(say("the broker is back"));
  BOOST_TEST(str(next_chat(bob).at("message")) == "the broker is back");
  auto got = watch.next(default_wait);
  BOOST_TEST_REQUIRE(got.has_value(), "nothing on the exchange after the restart");
  BOOST_TEST(str(json::parse(got->body).at("message")) == "the broker is back");
  // Posts flow again too (the durable queue survived the restart).
  amqp_publish("in-restart", R"({"room":"general","from":"bot","message":"in again"})");
  BOOST_TEST(str(next_chat(bob).at("message")) == "in again");
}

BOOST_AUTO_TEST_CASE(in_a_two_node_cluster_each_message_is_published_once) {
  amqp_watch watch{broker().port(), "chat-cluster", "room.#"};
  cluster_node a{"node-a", {}, bridge_args("cluster")};
  cluster_node b{"node-b", {a.address()}, bridge_args("cluster")};
  BOOST_TEST_REQUIRE(wait_for_mesh({&a, &b}));
  BOOST_TEST_REQUIRE(wait_amqp(a.port(), "connected"), a.server().output());
  BOOST_TEST_REQUIRE(wait_amqp(b.port(), "connected"), b.server().output());
  auto ann = join(a.server(), "ann");
  auto ben = join(b.server(), "ben");
  ann.send(say("from a"));
  ben.send(say("from b"));
  std::multiset<std::string> seen;
  for (int i = 0; i < 2; ++i) {
    auto got = watch.next(default_wait);
    BOOST_TEST_REQUIRE(got.has_value(), "only " << seen.size() << " on the exchange");
    BOOST_TEST(got->routing_key == "room.general");
    seen.insert(str(json::parse(got->body).at("message")));
  }
  BOOST_TEST((seen == std::multiset<std::string>{"from a", "from b"}));
  // Both nodes delivered both; neither published a second copy.
  for (auto* c : {&ann, &ben}) {
    std::set<std::string> got;
    while (got.size() < 2)
      got.insert(str(next_chat(*c).at("message")));
  }
  auto extra = watch.next(std::chrono::milliseconds(1000)); // nothing more may come
  BOOST_TEST(!extra.has_value(), "published twice: " << extra->body);
  BOOST_TEST(counter(a.port(), "published") + counter(b.port(), "published") == 2u);
  // A post is consumed by one node and reaches clients on both.
  amqp_publish("in-cluster", R"({"room":"general","from":"bot","message":"to all"})");
  BOOST_TEST(str(next_chat(ann).at("message")) == "to all");
  BOOST_TEST(str(next_chat(ben).at("message")) == "to all");
  auto consumed = [&] {
    return counter(a.port(), "consumed") + counter(b.port(), "consumed");
  };
  auto deadline = std::chrono::steady_clock::now() + default_wait;
  while (consumed() == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  BOOST_TEST(consumed() == 1u);
}

BOOST_AUTO_TEST_CASE(a_bad_url_stops_the_start_without_showing_the_password) {
  auto r = run_chatd({"--config-file=" + default_config_path(), "--chat.port=0",
                      "--chat.amqp-url=\"amqp://bob:s3cret@127.0.0.1:notaport/\""},
                     std::chrono::seconds(10));
  BOOST_TEST(r.status == 2, r.output);
  BOOST_TEST(r.output.find("chat.amqp-url") != std::string::npos, r.output);
  BOOST_TEST(r.output.find("s3cret") == std::string::npos, r.output);
  // Nor a value of the wrong type in the file.
  std::ifstream in{default_config_path()};
  std::ostringstream text;
  text << in.rdbuf();
  auto conf = text.str();
  auto at = conf.find("\namqp-url=\"\"");
  BOOST_TEST_REQUIRE(at != std::string::npos);
  conf.replace(at, 13, "\namqp-url=[\"amqp://bob:s3cret@127.0.0.1\"]");
  auto path = temp_path("amqp.conf");
  std::ofstream{path} << conf;
  r = run_chatd({"--config-file=" + path, "--chat.port=0"}, std::chrono::seconds(10));
  std::remove(path.c_str());
  BOOST_TEST(r.status == 2, r.output);
  BOOST_TEST(r.output.find("chat.amqp-url") != std::string::npos, r.output);
  BOOST_TEST(r.output.find("s3cret") == std::string::npos, r.output);
  r = run_chatd({"--config-file=" + default_config_path(), "--chat.port=0",
                 "--chat.amqp-url=\"" + broker().url() + "\"",
                 "--chat.amqp-exchange=\"amq.topic\""},
                std::chrono::seconds(10));
  BOOST_TEST(r.status == 2, r.output);
  BOOST_TEST(r.output.find("chat.amqp-exchange") != std::string::npos, r.output);
}
