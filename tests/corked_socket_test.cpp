// net/corked_socket on its own, over a loopback TCP pair, no server: frames queued
// while a write is in flight leave together and in order, a large payload is held by
// reference (not copied) until it is sent, a burst's buffers are released once all is
// sent, and a ping is the two bytes of RFC 6455's empty ping.
#define BOOST_TEST_MODULE corked_socket
#include "net/corked_socket.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <string>

using namespace chat::net;

namespace {

constexpr std::size_t keep = 512, share_from = 1024;

// A connected pair of loopback sockets: `out` goes under the corked layer, `in` reads.
struct socket_pair {
  asio::io_context io;
  tcp::socket out{io}, in{io};
  std::atomic<std::int64_t> gauge{0};

  socket_pair() {
    tcp::acceptor acceptor{io, {asio::ip::make_address("127.0.0.1"), 0}};
    out.connect(acceptor.local_endpoint());
    in = acceptor.accept();
    in.non_blocking(true);
  }

  // Runs the io_context and reads `in` until `n` bytes arrived and nothing is left
  // buffered (the gauge is back at 0), for at most 5 s.
  std::string receive(std::size_t n) {
    std::string got;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while ((got.size() < n || gauge != 0) && std::chrono::steady_clock::now() < until) {
      io.run_one_for(std::chrono::milliseconds(10));
      io.restart();
      char chunk[65536];
      beast::error_code ec;
      auto k = in.read_some(asio::buffer(chunk), ec);
      if (!ec)
        got.append(chunk, k);
      else
        BOOST_TEST_REQUIRE(ec == asio::error::would_block, ec.message());
    }
    return got;
  }
};

std::string frame_of(std::string_view payload) {
  std::vector<char> bytes;
  append_text_frame(bytes, payload);
  return {bytes.begin(), bytes.end()};
}

} // namespace

BOOST_AUTO_TEST_CASE(a_large_payload_is_held_by_reference_until_sent) {
  socket_pair p;
  corked_socket<tcp::socket> c{std::move(p.out), &p.gauge, keep, share_from};
  auto big = std::make_shared<const std::string>(4000, 'x');
  auto small = std::make_shared<const std::string>(100, 's');
  c.write_text(big);
  c.write_text(small);
  BOOST_TEST(big.use_count() == 2);   // queued: the payload itself, not a copy
  BOOST_TEST(small.use_count() == 1); // under share-from: copied at once
  BOOST_TEST(c.buffered() == frame_of(*big).size() + frame_of(*small).size());
  auto got = p.receive(frame_of(*big).size() + frame_of(*small).size());
  BOOST_TEST(got == frame_of(*big) + frame_of(*small));
  BOOST_TEST(big.use_count() == 1); // sent: let go
  BOOST_TEST(c.buffered() == 0u);
  BOOST_TEST(p.gauge == 0);
}

BOOST_AUTO_TEST_CASE(small_and_large_frames_queued_together_leave_in_order) {
  socket_pair p;
  corked_socket<tcp::socket> c{std::move(p.out), &p.gauge, keep, share_from};
  std::string expected;
  for (int i = 0; i < 40; ++i) {
    auto text = std::make_shared<const std::string>(
        i % 3 ? std::string(10 + i, static_cast<char>('a' + i % 26))
              : std::string(1500 + 100 * i, static_cast<char>('A' + i % 26)));
    c.write_text(text); // the first goes out alone; the rest wait for it, together
    if (i == 20)
      c.write_ping();
    expected += frame_of(*text);
    if (i == 20)
      expected += std::string{"\x89\x00", 2};
  }
  auto got = p.receive(expected.size());
  BOOST_TEST_REQUIRE(got.size() == expected.size());
  BOOST_TEST((got == expected));
}

BOOST_AUTO_TEST_CASE(a_burst_is_released_once_sent) {
  socket_pair p;
  corked_socket<tcp::socket> c{std::move(p.out), &p.gauge, keep, share_from};
  const std::string one(500, 'm');
  std::size_t n = 0;
  for (int i = 0; i < 200; ++i) { // ~100 KB queued behind the first write
    c.write_text(std::string_view{one});
    n += frame_of(one).size();
  }
  BOOST_TEST(c.held_capacity() > 50000u);
  BOOST_TEST(p.receive(n).size() == n);
  BOOST_TEST(c.held_capacity() <= 2 * keep); // an idle client keeps little
}

BOOST_AUTO_TEST_CASE(a_ping_is_an_empty_ping_frame) {
  socket_pair p;
  corked_socket<tcp::socket> c{std::move(p.out), &p.gauge, keep, share_from};
  c.write_ping();
  BOOST_TEST(p.receive(2) == std::string("\x89\x00", 2));
}
