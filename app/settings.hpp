// Everything the [chat] section sets, and the one table of its keys.
//
// Each key is one row of visit_chat_keys(): its name, the field it sets, its allowed
// range and its help text. Its default is the field's initializer (below, or in
// base/limits.hpp), read back from a default-constructed chat_settings; nothing else
// states it. The table feeds CAF's options, the validation of the file and the command
// line, `chatd --help`, and the test that caf-application.conf and docs/configuration.md
// document every key.
#pragma once

#include "base/limits.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace chat {

struct chat_settings {
  std::string host = "0.0.0.0";
  std::uint16_t port = 3000;
  std::size_t io_threads = 1;
  std::string node_name; // empty: this machine's host name and the HTTP port
  std::string web_root = "web";
  std::vector<std::string> allowed_origins; // empty: same host only
  std::string api_key;                      // empty: the REST API is open
  std::string log_level = "info";
  std::uint16_t cluster_port = 0; // 0: a single node
  std::string cluster_host = "127.0.0.1";
  std::vector<std::string> cluster_join;
  std::string cluster_cert_file;
  std::string cluster_key_file;
  std::string cluster_ca_file;
  std::string history_db = "chat-history.db"; // empty: history in memory only
  std::string history_max_age = "0";          // base/age.hpp; 0: forever
  std::string history_sync = "normal";
  std::string jwt_secret;          // HS256; empty: no authentication (unless a key file)
  std::string jwt_public_key_file; // RS256/ES256 (PEM)
  std::string jwt_audience;
  std::string jwt_issuer;
  std::string tls_cert_file; // with tls_key_file: the port is TLS only
  std::string tls_key_file;
  std::string amqp_url; // empty: no AMQP bridge
  std::string amqp_exchange = "chat";
  std::string amqp_inbound_queue = "chat.inbound";
  bool amqp_publish_direct = false;

  bool authenticating() const {
    return !jwt_secret.empty() || !jwt_public_key_file.empty();
  }
  chat::limits limits;

  bool clustered() const { return cluster_port != 0; }
  bool cluster_tls() const { return !cluster_cert_file.empty(); }
  bool tls() const { return !tls_cert_file.empty(); }
  bool amqp() const { return !amqp_url.empty(); }
};

// What a key accepts beyond its type (a text, a list of texts, an integer, a duration or
// a boolean): integers (durations in milliseconds) between
// `min` and `max`; texts one of `choices` when there are any.
struct key_rule {
  std::int64_t min = 0;
  std::int64_t max = 0;
  std::vector<std::string_view> choices;
};

inline key_rule between(std::int64_t min, std::int64_t max) {
  return {min, max, {}};
}
inline key_rule any_text() {
  return {};
}
inline key_rule one_of(std::vector<std::string_view> choices) {
  return {0, 0, std::move(choices)};
}

constexpr std::int64_t unbounded = std::int64_t{1} << 40;

