// Fuzz target: the frames the server writes itself (net/ws_frame.hpp) read back by Beast's
// own WebSocket reader in the client role, over Beast's in-memory test stream.
//
// Input: byte 0 picks how many bytes each read of the client may get (0: all there are),
// byte 1 how many frames the rest is split into (1..4, evenly); the rest is the payload.
// Properties checked (any other outcome aborts):
// - each frame is 0x81, then the shortest length encoding, unmasked, then the payload;
// - a client reads back exactly the payload of each frame, as one text message each,
//   and nothing more; a payload that is not valid UTF-8 (which the server never sends:
//   the codec writes Boost.JSON's output) fails exactly as RFC 6455 says, with
//   bad_frame_payload (close 1007), and every frame before it still reads whole.
#include "net/ws_frame.hpp"
#include "tests/fuzz/check.hpp"
#include "tests/fuzz/utf8.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace beast = boost::beast;
namespace websocket = beast::websocket;
using ws_stream = websocket::stream<beast::test::stream>;

namespace {

// What the writer must produce, byte for byte, from RFC 6455 5.2 directly.
std::size_t check_frame(const char* at, std::string_view payload) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(at[i]); };
  FUZZ_CHECK(byte(0) == 0x81); // FIN, no RSV bits, opcode 1 (text)
  FUZZ_CHECK((byte(1) & 0x80) == 0);
  std::size_t n = payload.size(), header = 2, length = byte(1);
  if (n >= 126 && n <= 0xFFFF) {
    FUZZ_CHECK(length == 126);
    header = 4;
    length = (std::size_t{byte(2)} << 8) | byte(3);
  } else if (n > 0xFFFF) {
    FUZZ_CHECK(length == 127);
    header = 10;
    length = 0;
    for (std::size_t i = 2; i < 10; ++i)
      length = (length << 8) | byte(i);
  }
  FUZZ_CHECK(length == n);
  FUZZ_CHECK(std::string_view(at + header, n) == payload);
  return header + n;
}

// A client and a server stream over connected test streams, past the handshake.
struct connection {
  boost::asio::io_context& ioc;
  ws_stream client{ioc};
  ws_stream server{ioc};

  explicit connection(boost::asio::io_context& io) : ioc(io) {
    client.next_layer().connect(server.next_layer());
    beast::error_code client_ec, server_ec;
    server.async_accept([&](beast::error_code ec) { server_ec = ec; });
    client.async_handshake("localhost", "/ws",
                           [&](beast::error_code ec) { client_ec = ec; });
    ioc.restart();
    ioc.run();
    FUZZ_CHECK(!client_ec && !server_ec);
  }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2)
    return 0;
  std::size_t read_size = data[0];
  std::size_t pieces = 1 + data[1] % 4;
  std::string_view payload{reinterpret_cast<const char*>(data) + 2, size - 2};

  std::vector<std::string_view> messages;
  std::vector<char> wire;
  for (std::size_t i = 0; i < pieces; ++i) {
    auto from = payload.size() * i / pieces, to = payload.size() * (i + 1) / pieces;
    messages.push_back(payload.substr(from, to - from));
    auto at = wire.size();
    chat::net::append_text_frame(wire, messages.back());
    FUZZ_CHECK(check_frame(wire.data() + at, messages.back()) == wire.size() - at);
  }

  static boost::asio::io_context ioc;
  connection c{ioc};
  if (read_size != 0)
    c.client.next_layer().read_size(read_size);
  c.client.next_layer().append({wire.data(), wire.size()});
  c.client.next_layer().close_remote(); // past the frames: end of stream, not a wait

  for (auto m : messages) {
    beast::flat_buffer buffer;
    beast::error_code ec;
    c.client.read(buffer, ec);
    if (!chat::fuzz::valid_utf8(m)) {
      FUZZ_CHECK(ec == websocket::error::bad_frame_payload);
      return 0;
    }
    FUZZ_CHECK(!ec);
    FUZZ_CHECK(c.client.got_text());
    FUZZ_CHECK(beast::buffers_to_string(buffer.data()) == m);
  }
  beast::flat_buffer rest;
  beast::error_code ec;
  c.client.read(rest, ec);
  FUZZ_CHECK(ec == boost::asio::error::eof && rest.size() == 0);
  return 0;
}
