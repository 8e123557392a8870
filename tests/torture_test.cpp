// Protocol torture with raw sockets: broken frames, broken HTTP, slow and vanishing peers.
// After each, a normal client must still chat: nothing a peer sends harms anyone else.
#define BOOST_TEST_MODULE torture
#include "tests/support/events.hpp"
#include "tests/support/raw_ws.hpp"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <dirent.h>
#include <fstream>
#include <optional>
#include <thread>

using namespace chat::test;
namespace json = boost::json;

namespace {

// A fresh client joins, says something and hears it back.
void a_normal_client_still_chats(const server_process& server) {
  ws_client c{server.port(), "/ws?name=normal"};
  c.expect("welcome");
  c.send(say("still here"));
  BOOST_TEST(str(payload_of(c.expect("new_message")).at("message")) == "still here");
}

std::string text_of(const json::object& payload) {
  return json::serialize(json::object{{"type", "send_message"}, {"payload", payload}});
}

// The raw client's welcome, read and checked, and the presence_diff of its own join that
// follows it (the suites run with presence-interval 0: one diff per change). A client
// whose name another connection still holds makes no change, so no diff (`own_diff`
// false: the loops that reconnect under one name, which read on to a close).
void welcomed(raw_ws& ws, bool own_diff = true) {
  auto w = json::parse(ws.next_text()).as_object();
  BOOST_TEST_REQUIRE(type_of(w) == "welcome");
  if (!own_diff)
    return;
  auto diff = json::parse(ws.next_text()).as_object();
  BOOST_TEST_REQUIRE(type_of(diff) == "presence_diff", json::serialize(diff));
  const auto& joins = payload_of(diff).at("joins").as_array();
  BOOST_TEST(
      (std::find(joins.begin(), joins.end(), payload_of(w).at("user")) != joins.end()));
}

int open_descriptors(int pid) {
  int n = 0;
  if (auto* dir = opendir(("/proc/" + std::to_string(pid) + "/fd").c_str())) {
    while (readdir(dir) != nullptr)
      ++n;
    closedir(dir);
  }
  return n - 2; // . and ..
}

} // namespace

BOOST_AUTO_TEST_SUITE(frames)

BOOST_AUTO_TEST_CASE(a_fragmented_message_with_control_frames_between_its_pieces) {
  server_process server;
  raw_ws ws{server.port(), "/ws?name=frag"};
  welcomed(ws);
  auto whole = text_of({{"message", "in pieces"}});
  ws.send(ws_frame(0x01, whole.substr(0, 10)));  // text, not final
  ws.send(ws_frame(0x89, "are you there"));      // ping between the pieces
  ws.send(ws_frame(0x00, whole.substr(10, 10))); // continuation
  ws.send(ws_frame(0x8A, "unasked pong"));       // an unsolicited pong is allowed
  ws.send(ws_frame(0x80, whole.substr(20)));     // final continuation
  auto pong = ws.next();
  BOOST_TEST(pong.opcode == 0xA);
  BOOST_TEST(pong.payload == "are you there");
  auto m = json::parse(ws.next_text()).as_object();
  BOOST_TEST(type_of(m) == "new_message");
  BOOST_TEST(str(payload_of(m).at("message")) == "in pieces");
  a_normal_client_still_chats(server);
}

BOOST_AUTO_TEST_CASE(invalid_utf8_closes_with_1007) {
  server_process server;
  raw_ws ws{server.port(), "/ws?name=utf8"};
  welcomed(ws);
  ws.send(ws_frame(0x81,
                   "{\"type\":\"send_message\",\"payload\":{\"message\":\"\xC3\x28\"}}"));
  BOOST_TEST(ws.close_code() == 1007);
  // Split across fragments, an overlong encoding is refused too.
  raw_ws ws2{server.port(), "/ws?name=utf8b"};
  welcomed(ws2);
  ws2.send(ws_frame(0x01, "abc\xC0"));
  ws2.send(ws_frame(0x80, "\xAF"));
  BOOST_TEST(ws2.close_code() == 1007);
  a_normal_client_still_chats(server);
}

