// The history file on its own (store/history_db): pages, reservations and retention on a
// real SQLite file, without a server.
#define BOOST_TEST_MODULE store
#include "store/history_db.hpp"

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <string>
#include <unistd.h>

using chat::chat_message;
using chat::history_db;

namespace {

struct temp_file {
  std::string path = "/tmp/chat-store-test-" + std::to_string(getpid()) + ".db";
  temp_file() { remove(); }
  ~temp_file() { remove(); }
  void remove() const {
    for (const char* suffix : {"", "-wal", "-shm"})
      std::remove((path + suffix).c_str());
  }
};

chat_message msg(std::uint64_t id, const std::string& room = "general") {
  return {id, room, "text " + std::to_string(id), "ann", "2026-12-02T00:00:00.000000Z"};
}

std::vector<std::uint64_t> ids(const chat::message_page& p) {
  std::vector<std::uint64_t> xs;
  for (const auto& m : p.messages)
    xs.push_back(m.id);
  return xs;
}

} // namespace

BOOST_AUTO_TEST_CASE(pages_are_the_newest_of_their_range_oldest_first) {
  temp_file f;
  history_db db{f.path};
  BOOST_TEST_REQUIRE(db.error().empty(), db.error());
  std::vector<chat_message> batch;
  for (std::uint64_t id = 1; id <= 10; ++id)
    batch.push_back(msg(id));
  batch.push_back(msg(1, "other"));
  BOOST_TEST_REQUIRE(db.append(batch, 1));
  auto newest = db.read("general", 0, 0, 3);
  BOOST_TEST(ids(newest) == (std::vector<std::uint64_t>{8, 9, 10}));
  BOOST_TEST(newest.skipped == 7u);
  BOOST_TEST(newest.messages[0].message == "text 8");
  BOOST_TEST(newest.messages[0].from == "ann");
  auto before = db.read("general", 0, 5, 10);
  BOOST_TEST(ids(before) == (std::vector<std::uint64_t>{1, 2, 3, 4}));
  BOOST_TEST(before.skipped == 0u);
  auto after = db.read("general", 6, 0, 2);
  BOOST_TEST(ids(after) == (std::vector<std::uint64_t>{9, 10}));
  BOOST_TEST(after.skipped == 2u); // 7 and 8
  BOOST_TEST(db.read("nowhere", 0, 0, 5).messages.empty());
  // The same message again is kept once.
  BOOST_TEST_REQUIRE(db.append({msg(10)}, 2));
  BOOST_TEST(db.read("general", 9, 0, 10).messages.size() == 1u);
}

BOOST_AUTO_TEST_CASE(last_used_is_the_highest_stored_or_reserved_id_and_never_falls) {
  temp_file f;
  {
    history_db db{f.path};
    BOOST_TEST(db.last_used("general") == 0u);
    BOOST_TEST_REQUIRE(db.append({msg(1), msg(2)}, 1));
    BOOST_TEST(db.last_used("general") == 2u);
    BOOST_TEST_REQUIRE(db.reserve("general", 1000));
    BOOST_TEST_REQUIRE(db.reserve("general", 500)); // never lowers
    BOOST_TEST(db.last_used("general") == 1000u);
    BOOST_TEST(db.last_used("other") == 0u);
  }
  history_db again{f.path}; // after a reopen, as after a restart
  BOOST_TEST(again.last_used("general") == 1000u);
}

BOOST_AUTO_TEST_CASE(retention_drops_in_bounded_batches) {
  temp_file f;
  history_db db{f.path};
  std::vector<chat_message> old_ones, new_ones;
  for (std::uint64_t id = 1; id <= 30; ++id)
    (id <= 20 ? old_ones : new_ones).push_back(msg(id));
  BOOST_TEST_REQUIRE(db.append(old_ones, 100));
  BOOST_TEST_REQUIRE(db.append(new_ones, 200));
  BOOST_TEST(db.drop_older_than(150, 8) == 8u); // at most a batch
  BOOST_TEST(db.drop_older_than(150, 100) == 12u);
  BOOST_TEST(db.drop_older_than(150, 100) == 0u);
  BOOST_TEST(ids(db.read("general", 0, 0, 100)).front() == 21u);
  BOOST_TEST(db.drop_beyond("general", 4, 3) == 3u); // at most a batch
  BOOST_TEST(db.drop_beyond("general", 4, 100) == 3u);
  BOOST_TEST(ids(db.read("general", 0, 0, 100)) ==
             (std::vector<std::uint64_t>{27, 28, 29, 30}));
  BOOST_TEST(db.rooms() == std::vector<std::string>{"general"});
}
