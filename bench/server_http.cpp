#include "server_http.hpp"

#include <arpa/inet.h>
#include <boost/json.hpp>
#include <charconv>
#include <netinet/in.h>
#include <sstream>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace bench {

namespace {

// Closes the descriptor on every way out.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0)
      ::close(fd);
  }
};

} // namespace

std::optional<std::string> http_get(const std::string& ipv4, std::uint16_t port,
                                    const std::string& path, double timeout_s) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (inet_pton(AF_INET, ipv4.c_str(), &addr.sin_addr) != 1)
    return std::nullopt;
  Fd s{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (s.fd < 0)
    return std::nullopt;
  // SO_SNDTIMEO also bounds connect(); SO_RCVTIMEO each read.
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout_s);
  tv.tv_usec =
      static_cast<suseconds_t>((timeout_s - static_cast<double>(tv.tv_sec)) * 1e6);
  setsockopt(s.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(s.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::connect(s.fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
    return std::nullopt;
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + ipv4 + ":" +
                              std::to_string(port) + "\r\nConnection: close\r\n\r\n";
  if (::send(s.fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size()))
    return std::nullopt;
  std::string answer;
  char buf[4096];
  for (;;) { // Connection: close: the answer ends at EOF
    const ssize_t n = ::recv(s.fd, buf, sizeof buf, 0);
    if (n < 0)
      return std::nullopt;
    if (n == 0)
      break;
    answer.append(buf, static_cast<std::size_t>(n));
    if (answer.size() > (1 << 20))
      return std::nullopt;
  }
  if (answer.rfind("HTTP/1.1 200", 0) != 0)
    return std::nullopt;
  const auto body = answer.find("\r\n\r\n");
  if (body == std::string::npos)
    return std::nullopt;
  return answer.substr(body + 4);
}

std::optional<std::uint64_t> healthz_connections(const std::string& ipv4,
                                                 std::uint16_t port) {
  const auto body = http_get(ipv4, port, "/healthz");
  if (!body)
    return std::nullopt;
  boost::json::error_code ec;
  const boost::json::value v = boost::json::parse(*body, ec);
  if (ec || !v.is_object())
    return std::nullopt;
  const auto* n = v.as_object().if_contains("connections");
  if (n == nullptr || !n->is_number())
    return std::nullopt;
  const auto count = n->to_number<std::int64_t>(ec);
  if (ec || count < 0)
    return std::nullopt;
  return static_cast<std::uint64_t>(count);
}

std::map<std::string, std::uint64_t> metric_by_label(const std::string& exposition,
                                                     const std::string& name,
                                                     const std::string& label) {
  // Lines like: chat_clients_closed_total{reason="1013"} 544
  std::map<std::string, std::uint64_t> out;
  const std::string prefix = name + "{" + label + "=\"";
  std::istringstream lines(exposition);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(prefix, 0) != 0)
      continue;
    const auto end = line.find("\"} ", prefix.size());
    if (end == std::string::npos)
      continue;
    std::uint64_t value = 0;
    const char* first = line.data() + end + 3;
    const char* last = line.data() + line.size();
    if (std::from_chars(first, last, value).ec != std::errc{})
      continue;
    out[line.substr(prefix.size(), end - prefix.size())] = value;
  }
  return out;
}

} // namespace bench
