// The WebSocket frames the server writes itself: an unfragmented text frame and an
// empty ping, unmasked (RFC 6455 5.2: a server never masks). Pure: bytes in, bytes
// appended; no socket, so the frame fuzz target can read what it writes back with
// Beast's own client-side reader.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace chat::net {

// Appends the header of an unfragmented text frame of `n` payload bytes: FIN + opcode
// text, then the shortest length encoding.
inline void append_text_header(std::vector<char>& out, std::size_t n) {
  unsigned char header[10];
  std::size_t h = 0;
  header[h++] = 0x81; // FIN, opcode text
  if (n < 126) {
    header[h++] = static_cast<unsigned char>(n);
  } else if (n <= 0xFFFF) {
    header[h++] = 126;
    header[h++] = static_cast<unsigned char>(n >> 8);
    header[h++] = static_cast<unsigned char>(n);
  } else {
    header[h++] = 127;
    for (int shift = 56; shift >= 0; shift -= 8)
      header[h++] = static_cast<unsigned char>(static_cast<std::uint64_t>(n) >> shift);
  }
  out.insert(out.end(), header, header + h);
}

// Appends the whole frame: header, then payload.
inline void append_text_frame(std::vector<char>& out, std::string_view payload) {
  append_text_header(out, payload.size());
  out.insert(out.end(), payload.begin(), payload.end());
}

// Appends a ping without payload (FIN + opcode ping, length 0): the liveness probe.
inline void append_ping_frame(std::vector<char>& out) {
  out.push_back(static_cast<char>(0x89));
  out.push_back(0);
}

} // namespace chat::net
