// Durable history: the SQLite store behind real chatd processes. Paging, the history a
// joiner gets, resuming with `since` while others send, history_truncated, reads after
// a restart and of released rooms, a SIGKILL mid-stream, retention and bad files.
#define BOOST_TEST_MODULE history
#include "store/history_db.hpp"
#include "tests/support/events.hpp"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <csignal>
#include <fstream>
#include <map>
#include <set>
#include <thread>

using namespace chat::test;
namespace json = boost::json;

namespace {

const std::vector<std::string> fast = {"--chat.rate-limit=100000",
                                       "--chat.rate-burst=100000"};

std::vector<std::string> with(std::vector<std::string> args,
                              const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

std::string say_ref(const std::string& message, const std::string& ref) {
  return json::serialize(json::object{
      {"type", "send_message"}, {"ref", ref}, {"payload", {{"message", message}}}});
}

std::uint64_t id_of(const json::value& m) {
  return m.at("id").to_number<std::uint64_t>();
}

// Sends `n` messages "<prefix> i" with refs and waits for every ack: their ids, in order.
std::vector<std::uint64_t> send_acked(ws_client& c, int n, const std::string& prefix) {
  for (int i = 0; i < n; ++i)
    c.send(say_ref(prefix + " " + std::to_string(i), prefix + std::to_string(i)));
  std::map<std::string, std::uint64_t> acks;
  while (acks.size() < static_cast<std::size_t>(n)) {
    auto ev = next_news(c);
    if (type_of(ev) == "ack")
      acks[str(ev.at("ref"))] = id_of(payload_of(ev));
  }
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < n; ++i)
    ids.push_back(acks.at(prefix + std::to_string(i)));
  return ids;
}

std::vector<std::uint64_t> ids_in(const json::object& history_payload) {
  std::vector<std::uint64_t> xs;
  for (const auto& m : history_payload.at("messages").as_array())
    xs.push_back(id_of(m));
  return xs;
}

json::object ask_history(ws_client& c, const std::string& query) {
  c.send(R"({"type":"history","payload":)" + query + "}");
  return payload_of(c.expect("history"));
}

json::object rest_history(unsigned short port, const std::string& room,
                          const std::string& query = {}) {
  auto r = http_request(port, "/api/rooms/" + room + "/messages" + query);
  BOOST_TEST_REQUIRE(r.status == 200u, r.body);
  return json::parse(r.body).as_object();
}

std::vector<std::uint64_t> slice(const std::vector<std::uint64_t>& xs, std::size_t from,
                                 std::size_t to) {
  return {xs.begin() + static_cast<std::ptrdiff_t>(from),
          xs.begin() + static_cast<std::ptrdiff_t>(to)};
}

// Polls `ok` until it holds or `timeout` passes: for what a timer does (retention),
// where there is no event to wait for.
template <class F>
bool eventually(F ok, std::chrono::milliseconds timeout = std::chrono::seconds(8)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!ok()) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

// A temporary database file, removed at the end.
struct temp_db {
  std::string path = temp_path("history.db");
  ~temp_db() { remove_database(path); }
  std::string arg() const { return "--chat.history-db=" + path; }
};

} // namespace

BOOST_AUTO_TEST_SUITE(reading)

BOOST_AUTO_TEST_CASE(history_pages_back_through_the_store_oldest_first) {
  // Memory holds 5 per room: everything older comes from the file.
  server_process server{with(fast, {"--chat.history-size=5"})};
  auto ann = join(server, "ann");
  auto ids = send_acked(ann, 30, "page");
  BOOST_TEST(ids_in(ask_history(ann, R"({"limit":10})")) == slice(ids, 20, 30));
  BOOST_TEST(ids_in(ask_history(ann, R"({"limit":10,"before":)" +
                                         std::to_string(ids[20]) + "}")) ==
             slice(ids, 10, 20));
  BOOST_TEST(ids_in(ask_history(ann, R"({"limit":20,"before":)" +
                                         std::to_string(ids[10]) + "}")) ==
             slice(ids, 0, 10));
  auto oldest =
      ask_history(ann, R"({"limit":3,"before":)" + std::to_string(ids[3]) + "}");
  BOOST_TEST(ids_in(oldest) == slice(ids, 0, 3));
  BOOST_TEST(str(oldest.at("messages").as_array()[0].at("message")) == "page 0");
  // The REST API reads the same pages.
  BOOST_TEST(ids_in(rest_history(server.port(), "general", "?limit=10")) ==
             slice(ids, 20, 30));
  BOOST_TEST(ids_in(rest_history(server.port(), "general",
                                 "?limit=7&before=" + std::to_string(ids[12]))) ==
             slice(ids, 5, 12));
}

