// The one way net/ builds an HTTP response: pages, endpoint answers and refusals.
#pragma once

#include "net/beast.hpp"

#include <memory>
#include <string>

namespace chat::net {

using http_response = http::response<http::string_body>;

inline std::shared_ptr<http_response> make_response(unsigned status, unsigned version,
                                                    const std::string& content_type,
                                                    std::string body, bool keep_alive) {
  auto res = std::make_shared<http_response>(static_cast<http::status>(status), version);
  res->set(http::field::server, "actor-chat");
  res->set(http::field::content_type, content_type);
  res->keep_alive(keep_alive);
  res->body() = std::move(body);
  res->prepare_payload();
  return res;
}

} // namespace chat::net