// The table. `v(name, field, rule, help)`; a name "port,p" also gives the short flag -p.
template <class Visitor> void visit_chat_keys(chat_settings& s, Visitor&& v) {
  auto& l = s.limits;
  v("host", s.host, any_text(), "address to listen on (IPv4 or IPv6 literal)");
  v("port,p", s.port, between(0, 65535),
    "TCP port for HTTP and the WebSocket endpoint /ws (0: any free port)");
  v("io-threads", s.io_threads, between(1, 64), "threads running the network io_context");
  v("max-frame-bytes", l.max_frame_bytes, between(64, 16 << 20),
    "largest frame a client may send; a bigger one closes that client with 1009");
  v("max-message-chars", l.max_message_chars, between(1, 1 << 20),
    "longest chat message, in characters");
  v("ping-interval", l.ping_interval, between(10, 3600000),
    "a client silent this long is pinged (one that talks is never pinged)");
  v("pong-timeout", l.pong_timeout, between(10, 3600000),
    "a client that has not answered a ping after this long is dropped");
  v("handshake-timeout", l.handshake_timeout, between(100, 600000),
    "each HTTP request must arrive whole, and a WebSocket handshake complete, within "
    "this time");
  v("max-connections", l.max_connections, between(1, 10000000),
    "open WebSocket connections; upgrades beyond it get HTTP 503");
  v("node-name", s.node_name, any_text(),
    "this node's name in `welcome` (empty: host:port)");
  v("rate-limit", l.rate_limit, between(1, unbounded),
    "client frames per second per connection (token bucket)");
  v("rate-burst", l.rate_burst, between(1, unbounded),
    "frames a connection may send at once; over it: error rate_limited");
  v("max-errors-in-row", l.max_errors_in_row, between(1, 1000000),
    "protocol errors in a row before the client is closed with 1008");
  v("max-outbound-bytes", l.max_outbound_bytes, between(1024, std::int64_t{1} << 34),
    "bytes queued for one client before it is closed with 1013 (slow consumer)");
  v("max-rooms", l.max_rooms, between(1, 10000000),
    "rooms the server holds; at the bound an empty room is released, else change_room "
    "fails");
  v("presence-interval", l.presence_interval, between(0, 60000),
    "presence changes of a room go out together, as one presence_diff per interval");
  v("presence-max-members", l.presence_max_members, between(0, 10000000),
    "rooms with more members than this send no presence_diff; users lists are capped "
    "at this many names");
  v("history-size", l.history_size, between(0, 100000),
    "messages each room keeps for `history`");
  v("history-db", s.history_db, any_text(),
    "SQLite file of the rooms' history (created when missing); \"\": keep only the last "
    "history-size messages of each room in memory");
  v("history-sync", s.history_sync, one_of({"normal", "full"}),
    "normal: an acked message survives a crash of chatd; full: also a power cut (one "
    "fsync per commit)");
  v("join-history", l.join_history, between(0, 200),
    "messages a client gets in a `history` event when it joins a room");
  v("resume-max", l.resume_max, between(1, 100000),
    "most missed messages a client resuming with `since` gets; beyond it the newest ones "
    "and error history_truncated");
  v("history-max-age", s.history_max_age, any_text(),
    "stored messages older than this are removed, e.g. \"30d\", \"12h\", \"90min\" "
    "(\"0\": kept forever)");
  v("history-max-per-room", l.history_max_per_room, between(0, unbounded),
    "stored messages kept per room, the newest (0: no bound)");
  v("jwt-secret", s.jwt_secret, any_text(),
    "HS256 secret (32+ characters): /ws then requires a token (?token= or Authorization: "
    "Bearer) whose sub is the user; empty: no login");
  v("jwt-public-key-file", s.jwt_public_key_file, any_text(),
    "PEM public key (RSA: RS256, EC P-256: ES256) that verifies login tokens, instead of "
    "jwt-secret");
  v("jwt-audience", s.jwt_audience, any_text(), "when set, a token's aud must name it");
  v("jwt-issuer", s.jwt_issuer, any_text(), "when set, a token's iss must be it");
  v("web-root", s.web_root, any_text(),
    "folder served at / (the chat page), relative to the working directory");
  v("tls-cert-file", s.tls_cert_file, any_text(),
    "PEM certificate (chain) of this server; with tls-key-file the port serves https:// "
    "and wss:// only (TLS 1.2 and 1.3); empty: plain http:// and ws://");
  v("tls-key-file", s.tls_key_file, any_text(),
    "PEM private key of tls-cert-file (unencrypted)");
  v("allowed-origins", s.allowed_origins, any_text(),
    "origins whose pages may open /ws, e.g. [\"https://chat.example\"]; empty: same host "
    "only");
  v("api-key", s.api_key, any_text(),
    "token the REST API requires as `Authorization: Bearer <api-key>`; empty: none");
  v("log-level", s.log_level, one_of({"error", "warning", "info", "debug"}),
    "least severe log lines written to stderr: error, warning, info or debug");
  v("cluster-port", s.cluster_port, between(0, 65535),
    "TCP port where this node listens for the other nodes of its cluster (0: a single "
    "node)");
  v("cluster-host", s.cluster_host, any_text(),
    "address the cluster port listens on and the other nodes reach this node at (IP "
    "literal; keep it private unless node links use TLS)");
  v("cluster-join", s.cluster_join, any_text(),
    "nodes to join at start, e.g. [\"10.0.0.2:4000\"]; retried with backoff while "
    "unreachable; one member is enough");
  v("cluster-cert-file", s.cluster_cert_file, any_text(),
    "PEM certificate of this node for TLS between nodes (with cluster-key-file and "
    "cluster-ca-file)");
  v("cluster-key-file", s.cluster_key_file, any_text(),
    "PEM private key of cluster-cert-file");
  v("cluster-ca-file", s.cluster_ca_file, any_text(),
    "PEM certificate of the CA that signs every node's certificate; a node without one "
    "cannot join");
  v("amqp-url", s.amqp_url, any_text(),
    "AMQP 0-9-1 broker (RabbitMQ) to bridge rooms to, e.g. "
    "\"amqp://user:password@127.0.0.1:5672/\"; empty: no bridge (docs/integrations.md)");
  v("amqp-exchange", s.amqp_exchange, any_text(),
    "topic exchange (declared durable) that every room message is published to, with "
    "routing key room.<room>");
  v("amqp-inbound-queue", s.amqp_inbound_queue, any_text(),
    "queue (declared durable) whose messages {\"room\",\"from\",\"message\"} are posted "
    "into rooms");
  v("amqp-publish-direct", s.amqp_publish_direct, any_text(),
    "also publish direct messages, with routing key direct.<to>");
}

// "port,p" -> "port".
inline std::string_view key_name(std::string_view table_name) {
  return table_name.substr(0, table_name.find(','));
}

} // namespace chat