BOOST_AUTO_TEST_CASE(a_joiner_gets_the_newest_join_history_messages_after_room_changed) {
  server_process server{with(fast, {"--chat.join-history=3"})};
  auto ann = join(server, "ann");
  auto ids = send_acked(ann, 5, "before bob");
  // The first room: welcome, then history.
  auto bob = join(server, "bob");
  auto h = next_news(bob);
  BOOST_TEST_REQUIRE(type_of(h) == "history", json::serialize(h));
  BOOST_TEST(str(payload_of(h).at("room")) == "general");
  BOOST_TEST(ids_in(payload_of(h)) == slice(ids, 2, 5));
  // Another room: room_changed, then its history (none yet: no event).
  bob.send(R"({"type":"change_room","payload":{"name":"side"}})");
  BOOST_TEST(type_of(next_news(bob)) == "room_changed");
  bob.send(say("in side"));
  next_message(bob, "in side");
  // Back: room_changed, then general's newest three, then live messages.
  bob.send(R"({"type":"change_room","payload":{"name":"general"}})");
  BOOST_TEST(type_of(next_news(bob)) == "room_changed");
  auto again = next_news(bob);
  BOOST_TEST_REQUIRE(type_of(again) == "history", json::serialize(again));
  BOOST_TEST(ids_in(payload_of(again)) == slice(ids, 2, 5));
  ann.send(say("live"));
  next_message(bob, "live");
}

BOOST_AUTO_TEST_CASE(a_room_released_at_max_rooms_keeps_its_stored_history) {
  server_process server{with(fast, {"--chat.max-rooms=2"})};
  auto ann = join(server, "ann");
  ann.send(R"({"type":"change_room","payload":{"name":"first"}})");
  BOOST_TEST(type_of(next_news(ann)) == "room_changed");
  auto ids = send_acked(ann, 3, "kept");
  // ann leaves "first" empty; a new room then releases it (general holds members).
  ann.send(R"({"type":"change_room","payload":{"name":"general"}})");
  BOOST_TEST(type_of(next_news(ann)) == "room_changed");
  auto bob = join(server, "bob");
  bob.send(R"({"type":"change_room","payload":{"name":"second"}})");
  BOOST_TEST(type_of(next_news(bob)) == "room_changed");
  bob.send(R"({"type":"list_users","payload":{"room":"first"}})");
  BOOST_TEST(payload_of(bob.expect("presence")).at("users").as_array().empty());
  // Its history is still there, read from the file.
  BOOST_TEST(ids_in(rest_history(server.port(), "first")) == ids);
  BOOST_TEST(ids_in(ask_history(bob, R"({"room":"first"})")) == ids);
}

