// A WebSocket client that writes whatever bytes a test wants: RFC 6455 frames built by
// hand (masked or not, any opcode, any reserved bits, any length claim), over a plain
// TCP socket. For torture tests; every read is bounded by a timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace chat::test {

// One frame of RFC 6455. `first` is the byte with FIN, RSV1-3 and the opcode (0x81: a
// final text frame). Masked with a fixed key unless `masked` is false. `claimed_length`
// replaces the length field (the payload written stays `payload`).
std::string ws_frame(std::uint8_t first, std::string_view payload, bool masked = true,
                     std::optional<std::uint64_t> claimed_length = std::nullopt);

class raw_socket {
public:
  explicit raw_socket(unsigned short port); // connects to 127.0.0.1:port
  ~raw_socket();
  raw_socket(raw_socket&& other) noexcept;
  raw_socket(const raw_socket&) = delete;

  // Writes all of `bytes`; false when the peer has gone.
  bool write(std::string_view bytes);
  // Appends what arrives within `timeout` to `into`; false on timeout, EOF or reset.
  bool read_some(std::string& into, std::chrono::milliseconds timeout);
  // Waits until the server ends the connection; false if it is still open at `timeout`.
  bool wait_closed(std::chrono::milliseconds timeout);
  // Ends it abruptly (RST).
  void cut();
  int fd() const { return fd_; }

private:
  int fd_ = -1;
};

struct server_frame {
  std::uint8_t opcode = 0;
  bool fin = false;
  std::string payload;
};

class raw_ws {
public:
  // Connects and upgrades `target`; throws unless the server answers 101.
  raw_ws(unsigned short port, const std::string& target = "/ws");

  bool send(std::string_view bytes) { return sock_.write(bytes); }
  // The next frame from the server; throws on timeout or when the connection ends.
  server_frame next(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // The next text frame, skipping control frames; throws as next() does.
  std::string next_text(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Reads until the server's close frame and returns its code (0: the connection ended
  // without one). Throws when the connection is still open after `timeout`.
  int close_code(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  raw_socket& socket() { return sock_; }

private:
  bool parse(server_frame& f); // one whole frame from buf_, if there is one
  raw_socket sock_;
  std::string buf_;
};

// The response to `request` written on a fresh connection, up to the server's close (or
// `timeout`): the status line and the rest.
std::string http_exchange(unsigned short port, const std::string& request,
                          std::chrono::milliseconds timeout = std::chrono::seconds(5));

} // namespace chat::test
