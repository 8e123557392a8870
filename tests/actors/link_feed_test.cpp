// actors/link_feed.hpp on its own, with real threads: a room pushes from its thread while
// the connection sends its own frames and opens the feed from another. Whatever the
// interleaving, the connection's frames before open() come first and the room's follow
// in the order pushed, each once.
#define CAF_SUITE link_feed
#include "actors/link_feed.hpp"

#include <atomic>
#include <caf/test/unit_test.hpp>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace chat;

namespace {

// A link that records what it is sent, from any thread.
class recording_link : public client_link {
public:
  void accept() override {}
  void reject(unsigned, std::string) override {}
  void send(frame f) override {
    std::lock_guard<std::mutex> guard{m_};
    frames_.emplace_back(f.text());
  }
  void close(std::uint16_t, std::string) override {}
  std::vector<std::string> frames() {
    std::lock_guard<std::mutex> guard{m_};
    return frames_;
  }

private:
  std::mutex m_;
  std::vector<std::string> frames_;
};

} // namespace

CAF_TEST(a_feed_holds_what_comes_before_it_is_opened_and_keeps_the_order) {
  // The connection opens the feed while the room is pushing: some frames are held,
  // some are pushed while the held ones are let out, the rest after.
  constexpr int rounds = 200;
  constexpr int pushes = 4000;
  for (int round = 0; round < rounds; ++round) {
    auto link = std::make_shared<recording_link>();
    link_feed feed{link};
    std::atomic<int> pushed{0};
    std::thread room{[&] {
      for (int i = 0; i < pushes; ++i) {
        feed.push(frame{std::to_string(i)});
        pushed.fetch_add(1, std::memory_order_release);
      }
    }};
    while (pushed.load(std::memory_order_acquire) < pushes / 4)
      std::this_thread::yield();
    link->send(frame{"room_changed"}); // the connection's own frames first
    feed.open();
    room.join();
    auto got = link->frames();
    CAF_REQUIRE_EQUAL(got.size(), static_cast<std::size_t>(pushes) + 1);
    CAF_CHECK_EQUAL(got.front(), "room_changed");
    for (int i = 0; i < pushes; ++i)
      if (got[static_cast<std::size_t>(i) + 1] != std::to_string(i))
        CAF_FAIL("round " << round << ": frame " << i + 1 << " is "
                          << got[static_cast<std::size_t>(i) + 1]);
  }
}

CAF_TEST(a_feed_sends_nothing_until_opened) {
  auto link = std::make_shared<recording_link>();
  link_feed feed{link};
  feed.push(frame{"early"});
  CAF_CHECK(link->frames().empty());
  feed.open();
  feed.push(frame{"late"});
  CAF_CHECK_EQUAL(link->frames(), (std::vector<std::string>{"early", "late"}));
}
