#include "app/config.hpp"

#include <caf/config_option_adder.hpp>
#include <caf/settings.hpp>
#include <fstream>
#include <map>

namespace chat {

namespace {

enum class kind { integer, duration, text, text_list };

// Every [chat] key, its type and its allowed range (integers and durations in ms).
struct rule {
  kind type;
  std::int64_t min;
  std::int64_t max;
};

const std::map<std::string, rule>& rules() {
  static const std::map<std::string, rule> xs{
      {"host", {kind::text, 0, 0}},
      {"port", {kind::integer, 0, 65535}},
      {"io-threads", {kind::integer, 1, 64}},
      {"max-frame-bytes", {kind::integer, 64, 16 << 20}},
      {"max-message-chars", {kind::integer, 1, 1 << 20}},
      {"ping-interval", {kind::duration, 10, 3600000}},
      {"pong-timeout", {kind::duration, 10, 3600000}},
      {"max-connections", {kind::integer, 1, 10000000}},
      {"node-name", {kind::text, 0, 0}},
      {"rate-limit", {kind::integer, 1, 1000000000}},
      {"rate-burst", {kind::integer, 1, 1000000000}},
      {"max-errors-in-row", {kind::integer, 1, 1000000}},
      {"max-outbound-bytes", {kind::integer, 1024, std::int64_t{1} << 34}},
      {"max-rooms", {kind::integer, 1, 10000000}},
      {"presence-max-members", {kind::integer, 0, 10000000}},
      {"history-size", {kind::integer, 0, 100000}},
      {"web-root", {kind::text, 0, 0}},
      {"allowed-origins", {kind::text_list, 0, 0}},
      {"api-key", {kind::text, 0, 0}},
  };
  return xs;
}

std::string check(const std::string& key, const rule& r, const caf::config_value& v) {
  auto name = "chat." + key;
  std::int64_t n = 0;
  switch (r.type) {
  case kind::text:
    if (!caf::holds_alternative<std::string>(v))
      return name + " must be a quoted string, got " + caf::to_string(v);
    return {};
  case kind::text_list:
    if (!caf::holds_alternative<caf::config_value::list>(v))
      return name + " must be a list of quoted strings, got " + caf::to_string(v);
    for (const auto& x : caf::get<caf::config_value::list>(v))
      if (!caf::holds_alternative<std::string>(x))
        return name + " must be a list of quoted strings, got " + caf::to_string(v);
    return {};
  case kind::integer:
    if (!caf::holds_alternative<caf::config_value::integer>(v))
      return name + " must be an integer, got " + caf::to_string(v);
    n = caf::get<caf::config_value::integer>(v);
    break;
  case kind::duration:
    if (!caf::holds_alternative<caf::timespan>(v))
      return name + " must be a duration such as 500ms or 9s, got " + caf::to_string(v);
    n = std::chrono::duration_cast<std::chrono::milliseconds>(caf::get<caf::timespan>(v))
            .count();
    break;
  }
  if (n < r.min || n > r.max)
    return name + " must be between " + std::to_string(r.min) + " and " +
           std::to_string(r.max) + (r.type == kind::duration ? " ms" : "") + ", got " +
           caf::to_string(v);
  return {};
}

} // namespace

chat_config::chat_config() {
  config_file_path = "caf-application.conf";
  opt_group{custom_options_, "chat"}
      .add(host, "host", "address to listen on (IPv4 or IPv6)")
      .add(port, "port,p", "TCP port for HTTP and WebSocket (0: any free port)")
      .add(io_threads, "io-threads", "threads running the network io_context")
      .add(max_frame_bytes, "max-frame-bytes",
           "largest client frame; bigger ones close with 1009")
      .add(max_message_chars, "max-message-chars", "longest chat message, in characters")
      .add(ping_interval, "ping-interval", "how often the server pings each client")
      .add(pong_timeout, "pong-timeout",
           "a client silent this long after a ping is dropped")
      .add(max_connections, "max-connections", "open WebSockets; more get HTTP 503")
      .add(node_name, "node-name", "this node's name in welcome (default host:port)")
      .add(rate_limit, "rate-limit", "client frames per second per connection")
      .add(rate_burst, "rate-burst", "frames a connection may send at once")
      .add(max_errors_in_row, "max-errors-in-row",
           "protocol errors in a row before close 1008")
      .add(max_outbound_bytes, "max-outbound-bytes",
           "queued bytes per client before close 1013")
      .add(max_rooms, "max-rooms", "rooms the server holds at most")
      .add(presence_max_members, "presence-max-members",
           "rooms bigger than this send no user_joined/user_left")
      .add(history_size, "history-size", "messages each room keeps for history")
      .add(web_root, "web-root", "folder served at / (the chat page)")
      .add(allowed_origins, "allowed-origins",
           "Origins allowed to open /ws, e.g. [\"https://chat.example\"] (empty: same "
           "host)")
      .add(api_key, "api-key", "Bearer token the REST API requires (empty: none)");
}

std::string chat_config::help_text() const {
  return custom_options_.help_text(false);
}

// CAF drops a value of the wrong type without a word, so the file is read a second time
// untyped; the merged content then catches ranges set on the command line.
std::string chat_config::validate() const {
  if (!std::ifstream{config_file_path})
    return "cannot read config file \"" + config_file_path + "\"";
  auto raw = parse_config_file(config_file_path.c_str());
  if (!raw)
    return "cannot parse config file \"" + config_file_path +
           "\": " + render(raw.error());
  const caf::settings* dicts[] = {&*raw, &content};
  for (const auto* dict : dicts) {
    auto section = dict->find("chat");
    if (section == dict->end())
      continue;
    if (!caf::holds_alternative<caf::settings>(section->second))
      return "chat must be a section";
    for (const auto& [key, value] : caf::get<caf::settings>(section->second)) {
      auto r = rules().find(key);
      if (r == rules().end())
        return "unknown setting chat." + key + " (see docs/configuration.md)";
      if (auto err = check(key, r->second, value); !err.empty())
        return err;
    }
  }
  return {};
}

chat_limits chat_config::actor_limits(unsigned short bound_port) const {
  chat_limits l;
  l.node_name = node_name.empty() ? host + ":" + std::to_string(bound_port) : node_name;
  l.max_connections = max_connections;
  l.ping_interval = std::chrono::duration_cast<std::chrono::milliseconds>(ping_interval);
  l.pong_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(pong_timeout);
  l.decode.max_message_chars = max_message_chars;
  l.rate_limit = static_cast<double>(rate_limit);
  l.rate_burst = static_cast<double>(rate_burst);
  l.max_errors_in_row = max_errors_in_row;
  l.max_rooms = max_rooms;
  l.presence_max_members = presence_max_members;
  l.history_size = history_size;
  return l;
}

net::net_limits chat_config::transport_limits() const {
  net::net_limits l;
  l.io_threads = static_cast<unsigned>(io_threads);
  l.max_frame_bytes = max_frame_bytes;
  l.max_outbound_bytes = max_outbound_bytes;
  l.web_root = web_root;
  // A peer that cannot take a close frame for as long as it may stay silent is gone.
  l.close_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(pong_timeout);
  l.allowed_origins = allowed_origins;
  return l;
}

} // namespace chat
