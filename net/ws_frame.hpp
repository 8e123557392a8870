// The one WebSocket frame the server writes itself: an unfragmented text frame, unmasked
// (RFC 6455 5.2: a server never masks). Pure: bytes in, bytes appended; no socket, so the
// frame fuzz target can read what it writes back with Beast's own client-side reader.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace chat::net {

// Appends the header (FIN + opcode text, then the shortest length encoding) and the
// payload to `out`.
inline void append_text_frame(std::vector<char>& out, std::string_view payload) {
  unsigned char header[10];
  std::size_t h = 0;
  auto n = payload.size();
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
  out.insert(out.end(), payload.begin(), payload.end());
}

} // namespace chat::net
