// What every session of one server shares: the count of live WebSocket sessions (so that
// stop() can wait for their close handshakes) and, with one io thread, the outbox.
#pragma once

#include "messages/frame.hpp"
#include "net/beast.hpp"
#include "net/frame_target.hpp"

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

namespace chat::net {

// Frames from actor threads to sessions, crossing to the io thread in batches: one post
// wakes the io thread for every frame pushed until it runs, instead of one post (an
// allocation and a queue operation) per frame. Only used with a single io thread, where
// no strand is needed to run a session's handlers.
class outbox {
public:
  explicit outbox(asio::any_io_executor io) : io_(std::move(io)) {}
  void push(std::shared_ptr<frame_target> to, frame text);

private:
  void drain();

  asio::any_io_executor io_;
  std::mutex m_;
  std::vector<std::pair<std::shared_ptr<frame_target>, frame>> items_;
  std::vector<std::pair<std::shared_ptr<frame_target>, frame>>
      draining_; // io thread only
  bool scheduled_ = false;
};

struct shared_state {
  explicit shared_state(asio::any_io_executor io) : out(std::move(io)) {}

  std::atomic<std::size_t> live{0};
  std::atomic<bool> stopped{false}; // set by server::stop(): no more posts from outside
  std::mutex m;
  std::condition_variable cv;
  outbox out;

  void add() { ++live; }
  void remove() {
    if (--live == 0) {
      std::lock_guard<std::mutex> guard{m};
      cv.notify_all();
    }
  }
  template <class Duration> void wait_empty(Duration d) {
    std::unique_lock<std::mutex> guard{m};
    cv.wait_for(guard, d, [this] { return live == 0; });
  }
};

} // namespace chat::net
