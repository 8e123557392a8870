// A cluster of real chatd processes on loopback: the mesh, rooms, presence, direct
// messages, the REST API and history across nodes, and nodes that die, stop and return.
#define BOOST_TEST_MODULE cluster
#include "actors/placement.hpp"
#include "tests/support/cluster_node.hpp"
#include "tests/support/events.hpp"

#include <boost/test/unit_test.hpp>
#include <csignal>
#include <map>
#include <set>
#include <sstream>

using namespace chat::test;
namespace json = boost::json;

namespace {

// The next new_message, skipping presence events and the history a joiner gets.
json::object next_chat(ws_client& c, std::chrono::milliseconds timeout = default_wait) {
  for (;;) {
    auto ev = next_news(c, timeout);
    if (type_of(ev) == "new_message")
      return payload_of(ev);
    BOOST_TEST_REQUIRE((type_of(ev) == "presence_diff" || type_of(ev) == "history"),
                       "unexpected " << json::serialize(ev));
  }
}

// Reads until a presence change of `kind` ("joined"/"left") about `user` (skipping
// other events and changes).
void expect_about(ws_client& c, const std::string& kind, const std::string& user,
                  std::chrono::milliseconds timeout = default_wait) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto& q = c.presence_changes();
    while (!q.empty()) {
      auto ch = q.front();
      q.pop_front();
      if (ch.kind == kind && ch.user == user)
        return;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    BOOST_TEST_REQUIRE(left.count() > 0, "no " << kind << " about " << user);
    c.next(left);
  }
}

// A three-node cluster, the others joined through the first.
struct three_nodes {
  cluster_node a{"node-a", {}, {"--chat.rate-limit=100000", "--chat.rate-burst=100000"}};
  cluster_node b{
      "node-b", {a.address()}, {"--chat.rate-limit=100000", "--chat.rate-burst=100000"}};
  cluster_node c{
      "node-c", {a.address()}, {"--chat.rate-limit=100000", "--chat.rate-burst=100000"}};
  three_nodes() { BOOST_TEST_REQUIRE(wait_for_mesh({&a, &b, &c})); }
};

// The sum of /metrics' chat_cluster_messages_total lines that contain `labels`.
std::uint64_t cluster_messages(const std::string& metrics,
                               const std::string& labels = {}) {
  std::uint64_t sum = 0;
  std::istringstream lines{metrics};
  std::string line;
  while (std::getline(lines, line))
    if (line.rfind("chat_cluster_messages_total{", 0) == 0 &&
        line.find(labels) != std::string::npos)
      sum += std::stoull(line.substr(line.rfind(' ') + 1));
  return sum;
}

ws_client client_on(cluster_node& n, const std::string& name) {
  return join(n.server(), name);
}

} // namespace

BOOST_AUTO_TEST_CASE(three_nodes_form_a_full_mesh_through_one_member) {
  three_nodes nodes;
  // b and c joined only a; they found each other through it.
  BOOST_TEST(nodes.b.peers_up() == (std::vector<std::string>{"node-a", "node-c"}));
  BOOST_TEST(nodes.c.peers_up() == (std::vector<std::string>{"node-a", "node-b"}));
  auto metrics = http_request(nodes.a.port(), "/metrics").body;
  BOOST_TEST(metrics.find("chat_cluster_peers 2") != std::string::npos, metrics);
}

BOOST_AUTO_TEST_CASE(messages_cross_nodes_exactly_once_with_the_same_ids) {
  three_nodes nodes;
  std::vector<ws_client> clients;
  clients.push_back(client_on(nodes.a, "ann"));
  clients.push_back(client_on(nodes.b, "ben"));
  clients.push_back(client_on(nodes.c, "cat"));
  clients.push_back(client_on(nodes.c, "cid"));
  constexpr int per_client = 20;
  for (int i = 0; i < per_client; ++i)
    for (std::size_t k = 0; k < clients.size(); ++k)
      clients[k].send(say("m" + std::to_string(k) + "-" + std::to_string(i)));
  const auto total = per_client * clients.size();
  std::map<std::string, std::uint64_t> id_of; // text -> id, the same for everyone
  for (auto& c : clients) {
    std::set<std::string> seen;
    std::uint64_t last = 0;
    for (std::size_t n = 0; n < total; ++n) {
      auto m = next_chat(c);
      auto text = str(m.at("message"));
      auto id = m.at("id").to_number<std::uint64_t>();
      BOOST_TEST(seen.insert(text).second, "twice: " << text);
      BOOST_TEST(id > last, "id " << id << " after " << last);
      last = id;
      auto [it, fresh] = id_of.emplace(text, id);
      BOOST_TEST(it->second == id, text << " has id " << id << " and " << it->second);
      (void)fresh;
    }
    BOOST_TEST(seen.size() == total);
  }
  BOOST_TEST(id_of.size() == total);
  // Every node counted what crossed to and from its peers.
  for (auto* n : {&nodes.a, &nodes.b, &nodes.c}) {
    auto metrics = http_request(n->port(), "/metrics").body;
    for (const char* dir : {"in", "out"})
      BOOST_TEST(cluster_messages(metrics, std::string{"direction=\""} + dir + "\"") > 0u,
                 n->name() << " counted no message " << dir << ": " << metrics);
  }
}