BOOST_AUTO_TEST_CASE(history_and_ids_survive_a_restart) {
  temp_db db;
  std::vector<std::uint64_t> ids;
  {
    // history-sync=full: the stricter mode works the same.
    server_process server{with(fast, {db.arg(), "--chat.history-sync=full"})};
    auto ann = join(server, "ann");
    ids = send_acked(ann, 4, "before restart");
    server.signal(SIGTERM);
    BOOST_TEST_REQUIRE(server.wait_exit(std::chrono::seconds(10)) == 0);
  }
  server_process server{with(fast, {db.arg()})};
  BOOST_TEST(ids_in(rest_history(server.port(), "general")) == ids);
  auto bob = join_with_history(server, "bob", 4);
  auto next = send_acked(bob, 1, "after restart");
  BOOST_TEST(next[0] > ids.back());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(resume)

BOOST_AUTO_TEST_CASE(since_gives_exactly_what_was_missed_while_others_keep_sending) {
  // Memory holds 5: a resume further back reads the store, while ann keeps sending.
  server_process server{with(fast, {"--chat.history-size=5"})};
  auto ann = join(server, "ann");
  auto bob = join(server, "bob");
  constexpr int total = 400;
  std::atomic<bool> stop{false};
  std::thread writer{[&] {
    for (int i = 0; i < total && !stop; ++i) {
      ann.send(say("m" + std::to_string(i)));
      std::this_thread::sleep_for(std::chrono::microseconds(1500));
    }
    ann.send(say("end"));
  }};
  // bob reads a while, then drops...
  std::uint64_t last = 0;
  for (int i = 0; i < 60; ++i)
    last = id_of(payload_of(bob.expect("new_message")));
  bob.close();
  // ...and comes back with since=last while ann is still sending.
  std::this_thread::sleep_for(std::chrono::milliseconds(30)); // ann sends on meanwhile
  ws_client back{server.port(), "/ws?name=bob&since=" + std::to_string(last)};
  BOOST_TEST(type_of(next_news(back)) == "welcome");
  auto h = next_news(back);
  BOOST_TEST_REQUIRE(type_of(h) == "history", json::serialize(h));
  std::vector<std::uint64_t> got = ids_in(payload_of(h));
  BOOST_TEST(got.size() > 5u, "the resume reached past memory into the store");
  for (;;) {
    auto ev = next_news(back);
    if (type_of(ev) != "new_message")
      continue; // presence
    got.push_back(id_of(payload_of(ev)));
    if (str(payload_of(ev).at("message")) == "end")
      break;
  }
  writer.join();
  // What ann saw of her own messages after `last` is exactly what bob got.
  std::vector<std::uint64_t> want;
  for (;;) {
    auto p = payload_of(ann.expect("new_message"));
    if (id_of(p) > last)
      want.push_back(id_of(p));
    if (str(p.at("message")) == "end")
      break;
  }
  BOOST_TEST(got == want);
  BOOST_TEST(std::set<std::uint64_t>(got.begin(), got.end()).size() == got.size());
}

BOOST_AUTO_TEST_CASE(more_missed_than_resume_max_gives_the_newest_and_history_truncated) {
  server_process server{with(fast, {"--chat.resume-max=5", "--chat.history-size=3"})};
  auto ann = join(server, "ann");
  auto ids = send_acked(ann, 12, "many");
  ws_client bob{server.port(), "/ws?name=bob&since=" + std::to_string(ids[1])};
  BOOST_TEST(type_of(next_news(bob)) == "welcome");
  auto h = next_news(bob);
  BOOST_TEST_REQUIRE(type_of(h) == "history", json::serialize(h));
  BOOST_TEST(ids_in(payload_of(h)) == slice(ids, 7, 12));
  auto e = next_news(bob);
  BOOST_TEST_REQUIRE(type_of(e) == "error", json::serialize(e));
  BOOST_TEST(str(payload_of(e).at("code")) == "history_truncated");
  BOOST_TEST(str(payload_of(e).at("message")).rfind("5 older messages", 0) == 0u,
             json::serialize(e));
  // Nothing missed: an empty history event says so.
  ws_client cat{server.port(), "/ws?name=cat&since=" + std::to_string(ids.back())};
  BOOST_TEST(type_of(next_news(cat)) == "welcome");
  auto none = next_news(cat);
  BOOST_TEST_REQUIRE(type_of(none) == "history", json::serialize(none));
  BOOST_TEST(payload_of(none).at("messages").as_array().empty());
  cat.send(say("after"));
  next_message(cat, "after");
}

BOOST_AUTO_TEST_CASE(change_room_with_since_resumes_that_room) {
  server_process server{fast};
  auto ann = join(server, "ann");
  ann.send(R"({"type":"change_room","payload":{"name":"side"}})");
  BOOST_TEST(type_of(next_news(ann)) == "room_changed");
  auto ids = send_acked(ann, 4, "side");
  auto bob = join(server, "bob");
  bob.send(R"({"type":"change_room","ref":"r","payload":{"name":"side","since":)" +
           std::to_string(ids[1]) + "}}");
  BOOST_TEST(type_of(next_news(bob)) == "room_changed");
  auto h = next_news(bob);
  BOOST_TEST_REQUIRE(type_of(h) == "history", json::serialize(h));
  BOOST_TEST(ids_in(payload_of(h)) == slice(ids, 2, 4));
  // A since that is not an id is refused, and the client stays where it is.
  bob.send(R"({"type":"change_room","payload":{"name":"general","since":-1}})");
  auto e = next_news(bob);
  BOOST_TEST(str(payload_of(e).at("code")) == "invalid_payload");
  BOOST_TEST(ws_client::refused_status(server.port(), "/ws?name=x&since=abc") == 400u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(crash)

BOOST_AUTO_TEST_CASE(every_acked_message_survives_sigkill_once_and_ids_never_repeat) {
  temp_db db;
  std::map<std::uint64_t, std::string> acked; // id -> text
  std::uint64_t highest_seen = 0;             // broadcast, acked or not
  {
    server_process server{with(fast, {db.arg(), "--chat.max-frame-bytes=65536"})};
    auto ann = join(server, "ann");
    constexpr int total = 600;
    std::map<std::string, std::string> text_of;
    for (int i = 0; i < total; ++i) {
      auto ref = "r" + std::to_string(i);
      text_of[ref] = "crash " + std::to_string(i);
      ann.send(say_ref(text_of[ref], ref));
    }
    // Kill it mid-stream: after some acks, while the rest is still being handled.
    while (acked.size() < 100) {
      auto ev = next_news(ann);
      if (type_of(ev) == "ack")
        acked[id_of(payload_of(ev))] = text_of.at(str(ev.at("ref")));
      else if (type_of(ev) == "new_message")
        highest_seen = std::max(highest_seen, id_of(payload_of(ev)));
    }
    server.signal(SIGKILL);
    try { // what reached the socket before the kill still counts
      for (;;) {
        auto ev = next_news(ann, std::chrono::seconds(2));
        if (type_of(ev) == "ack")
          acked[id_of(payload_of(ev))] = text_of.at(str(ev.at("ref")));
        else if (type_of(ev) == "new_message")
          highest_seen = std::max(highest_seen, id_of(payload_of(ev)));
      }
    } catch (const std::exception&) {
    }
    BOOST_TEST_REQUIRE(server.wait_exit(std::chrono::seconds(10)) != -1);
  }
  BOOST_TEST_MESSAGE(acked.size() << " acked, highest id broadcast " << highest_seen);
  server_process server{with(fast, {db.arg()})};
  // Every acked message is in the history once, in order (paged from the newest).
  std::vector<json::value> stored;
  std::string before;
  for (;;) {
    auto page = rest_history(server.port(), "general", "?limit=200" + before);
    auto& xs = page.at("messages").as_array();
    if (xs.empty())
      break;
    stored.insert(stored.begin(), xs.begin(), xs.end());
    before = "&before=" + std::to_string(id_of(xs.front()));
  }
  std::map<std::uint64_t, std::string> in_store;
  std::uint64_t previous = 0;
  for (const auto& m : stored) {
    BOOST_TEST_REQUIRE(id_of(m) > previous, "ids in order, none twice");
    previous = id_of(m);
    in_store[id_of(m)] = str(m.at("message"));
  }
  for (const auto& [id, text] : acked) {
    BOOST_TEST_CONTEXT("acked id " << id) {
      BOOST_TEST_REQUIRE(in_store.count(id) == 1u);
      BOOST_TEST(in_store[id] == text);
    }
  }
  // New ids come after every id handed out before the crash, stored or not.
  auto bob = join(server, "bob");
  auto next = send_acked(bob, 1, "after the crash");
  BOOST_TEST(next[0] > highest_seen);
  BOOST_TEST(next[0] > previous);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(full_disk)

BOOST_AUTO_TEST_CASE(chat_goes_on_acks_wait_until_writes_succeed_again) {
  server_process server{fast};
  auto ann = join(server, "ann");
  auto bob = join(server, "bob");
  auto before = send_acked(ann, 1, "before");
  next_message(bob, "before 0");
  // The "disk" fills: no write of the server's files may pass their first byte.
  server.set_file_size_limit(1);
  ann.send(say_ref("while full", "full"));
  next_message(bob, "while full"); // the broadcast does not wait for the disk
  BOOST_TEST_REQUIRE(server.wait_for_output("cannot write", default_wait),
                     server.output());
  // No ack yet: a later broadcast reaches ann first.
  ann.send(say("marker"));
  BOOST_TEST(str(payload_of(next_news(ann)).at("message")) == "while full");
  auto marker = next_news(ann);
  BOOST_TEST_REQUIRE(type_of(marker) == "new_message", json::serialize(marker));
  BOOST_TEST(str(payload_of(marker).at("message")) == "marker");
  auto metrics = http_request(server.port(), "/metrics").body;
  BOOST_TEST(metrics.find("chat_history_write_errors_total 0") == std::string::npos);
  // Space again: the waiting batch is written and only then acked.
  server.set_file_size_limit(-1);
  auto ack = ann.expect("ack", std::chrono::seconds(10));
  BOOST_TEST(str(ack.at("ref")) == "full");
  BOOST_TEST(id_of(payload_of(ack)) > before[0]);
  BOOST_TEST(server.wait_for_output("writing again", default_wait), server.output());
  auto stored = ids_in(rest_history(server.port(), "general"));
  BOOST_TEST(std::count(stored.begin(), stored.end(), id_of(payload_of(ack))) == 1);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(retention)

BOOST_AUTO_TEST_CASE(history_max_per_room_keeps_the_newest) {
  temp_db db;
  server_process server{with(fast, {db.arg(), "--chat.history-max-per-room=5"})};
  auto ann = join(server, "ann");
  auto ids = send_acked(ann, 12, "keep");
  // The store drops the oldest in the background; reads then see the newest five.
  BOOST_TEST(eventually([&] {
    return chat::history_db{db.path}.read("general", 0, 0, 100).messages.size() == 5u;
  }));
  BOOST_TEST(ids_in(rest_history(server.port(), "general")) == slice(ids, 7, 12));
  BOOST_TEST(ids_in(ask_history(ann, R"({"limit":50})")) == slice(ids, 7, 12));
}

BOOST_AUTO_TEST_CASE(history_max_age_removes_old_messages) {
  temp_db db;
  server_process server{with(fast, {db.arg(), "--chat.history-max-age=1s"})};
  auto ann = join(server, "ann");
  send_acked(ann, 3, "old");
  BOOST_TEST(eventually([&] {
    return chat::history_db{db.path}.read("general", 0, 0, 100).messages.empty();
  }));
  BOOST_TEST(rest_history(server.port(), "general").at("messages").as_array().empty());
  auto fresh = send_acked(ann, 1, "fresh");
  BOOST_TEST(ids_in(rest_history(server.port(), "general")) == fresh);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(bad_files)

// chatd must stop with exit 2 and a message naming the file.
void refuses(const std::string& path, const std::string& why) {
  auto r = run_chatd({"--config-file=" + default_config_path(), "--chat.host=127.0.0.1",
                      "--chat.port=0", "--chat.history-db=" + path},
                     std::chrono::seconds(10));
  BOOST_TEST(r.status == 2, r.output);
  BOOST_TEST(r.output.find("history-db \"" + path + "\"") != std::string::npos, r.output);
  BOOST_TEST(r.output.find(why) != std::string::npos, r.output);
}

BOOST_AUTO_TEST_CASE(a_path_that_cannot_be_created) {
  refuses("/nonexistent-dir/chat.db", "unable to open");
  refuses("/tmp", "unable to open"); // a directory
}

BOOST_AUTO_TEST_CASE(a_file_that_is_not_sqlite) {
  temp_db db;
  std::ofstream{db.path} << "these are not the pages you are looking for\n"
                         << std::string(8192, 'x');
  refuses(db.path, "not a database");
}

BOOST_AUTO_TEST_CASE(a_corrupt_database) {
  temp_db db;
  {
    chat::history_db store{db.path};
    BOOST_TEST_REQUIRE(store.error().empty(), store.error());
    std::vector<chat::chat_message> batch;
    for (std::uint64_t i = 1; i <= 400; ++i)
      batch.push_back(
          {i, "general", std::string(500, 'a'), "ann", "2026-01-01T00:00:00Z"});
    BOOST_TEST_REQUIRE(store.append(batch, 0));
  }
  // Garbage over pages in the middle of the file (the header stays valid).
  std::fstream f{db.path, std::ios::in | std::ios::out | std::ios::binary};
  f.seekp(3 * 4096);
  f << std::string(4 * 4096, '\x5a');
  f.close();
  refuses(db.path, "corrupt");
}

BOOST_AUTO_TEST_CASE(a_retention_age_that_is_not_one) {
  auto r = run_chatd({"--config-file=" + default_config_path(), "--chat.port=0",
                      "--chat.history-max-age=30 days"},
                     std::chrono::seconds(10));
  BOOST_TEST(r.status == 2, r.output);
  BOOST_TEST(r.output.find("chat.history-max-age") != std::string::npos, r.output);
}

BOOST_AUTO_TEST_SUITE_END()
