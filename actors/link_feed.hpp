// A member's feed (messages/feed.hpp) into its connection's client_link: what its room
// pushes goes to the transport at once, from the room's thread, once the connection
// opened it. Until then it is held: the connection sends room_changed (or welcome) and
// what the joiner missed first, then opens the feed, and the frames the room pushed
// meanwhile follow them in order.
#pragma once

#include "actors/client_link.hpp"
#include "messages/feed.hpp"

#include <atomic>
#include <mutex>
#include <vector>

namespace chat {

class link_feed final : public feed {
public:
  explicit link_feed(std::shared_ptr<client_link> link) : link_(std::move(link)) {}

  void push(const frame& f) override {
    if (open_.load(std::memory_order_acquire)) { // the common case: no lock
      link_->send(f);
      return;
    }
    std::lock_guard<std::mutex> guard{m_};
    if (open_.load(std::memory_order_relaxed))
      link_->send(f); // opened while this waited for the lock: after what it let out
    else
      held_.push_back(f);
  }

  // From the connection actor, after its own frames for the join.
  void open() {
    std::lock_guard<std::mutex> guard{m_};
    for (auto& f : held_)
      link_->send(std::move(f));
    held_ = {};
    open_.store(true, std::memory_order_release);
  }

private:
  std::shared_ptr<client_link> link_;
  std::atomic<bool> open_{false};
  std::mutex m_;
  std::vector<frame> held_;
};

} // namespace chat