BOOST_AUTO_TEST_CASE(a_senders_1000_messages_arrive_in_order_on_every_node) {
  three_nodes nodes;
  auto sender = client_on(nodes.a, "sender");
  auto on_b = client_on(nodes.b, "reader-b");
  auto on_c = client_on(nodes.c, "reader-c");
  constexpr int count = 1000;
  for (int i = 0; i < count; ++i)
    sender.send(say("seq " + std::to_string(i)));
  for (auto* r : {&on_b, &on_c})
    for (int i = 0; i < count; ++i)
      BOOST_TEST_REQUIRE(str(next_chat(*r).at("message")) == "seq " + std::to_string(i));
}

BOOST_AUTO_TEST_CASE(presence_spans_nodes_and_a_user_on_two_nodes_is_one_user) {
  three_nodes nodes;
  auto ann = client_on(nodes.a, "ann");
  auto ben = client_on(nodes.b, "ben");
  expect_about(ann, "joined", "ben");
  // room_changed lists the users of every node.
  ben.send(R"({"type":"change_room","payload":{"name":"lobby"}})");
  ben.expect("room_changed");
  ann.send(R"({"type":"change_room","payload":{"name":"lobby"}})");
  auto changed = payload_of(ann.expect("room_changed"));
  BOOST_TEST(json::serialize(changed.at("users")) == R"(["ann","ben"])");
  // dee has a tab on a and one on c: one user, announced once.
  auto dee1 = client_on(nodes.a, "dee");
  dee1.send(R"({"type":"change_room","payload":{"name":"lobby"}})");
  dee1.expect("room_changed");
  expect_about(ben, "joined", "dee");
  auto dee2 = client_on(nodes.c, "dee");
  dee2.send(R"({"type":"change_room","payload":{"name":"lobby"}})");
  BOOST_TEST(json::serialize(payload_of(dee2.expect("room_changed")).at("users")) ==
             R"(["ann","ben","dee"])");
  // list_users on any node: the same three, once each.
  auto cat = client_on(nodes.c, "cat");
  cat.send(R"({"type":"list_users","payload":{"room":"lobby"}})");
  BOOST_TEST(json::serialize(payload_of(cat.expect("presence")).at("users")) ==
             R"(["ann","ben","dee"])");
  // One tab closes: dee is still there; a marker shows that nothing came before it.
  dee1.close();
  ann.send(say("marker"));
  auto ev = next_news(ben);
  BOOST_TEST(type_of(ev) == "new_message", json::serialize(ev));
  // The last tab closes: dee leaves, once.
  dee2.close();
  expect_about(ben, "left", "dee");
  ann.send(say("marker 2"));
  BOOST_TEST(str(next_chat(ben).at("message")) == "marker 2");
}

BOOST_AUTO_TEST_CASE(a_direct_message_reaches_every_tab_on_every_node) {
  three_nodes nodes;
  auto ann = client_on(nodes.a, "ann");
  auto bob1 = client_on(nodes.b, "bob");
  auto bob2 = client_on(nodes.c, "bob");
  ann.send(
      R"({"type":"send_direct","payload":{"to":"bob","message":"psst"},"ref":"d1"})");
  for (auto* c : {&bob1, &bob2})
    BOOST_TEST(str(payload_of(c->expect("direct_message")).at("message")) == "psst");
  BOOST_TEST(str(payload_of(ann.expect("direct_message")).at("to")) == "bob");
  BOOST_TEST(str(ann.expect("ack").at("ref")) == "d1");
  ann.send(R"({"type":"send_direct","payload":{"to":"ghost","message":"hi"}})");
  BOOST_TEST(str(payload_of(ann.expect("error")).at("code")) == "no_such_user");
}

