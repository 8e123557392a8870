#include "tests/support/raw_ws.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

namespace chat::test {

namespace {
constexpr unsigned char mask_key[4] = {0x12, 0x34, 0x56, 0x78};
}

std::string ws_frame(std::uint8_t first, std::string_view payload, bool masked,
                     std::optional<std::uint64_t> claimed_length) {
  std::string out;
  out += static_cast<char>(first);
  auto n = claimed_length.value_or(payload.size());
  auto mask_bit = static_cast<unsigned char>(masked ? 0x80 : 0);
  if (n < 126) {
    out += static_cast<char>(mask_bit | n);
  } else if (n <= 0xFFFF) {
    out += static_cast<char>(mask_bit | 126);
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(n & 0xFF);
  } else {
    out += static_cast<char>(mask_bit | 127);
    for (int shift = 56; shift >= 0; shift -= 8)
      out += static_cast<char>((n >> shift) & 0xFF);
  }
  if (masked) {
    out.append(reinterpret_cast<const char*>(mask_key), 4);
    for (std::size_t i = 0; i < payload.size(); ++i)
      out += static_cast<char>(payload[i] ^ static_cast<char>(mask_key[i % 4]));
  } else {
    out += payload;
  }
  return out;
}

raw_socket::raw_socket(unsigned short port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0)
    throw std::runtime_error("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    throw std::runtime_error("connect() failed");
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

raw_socket::~raw_socket() {
  if (fd_ >= 0)
    ::close(fd_);
}

raw_socket::raw_socket(raw_socket&& other) noexcept : fd_(other.fd_) {
  other.fd_ = -1;
}

bool raw_socket::write(std::string_view bytes) {
  while (!bytes.empty()) {
    auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0)
      return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool raw_socket::read_some(std::string& into, std::chrono::milliseconds timeout) {
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0)
    return false;
  char buf[16384];
  auto n = ::recv(fd_, buf, sizeof buf, 0);
  if (n <= 0)
    return false;
  into.append(buf, static_cast<std::size_t>(n));
  return true;
}

bool raw_socket::wait_closed(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
      return false;
    char buf[16384];
    auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0)
      return true; // EOF or reset: the server ended it
  }
}

void raw_socket::cut() {
  linger l{1, 0}; // close() then sends RST
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd_);
  fd_ = -1;
}

raw_ws::raw_ws(unsigned short port, const std::string& target) : sock_(port) {
  sock_.write("GET " + target +
              " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: "
              "Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
              "Sec-WebSocket-Version: 13\r\n\r\n");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  std::size_t end;
  while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !sock_.read_some(buf_, left))
      throw std::runtime_error("no upgrade response: " + buf_);
  }
  if (buf_.rfind("HTTP/1.1 101", 0) != 0)
    throw std::runtime_error("upgrade refused: " + buf_.substr(0, end));
  buf_.erase(0, end + 4);
}

bool raw_ws::parse(server_frame& f) {
  if (buf_.size() < 2)
    return false;
  auto b0 = static_cast<unsigned char>(buf_[0]);
  auto b1 = static_cast<unsigned char>(buf_[1]);
  std::size_t at = 2;
  std::uint64_t n = b1 & 0x7F;
  if (n == 126) {
    if (buf_.size() < 4)
      return false;
    n = (static_cast<unsigned char>(buf_[2]) << 8) | static_cast<unsigned char>(buf_[3]);
    at = 4;
  } else if (n == 127) {
    if (buf_.size() < 10)
      return false;
    n = 0;
    for (int i = 0; i < 8; ++i)
      n = (n << 8) | static_cast<unsigned char>(buf_[2 + static_cast<std::size_t>(i)]);
    at = 10;
  }
  if (buf_.size() < at + n)
    return false;
  f.fin = (b0 & 0x80) != 0;
  f.opcode = b0 & 0x0F;
  f.payload = buf_.substr(at, n);
  buf_.erase(0, at + n);
  return true;
}

server_frame raw_ws::next(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  server_frame f;
  while (!parse(f)) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !sock_.read_some(buf_, left))
      throw std::runtime_error("no frame from the server");
  }
  return f;
}

std::string raw_ws::next_text(std::chrono::milliseconds timeout) {
  for (;;) {
    auto f = next(timeout);
    if (f.opcode == 0x1)
      return f.payload;
  }
}

int raw_ws::close_code(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  server_frame f;
  for (;;) {
    while (parse(f))
      if (f.opcode == 0x8)
        return f.payload.size() >= 2 ? (static_cast<unsigned char>(f.payload[0]) << 8) |
                                           static_cast<unsigned char>(f.payload[1])
                                     : 1005;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      throw std::runtime_error("the connection is still open");
    if (!sock_.read_some(buf_, left)) {
      if (std::chrono::steady_clock::now() >= deadline)
        throw std::runtime_error("the connection is still open");
      return 0; // ended without a close frame
    }
  }
}

std::string http_exchange(unsigned short port, const std::string& request,
                          std::chrono::milliseconds timeout) {
  raw_socket s{port};
  s.write(request);
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !s.read_some(out, left))
      return out;
  }
}

} // namespace chat::test