BOOST_AUTO_TEST_CASE(frames_that_break_rfc_6455_close_with_1002) {
  server_process server;
  struct broken {
    const char* what;
    std::string bytes;
  };
  std::vector<broken> cases{
      {"unmasked client frame", ws_frame(0x81, "{}", false)},
      {"RSV1 without an extension", ws_frame(0xC1, "{}")},
      {"RSV2", ws_frame(0xA1, "{}")},
      {"RSV3", ws_frame(0x91, "{}")},
      {"unknown data opcode 3", ws_frame(0x83, "{}")},
      {"unknown control opcode 0xB", ws_frame(0x8B, "")},
      {"control frame over 125 bytes", ws_frame(0x89, std::string(126, 'p'))},
      {"fragmented control frame", ws_frame(0x09, "p")},
      {"continuation without a start", ws_frame(0x80, "{}")},
      {"a new message inside a fragmented one",
       ws_frame(0x01, "{") + ws_frame(0x81, "{}")},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.what) {
      raw_ws ws{server.port(), "/ws?name=broken"};
      welcomed(ws, false);
      ws.send(c.bytes);
      BOOST_TEST(ws.close_code() == 1002);
    }
  }
  a_normal_client_still_chats(server);
}

BOOST_AUTO_TEST_CASE(a_length_of_petabytes_closes_with_1009_and_allocates_nothing) {
  server_process server;
  raw_ws warm{server.port(), "/ws?name=warm"};
  welcomed(warm);
  auto before = server.rss_kib();
  for (int i = 0; i < 20; ++i) {
    raw_ws ws{server.port(), "/ws?name=huge"};
    welcomed(ws, false);
    // 2^50 bytes claimed (a petabyte), a few sent.
    ws.send(ws_frame(0x81, "{\"type\":", true, std::uint64_t{1} << 50));
    BOOST_TEST(ws.close_code() == 1009);
  }
  auto peak = server.peak_rss_kib();
  BOOST_TEST(peak - before < 16 * 1024, "peak RSS grew by " << peak - before << " KiB");
  a_normal_client_still_chats(server);
}

BOOST_AUTO_TEST_CASE(a_half_written_frame_then_silence_is_dropped) {
  server_process server{{"--chat.ping-interval=200ms", "--chat.pong-timeout=300ms"}};
  raw_ws ws{server.port(), "/ws?name=half"};
  welcomed(ws);
  auto frame = ws_frame(0x81, text_of({{"message", "never finished"}}));
  ws.send(frame.substr(0, frame.size() / 2));
  // It never answers the pings: it is cut after ping-interval + pong-timeout.
  BOOST_TEST(ws.socket().wait_closed(std::chrono::seconds(3)));
  a_normal_client_still_chats(server);
}

