#include "actors/metrics.hpp"

#include <chrono>
#include <iterator>
#include <sstream>
#include <utility>

namespace chat {

namespace {

constexpr const char* close_names[] = {"1008", "1009", "1013", "pong_timeout"};

auto load(const std::atomic<std::uint64_t>& x) {
  return x.load(std::memory_order_relaxed);
}
auto load(const std::atomic<std::int64_t>& x) {
  return x.load(std::memory_order_relaxed);
}

void header(std::ostringstream& out, const char* name, const char* type,
            const char* help) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

// A Prometheus label value: backslash, double quote and newline escaped.
std::string label(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"')
      out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

} // namespace

const char* to_string(metrics::amqp_state s) {
  switch (s) {
  case metrics::amqp_state::disabled:
    return "disabled";
  case metrics::amqp_state::connecting:
    return "connecting";
  case metrics::amqp_state::connected:
    return "connected";
  case metrics::amqp_state::down:
    return "down";
  }
  return "disabled";
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void metrics::observe_broadcast(std::int64_t nanos) {
  if (nanos < 0)
    nanos = 0;
  auto secs = static_cast<double>(nanos) / 1e9;
  std::size_t i = 0;
  while (i < bounds_s.size() && secs > bounds_s[i])
    ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  broadcast_count_.fetch_add(1, std::memory_order_relaxed);
  broadcast_sum_ns_.fetch_add(static_cast<std::uint64_t>(nanos),
                              std::memory_order_relaxed);
}

peer_traffic& metrics::peer(const std::string& node) {
  std::lock_guard<std::mutex> guard{peers_mutex_};
  auto& p = peers_[node];
  if (!p)
    p = std::make_unique<peer_traffic>();
  return *p;
}

std::string metrics::render() const {
  std::ostringstream out;
  header(out, "chat_connections_open", "gauge", "WebSocket connections open now.");
  out << "chat_connections_open " << load(connections_open) << '\n';
  header(out, "chat_connections_accepted_total", "counter",
         "WebSocket connections admitted.");
  out << "chat_connections_accepted_total " << load(connections_accepted) << '\n';
  header(out, "chat_messages_received_total", "counter",
         "Text frames received from clients.");
  out << "chat_messages_received_total " << load(messages_received) << '\n';
  header(out, "chat_deliveries_total", "counter", "Frames handed to client sessions.");
  out << "chat_deliveries_total " << load(deliveries) << '\n';
  header(out, "chat_errors_total", "counter", "Error events sent to clients, by code.");
  for (std::size_t i = 0; i < protocol_code_count; ++i)
    out << "chat_errors_total{code=\"" << protocol_code_names[i] << "\"} "
        << load(errors[i]) << '\n';
  header(out, "chat_clients_closed_total", "counter",
         "Clients closed by the server, by reason.");
  for (int i = 0; i < close_kinds; ++i)
    out << "chat_clients_closed_total{reason=\"" << close_names[i] << "\"} "
        << load(closes[static_cast<std::size_t>(i)]) << '\n';
  header(out, "chat_rooms", "gauge", "Rooms the server holds.");
  out << "chat_rooms " << load(rooms) << '\n';
  header(out, "chat_outbound_queue_bytes", "gauge",
         "Bytes queued for clients, all sessions.");
  out << "chat_outbound_queue_bytes " << load(outbound_queue_bytes) << '\n';
  if (authenticating) {
    header(out, "chat_auth_refusals_total", "counter",
           "WebSocket upgrades refused with 401, by reason.");
    for (std::size_t i = 0; i < auth_refusal_count; ++i)
      out << "chat_auth_refusals_total{reason=\"" << auth_refusal_names[i] << "\"} "
          << load(auth_refusals[i]) << '\n';
  }
  header(out, "chat_history_stored_total", "counter",
         "Messages committed to the history store.");
  out << "chat_history_stored_total " << load(history_stored) << '\n';
  header(out, "chat_history_write_errors_total", "counter",
         "Failed writes to the history store (each is retried).");
  out << "chat_history_write_errors_total " << load(history_write_errors) << '\n';
  header(out, "chat_history_unstored", "gauge",
         "Messages broadcast and waiting for the history store (unacked).");
  out << "chat_history_unstored " << load(history_unstored) << '\n';
  header(out, "chat_history_dropped_total", "counter",
         "Messages given up because the history store failed for too long.");
  out << "chat_history_dropped_total " << load(history_dropped) << '\n';
  if (amqp.load(std::memory_order_relaxed) != amqp_state::disabled) {
    const std::pair<const char*, const std::atomic<std::uint64_t>*> counts[] = {
        {"published", &amqp_published},
        {"confirmed", &amqp_confirmed},
        {"consumed", &amqp_consumed},
        {"rejected", &amqp_rejected},
        {"dropped", &amqp_dropped}};
    const char* help[] = {
        "Messages published to the AMQP exchange.",
        "Published messages the broker confirmed.",
        "Posts from the inbound queue that a room accepted (acked).",
        "Inbound bodies rejected as invalid (not requeued).",
        "Outbound messages lost: broker away, nacked, unconfirmed at a disconnect, or "
        "over the unconfirmed bound."};
    for (std::size_t i = 0; i < std::size(counts); ++i) {
      auto name = std::string{"chat_amqp_"} + counts[i].first + "_total";
      header(out, name.c_str(), "counter", help[i]);
      out << name << ' ' << load(*counts[i].second) << '\n';
    }
    header(out, "chat_amqp_state", "gauge",
           "The AMQP bridge's state: 1 for the current one.");
    auto now = amqp.load(std::memory_order_relaxed);
    for (auto s : {amqp_state::connecting, amqp_state::connected, amqp_state::down})
      out << "chat_amqp_state{state=\"" << to_string(s) << "\"} " << (s == now ? 1 : 0)
          << '\n';
  }
  header(out, "chat_broadcast_seconds", "histogram",
         "Time from receiving a send_message to handing its broadcast to the members.");
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < bounds_s.size(); ++i) {
    cumulative += load(buckets_[i]);
    out << "chat_broadcast_seconds_bucket{le=\"" << bounds_s[i] << "\"} " << cumulative
        << '\n';
  }
  cumulative += load(buckets_[bounds_s.size()]);
  out << "chat_broadcast_seconds_bucket{le=\"+Inf\"} " << cumulative << '\n';
  out << "chat_broadcast_seconds_sum "
      << static_cast<double>(load(broadcast_sum_ns_)) / 1e9 << '\n';
  out << "chat_broadcast_seconds_count " << load(broadcast_count_) << '\n';
  if (!clustered)
    return out.str();
  header(out, "chat_cluster_peers", "gauge",
         "Other nodes of the cluster that are up now.");
  out << "chat_cluster_peers " << load(cluster_peers) << '\n';
  std::lock_guard<std::mutex> guard{peers_mutex_};
  header(out, "chat_cluster_messages_total", "counter",
         "Messages to and from each peer node.");
  for (const auto& [node, t] : peers_) {
    out << "chat_cluster_messages_total{peer=\"" << label(node)
        << "\",direction=\"out\"} " << load(t->messages_out) << '\n';
    out << "chat_cluster_messages_total{peer=\"" << label(node) << "\",direction=\"in\"} "
        << load(t->messages_in) << '\n';
  }
  header(out, "chat_cluster_bytes_total", "counter",
         "Payload bytes (frames, message text) to and from each peer node.");
  for (const auto& [node, t] : peers_) {
    out << "chat_cluster_bytes_total{peer=\"" << label(node) << "\",direction=\"out\"} "
        << load(t->bytes_out) << '\n';
    out << "chat_cluster_bytes_total{peer=\"" << label(node) << "\",direction=\"in\"} "
        << load(t->bytes_in) << '\n';
  }
  return out.str();
}

} // namespace chat
