// Clients for a chatd whose port speaks TLS (Boost.Beast over OpenSSL): wss:// and
// https:// to localhost, trusting only the certificate the test made. Every operation is
// bounded by a timeout.
#pragma once

#include "tests/support/ws_client.hpp"

#include <boost/json.hpp>
#include <chrono>
#include <memory>
#include <string>

namespace chat::test {

// One HTTPS request over a fresh connection to 127.0.0.1:port, which must present a
// certificate for "localhost" signed by (or being) `ca_file`.
http_reply https_request(unsigned short port, const std::string& ca_file,
                         const std::string& target, const std::string& method = "GET",
                         const std::string& body = {});

class wss_client {
public:
  // Connects to wss://localhost:port<target> (127.0.0.1), trusting only `ca_file`;
  // throws on failure (an untrusted certificate included) or timeout.
  wss_client(unsigned short port, const std::string& ca_file,
             const std::string& target = "/ws");
  ~wss_client();
  wss_client(wss_client&&) noexcept;

  // Connects and returns the HTTP status of a refused upgrade (0 when it was accepted).
  static unsigned refused_status(unsigned short port, const std::string& ca_file,
                                 const std::string& target = "/ws");

  void send(const std::string& text);
  // Reads the next event; throws on timeout or close.
  boost::json::object next(std::chrono::milliseconds timeout = default_wait);
  // Reads until an event of `type` arrives; throws on timeout or close.
  boost::json::object expect(const std::string& type,
                             std::chrono::milliseconds timeout = default_wait);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace chat::test