// Liveness pings only the silent: a client that sends anything (here its own pings)
// within ping-interval gets no ping; one that only answers pings gets one per interval
// and stays.
BOOST_AUTO_TEST_CASE(only_a_silent_client_is_pinged) {
  server_process server{{"--chat.ping-interval=300ms", "--chat.pong-timeout=2s"}};
  raw_ws talker{server.port(), "/ws?name=talker"};
  welcomed(talker);
  raw_ws quiet{server.port(), "/ws?name=quiet"};
  welcomed(quiet);
  auto poll = [](raw_ws& ws,
                 std::chrono::milliseconds wait) -> std::optional<server_frame> {
    try {
      return ws.next(wait);
    } catch (const std::runtime_error&) {
      return std::nullopt; // nothing within `wait`
    }
  };
  int talker_pings = 0, quiet_pings = 0;
  for (int tick = 0; tick < 15; ++tick) { // 1.5 s: five ping-intervals
    BOOST_TEST_REQUIRE(talker.send(ws_frame(0x89, "t")));
    while (auto f = poll(talker, std::chrono::milliseconds(1)))
      talker_pings += f->opcode == 0x9;
    auto slice_end = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
    for (auto now = std::chrono::steady_clock::now(); now < slice_end;
         now = std::chrono::steady_clock::now()) {
      auto f = poll(quiet, std::chrono::duration_cast<std::chrono::milliseconds>(
                               slice_end - now + std::chrono::milliseconds(1)));
      if (f && f->opcode == 0x9) {
        ++quiet_pings;
        BOOST_TEST_REQUIRE(quiet.send(ws_frame(0x8A, f->payload)));
      }
    }
  }
  BOOST_TEST(talker_pings == 0);
  BOOST_TEST(quiet_pings >= 3, quiet_pings << " pings in 1.5 s");
  BOOST_TEST(quiet_pings <= 6, quiet_pings << " pings in 1.5 s");
  // Both are still there: each gets the other's message.
  quiet.send(ws_frame(0x81, text_of({{"message", "still here"}})));
  for (;;) { // presence_diffs may come first
    auto ev = json::parse(talker.next_text()).as_object();
    if (type_of(ev) != "new_message")
      continue;
    BOOST_TEST(payload_of(ev).at("message") == "still here");
    break;
  }
  a_normal_client_still_chats(server);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(handshakes)

BOOST_AUTO_TEST_CASE(a_request_that_never_ends_is_closed_within_handshake_timeout) {
  server_process server{{"--chat.handshake-timeout=500ms"}};
  raw_socket unfinished{server.port()};
  unfinished.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  auto start = std::chrono::steady_clock::now();
  BOOST_TEST(unfinished.wait_closed(std::chrono::seconds(3)));
  BOOST_TEST((std::chrono::steady_clock::now() - start < std::chrono::seconds(2)));
  a_normal_client_still_chats(server);
}

BOOST_AUTO_TEST_CASE(slowloris_is_closed_within_handshake_timeout) {
  server_process server{{"--chat.handshake-timeout=500ms"}};
  raw_socket slow{server.port()};
  auto start = std::chrono::steady_clock::now();
  slow.write("GET /ws HTTP/1.1\r\n");
  // One header line every 100 ms, never the blank line that ends the request: each
  // byte would reset a per-read idle timer; the deadline is for the whole request.
  bool closed = false;
  for (int i = 0; i < 40 && !closed; ++i) {
    if (!slow.write("X-Slow-" + std::to_string(i) + ": 1\r\n"))
      closed = true;
    else
      closed = slow.wait_closed(std::chrono::milliseconds(100));
  }
  BOOST_TEST(closed);
  BOOST_TEST((std::chrono::steady_clock::now() - start < std::chrono::seconds(2)));
  a_normal_client_still_chats(server);
}

BOOST_AUTO_TEST_CASE(the_default_handshake_timeout_is_5_seconds) {
  server_process server;
  raw_socket unfinished{server.port()};
  unfinished.write("GET / HTTP/1.1\r\n");
  auto start = std::chrono::steady_clock::now();
  BOOST_TEST(unfinished.wait_closed(std::chrono::seconds(8)));
  auto took = std::chrono::steady_clock::now() - start;
  BOOST_TEST((took > std::chrono::milliseconds(4500)));
  BOOST_TEST((took < std::chrono::milliseconds(6500)));
}

BOOST_AUTO_TEST_CASE(a_wrong_websocket_version_gets_426) {
  server_process server;
  auto reply = http_exchange(
      server.port(),
      "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 8\r\n\r\n");
  BOOST_TEST(reply.rfind("HTTP/1.1 426", 0) == 0, reply);
  BOOST_TEST(reply.find("Sec-WebSocket-Version: 13") != std::string::npos, reply);
  BOOST_TEST(connections(server.port()) == 0);
  a_normal_client_still_chats(server);
}

BOOST_AUTO_TEST_CASE(thousands_of_connections_cut_in_every_state_leave_nothing_behind) {
  server_process server;
  ws_client watcher{server.port(), "/ws?name=watcher"};
  watcher.expect("welcome");
  auto fds_before = open_descriptors(server.pid());
  const std::string upgrade =
      "GET /ws?name=churn HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\n\r\n";
  for (int i = 0; i < 3000; ++i) {
    raw_socket s{server.port()};
    switch (i % 4) {
    case 0: // cut at once
      break;
    case 1: // cut in the middle of the request
      s.write(upgrade.substr(0, upgrade.size() / 2));
      break;
    case 2: // cut right after asking for the upgrade
      s.write(upgrade);
      break;
    default: { // cut once upgraded, with a frame half written
      s.write(upgrade);
      std::string in;
      while (in.find("\r\n\r\n") == std::string::npos &&
             s.read_some(in, std::chrono::seconds(5)))
        ;
      s.write(ws_frame(0x81, text_of({{"message", "x"}})).substr(0, 5));
    }
    }
    s.cut();
  }
  // Every session ends and the count returns to its baseline, the watcher alone. No
  // event says when the server has noticed the last cut socket: poll, bounded.
  int n = -1;
  for (int attempt = 0; attempt < 250 && (n = connections(server.port())) != 1; ++attempt)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  BOOST_TEST(n == 1);
  BOOST_TEST(open_descriptors(server.pid()) <= fds_before + 2);
  a_normal_client_still_chats(server);
}

BOOST_AUTO_TEST_SUITE_END()