BOOST_AUTO_TEST_CASE(the_rest_api_of_any_node_posts_to_and_reads_the_cluster_room) {
  three_nodes nodes;
  auto ann = client_on(nodes.a, "ann");
  auto cat = client_on(nodes.c, "cat");
  auto posted = http_request(nodes.b.port(), "/api/rooms/general/messages", "POST",
                             R"({"message":"from the API","from":"bot"})");
  BOOST_TEST_REQUIRE(posted.status == 201u, posted.body);
  auto id = json::parse(posted.body).at("id").to_number<std::uint64_t>();
  auto m = next_chat(ann);
  BOOST_TEST(str(m.at("message")) == "from the API");
  BOOST_TEST(m.at("id").to_number<std::uint64_t>() == id);
  // History and users from a third node: the same message, the same id, every user.
  auto history =
      json::parse(http_request(nodes.c.port(), "/api/rooms/general/messages").body);
  auto& messages = history.at("messages").as_array();
  BOOST_TEST_REQUIRE(messages.size() == 1u, json::serialize(history));
  BOOST_TEST(messages[0].at("id").to_number<std::uint64_t>() == id);
  auto users = json::parse(http_request(nodes.c.port(), "/api/rooms/general/users").body);
  BOOST_TEST(json::serialize(users.at("users")) == R"(["ann","cat"])");
}

BOOST_AUTO_TEST_CASE(history_on_one_node_holds_what_was_said_on_another) {
  three_nodes nodes;
  auto ann = client_on(nodes.a, "ann");
  for (int i = 0; i < 5; ++i)
    ann.send(say("said on a " + std::to_string(i)));
  for (int i = 0; i < 5; ++i)
    next_chat(ann);
  auto cat = client_on(nodes.c, "cat");
  // Its join brings the room's newest messages, with the ids a gave them...
  auto joined = payload_of(cat.expect("history"));
  BOOST_TEST(joined.at("messages").as_array().size() == 5u);
  // ...and so does a query.
  cat.send(R"({"type":"history","payload":{"limit":3}})");
  auto h = payload_of(cat.expect("history"));
  auto& xs = h.at("messages").as_array();
  BOOST_TEST_REQUIRE(xs.size() == 3u);
  BOOST_TEST(str(xs[0].at("message")) == "said on a 2");
  BOOST_TEST(str(xs[2].at("message")) == "said on a 4");
}

BOOST_AUTO_TEST_CASE(sigkill_of_a_node_the_others_chat_on_and_it_comes_back) {
  three_nodes nodes;
  auto ann = client_on(nodes.a, "ann");
  auto ben = client_on(nodes.b, "ben");
  auto cat = client_on(nodes.c, "cat");
  expect_about(ann, "joined", "cat");
  expect_about(ben, "joined", "cat");
  auto killed = std::chrono::steady_clock::now();
  nodes.c.kill();
  // Its users leave everywhere else within 8 s...
  expect_about(ann, "left", "cat", std::chrono::seconds(8));
  expect_about(ben, "left", "cat", std::chrono::seconds(8));
  BOOST_TEST((std::chrono::steady_clock::now() - killed < std::chrono::seconds(8)));
  // ...and the room keeps flowing between the others (within 5 s), ids still increasing.
  auto deadline = killed + std::chrono::seconds(5);
  std::uint64_t last = 0;
  for (int i = 0;; ++i) {
    ann.send(say("after kill " + std::to_string(i)));
    auto m = next_chat(ben, std::chrono::seconds(5));
    if (str(m.at("message")) == "after kill " + std::to_string(i)) {
      last = m.at("id").to_number<std::uint64_t>();
      break;
    }
    BOOST_TEST_REQUIRE((std::chrono::steady_clock::now() < deadline));
  }
  BOOST_TEST((std::chrono::steady_clock::now() < deadline));
  // It returns on the same cluster port and is part of the room again.
  nodes.c.restart();
  BOOST_TEST_REQUIRE(wait_for_mesh({&nodes.a, &nodes.b, &nodes.c}));
  auto cat2 = client_on(nodes.c, "cat");
  expect_about(ann, "joined", "cat");
  ben.send(say("welcome back"));
  auto m = next_chat(cat2);
  BOOST_TEST(str(m.at("message")) == "welcome back");
  BOOST_TEST(m.at("id").to_number<std::uint64_t>() > last);
}

