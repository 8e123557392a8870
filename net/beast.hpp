// Beast and Asio names used across net/. Only net/*.cpp include this.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace chat::net {

namespace asio = boost::asio; // not `net`: that name is caf::net's
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

// Counts live sessions so that stop() can wait for their close handshakes.
struct session_count {
  std::atomic<std::size_t> live{0};
  std::mutex m;
  std::condition_variable cv;

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