BOOST_AUTO_TEST_CASE(sigkill_of_the_node_the_others_joined_through) {
  three_nodes nodes;
  auto ann = client_on(nodes.a, "ann");
  auto ben = client_on(nodes.b, "ben");
  auto cat = client_on(nodes.c, "cat");
  expect_about(ben, "joined", "cat");
  nodes.a.kill();
  expect_about(ben, "left", "ann", std::chrono::seconds(8));
  expect_about(cat, "left", "ann", std::chrono::seconds(8));
  ben.send(say("without a"));
  BOOST_TEST(str(next_chat(cat, std::chrono::seconds(5)).at("message")) == "without a");
  // a comes back knowing nobody (it joined no one): the others reconnect to it.
  nodes.a.restart();
  BOOST_TEST_REQUIRE(wait_for_mesh({&nodes.a, &nodes.b, &nodes.c}));
  auto ann2 = client_on(nodes.a, "ann");
  cat.send(say("a is back"));
  BOOST_TEST(str(next_chat(ann2).at("message")) == "a is back");
}

BOOST_AUTO_TEST_CASE(history_and_ids_outlive_the_sigkill_of_the_sequencing_node) {
  three_nodes nodes;
  std::map<std::string, cluster_node*> by_name{
      {"node-a", &nodes.a}, {"node-b", &nodes.b}, {"node-c", &nodes.c}};
  const std::vector<std::string> names{"node-a", "node-b", "node-c"};
  auto* home = by_name.at(chat::home_of("general", names));
  std::vector<cluster_node*> others;
  for (auto& [name, n] : by_name)
    if (n != home)
      others.push_back(n);
  auto ann = client_on(*home, "ann");
  auto ben = client_on(*others[0], "ben");
  auto cat = client_on(*others[1], "cat");
  expect_about(ann, "joined", "cat");
  // The home numbers ten messages; every node receives (and keeps) them.
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < 10; ++i)
    ann.send(say("kept " + std::to_string(i)));
  for (int i = 0; i < 10; ++i) {
    ids.push_back(next_chat(ben).at("id").to_number<std::uint64_t>());
    BOOST_TEST(next_chat(cat).at("id").to_number<std::uint64_t>() == ids.back());
  }
  home->kill();
  expect_about(ben, "left", "ann", std::chrono::seconds(8));
  // The history is still readable on both others, with the same ids...
  auto ids_on = [](cluster_node& n) {
    auto r = http_request(n.port(), "/api/rooms/general/messages");
    std::vector<std::uint64_t> xs;
    if (r.status != 200u)
      return xs;
    auto body = json::parse(r.body);
    for (const auto& m : body.at("messages").as_array())
      xs.push_back(m.at("id").to_number<std::uint64_t>());
    return xs;
  };
  for (auto* n : others)
    BOOST_TEST(ids_on(*n) == ids);
  ben.send(R"({"type":"history","payload":{"limit":5}})");
  auto reply = ben.expect("history");
  const auto& h = payload_of(reply).at("messages").as_array();
  BOOST_TEST_REQUIRE(h.size() == 5u);
  BOOST_TEST(h[4].at("id").to_number<std::uint64_t>() == ids.back());
  // ...and the sequence continues after them.
  ben.send(say("after the home died"));
  auto m = next_chat(cat, std::chrono::seconds(5));
  BOOST_TEST(str(m.at("message")) == "after the home died");
  BOOST_TEST(m.at("id").to_number<std::uint64_t>() > ids.back());
}

BOOST_AUTO_TEST_CASE(sigterm_of_a_node_closes_its_clients_and_its_users_leave_at_once) {
  three_nodes nodes;
  auto ann = client_on(nodes.a, "ann");
  auto ben = client_on(nodes.b, "ben");
  expect_about(ann, "joined", "ben");
  auto stopped = std::chrono::steady_clock::now();
  nodes.b.server().signal(SIGTERM);
  BOOST_TEST(ben.close_code() == 1001);
  expect_about(ann, "left", "ben", std::chrono::seconds(2));
  // At once: not after a link timeout (2 s), well within the 1.5 s shutdown.
  BOOST_TEST(
      (std::chrono::steady_clock::now() - stopped < std::chrono::milliseconds(1500)));
  BOOST_TEST(nodes.b.server().wait_exit(std::chrono::seconds(3)) == 0);
}

BOOST_AUTO_TEST_CASE(nodes_that_ran_alone_merge_when_joined_later) {
  // a and b each start alone and number their own "general"...
  cluster_node a{"node-a"};
  cluster_node b{"node-b"};
  auto ann = client_on(a, "ann");
  auto ben = client_on(b, "ben");
  for (int i = 1; i <= 3; ++i) {
    ann.send(say("a" + std::to_string(i)));
    next_chat(ann);
  }
  for (int i = 1; i <= 5; ++i) {
    ben.send(say("b" + std::to_string(i)));
    BOOST_TEST(next_chat(ben).at("id").to_number<int>() == i);
  }
  // ...until c joins both and the three form one cluster.
  cluster_node c{"node-c", {a.address(), b.address()}};
  BOOST_TEST_REQUIRE(wait_for_mesh({&a, &b, &c}));
  // Each learns of the other once, and never of itself.
  expect_about(ann, "joined", "ben", std::chrono::seconds(10));
  expect_about(ben, "joined", "ann", std::chrono::seconds(10));
  ann.send(say("after the merge"));
  auto until_the_message = [](ws_client& cl) {
    for (;;) {
      auto ev = next_news(cl);
      if (type_of(ev) == "new_message")
        return payload_of(ev);
      BOOST_TEST(false, "more presence after the merge: " << json::serialize(ev));
    }
  };
  auto on_a = until_the_message(ann);
  auto on_b = until_the_message(ben);
  BOOST_TEST(str(on_b.at("message")) == "after the merge");
  BOOST_TEST(on_a.at("id") == on_b.at("id"));
  BOOST_TEST(on_a.at("id").to_number<int>() > 5); // after both sequences: no id twice
  ben.send(R"({"type":"list_users","payload":{}})");
  BOOST_TEST(json::serialize(payload_of(ben.expect("presence")).at("users")) ==
             R"(["ann","ben"])");
}

BOOST_AUTO_TEST_CASE(one_frame_per_message_per_node_crosses_the_network) {
  cluster_node a{"node-a"};
  cluster_node b{"node-b", {a.address()}};
  BOOST_TEST_REQUIRE(wait_for_mesh({&a, &b}));
  auto sender = client_on(a, "sender");
  std::vector<ws_client> readers;
  for (int i = 0; i < 20; ++i)
    readers.push_back(client_on(b, "r" + std::to_string(i)));
  auto before = http_request(b.port(), "/metrics").body;
  constexpr int count = 10;
  for (int i = 0; i < count; ++i)
    sender.send(say("to many " + std::to_string(i)));
  for (auto& r : readers)
    for (int i = 0; i < count; ++i)
      BOOST_TEST_REQUIRE(str(next_chat(r).at("message")) ==
                         "to many " + std::to_string(i));
  // Whichever node is the room's home, what crossed between them per message is one
  // frame (to b) or one publish (from a), not one per reader: far below 20 x 10.
  auto n = cluster_messages(http_request(b.port(), "/metrics").body) -
           cluster_messages(before);
  BOOST_TEST(n >= static_cast<std::uint64_t>(count));
  BOOST_TEST(n <= static_cast<std::uint64_t>(2 * count));
}

BOOST_AUTO_TEST_CASE(a_node_that_stops_answering_is_declared_dead_within_5_seconds) {
  three_nodes nodes;
  auto ann = client_on(nodes.a, "ann");
  auto cat = client_on(nodes.c, "cat");
  expect_about(ann, "joined", "cat");
  // SIGSTOP: the process is alive and its sockets open, it just never answers. Only the
  // middleman's heartbeat (500 ms, connection-timeout 2 s, set in code) can tell.
  auto stopped = std::chrono::steady_clock::now();
  nodes.c.server().signal(SIGSTOP);
  expect_about(ann, "left", "cat", std::chrono::seconds(8));
  BOOST_TEST((std::chrono::steady_clock::now() - stopped < std::chrono::seconds(5)));
  BOOST_TEST_CHECKPOINT("cat left; ben joins on b");
  auto ben = client_on(nodes.b, "ben");
  BOOST_TEST_CHECKPOINT("ben joined");
  ann.send(say("while c sleeps"));
  BOOST_TEST(str(next_chat(ben).at("message")) == "while c sleeps");
  nodes.c.server().signal(SIGCONT);
}
