#include "bridge/amqp_link.hpp"

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <sys/time.h>
#include <vector>

namespace chat {

namespace {

constexpr amqp_channel_t channel = 1; // publishing and consuming share it
constexpr int frame_max = 131072;     // rabbitmq-c's default

amqp_bytes_t bytes_of(const std::string& s) {
  return amqp_bytes_t{s.size(), const_cast<char*>(s.data())};
}

timeval timeval_of(std::chrono::milliseconds d) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}

std::string text_of(amqp_bytes_t b) {
  return {static_cast<const char*>(b.bytes), b.len};
}

// The broker's reason for closing the channel or connection.
std::string close_reason(const amqp_method_t& m) {
  if (m.id == AMQP_CONNECTION_CLOSE_METHOD) {
    auto* c = static_cast<amqp_connection_close_t*>(m.decoded);
    return "connection closed by the broker: " + std::to_string(c->reply_code) + " " +
           text_of(c->reply_text);
  }
  if (m.id == AMQP_CHANNEL_CLOSE_METHOD) {
    auto* c = static_cast<amqp_channel_close_t*>(m.decoded);
    return "channel closed by the broker: " + std::to_string(c->reply_code) + " " +
           text_of(c->reply_text);
  }
  return "unexpected method from the broker";
}

} // namespace

std::string amqp_address::describe() const {
  return host + ":" + std::to_string(port) + " vhost " + vhost;
}

std::optional<amqp_address> parse_amqp_url(const std::string& url, std::string& why) {
  if (url.rfind("amqps://", 0) == 0) {
    why = "amqps:// (TLS) is not supported; use amqp://";
    return std::nullopt;
  }
  if (url.rfind("amqp://", 0) != 0) {
    why = "must start with amqp://";
    return std::nullopt;
  }
  std::vector<char> buf(url.begin(), url.end()); // parsed in place
  buf.push_back('\0');
  amqp_connection_info info;
  amqp_default_connection_info(&info);
  if (amqp_parse_url(buf.data(), &info) != AMQP_STATUS_OK) {
    why = "must be amqp://user:password@host:port/vhost";
    return std::nullopt;
  }
  if (info.host == nullptr || *info.host == '\0') {
    why = "names no host";
    return std::nullopt;
  }
  amqp_address a;
  a.host = info.host;
  a.port = info.port;
  a.user = info.user ? info.user : "guest";
  a.password = info.password ? info.password : "guest";
  // RabbitMQ has no vhost "": amqp://host:port/ means the default one, as it does for
  // most clients (rabbitmq-c alone reads it as "" and the login fails).
  a.vhost = info.vhost && *info.vhost != '\0' ? info.vhost : "/";
  return a;
}

amqp_link::amqp_link(amqp_address where, amqp_options opts)
    : where_(std::move(where)), opts_(std::move(opts)) {}

amqp_link::~amqp_link() {
  close();
}

bool amqp_link::fail(const std::string& what) {
  error_ = what;
  if (conn_) {
    amqp_destroy_connection(conn_); // no goodbye: the connection is broken
    conn_ = nullptr;
  }
  return false;
}

bool amqp_link::check_rpc(const char* what) {
  auto r = amqp_get_rpc_reply(conn_);
  switch (r.reply_type) {
  case AMQP_RESPONSE_NORMAL:
    return true;
  case AMQP_RESPONSE_SERVER_EXCEPTION:
    return fail(std::string{what} + ": " + close_reason(r.reply));
  case AMQP_RESPONSE_LIBRARY_EXCEPTION:
    return fail(std::string{what} + ": " + amqp_error_string2(r.library_error));
  default:
    return fail(std::string{what} + ": no reply");
  }
}

bool amqp_link::open() {
  close();
  next_seq_ = 0;
  conn_ = amqp_new_connection();
  auto* sock = amqp_tcp_socket_new(conn_);
  if (!sock)
    return fail("cannot create a socket");
  auto tv = timeval_of(opts_.timeout);
  if (int rc = amqp_socket_open_noblock(sock, where_.host.c_str(), where_.port, &tv);
      rc != AMQP_STATUS_OK)
    return fail(std::string{"cannot connect: "} + amqp_error_string2(rc));
  amqp_set_rpc_timeout(conn_, &tv);
  auto login =
      amqp_login(conn_, where_.vhost.c_str(), 0, frame_max, opts_.heartbeat_s,
                 AMQP_SASL_METHOD_PLAIN, where_.user.c_str(), where_.password.c_str());
  if (login.reply_type != AMQP_RESPONSE_NORMAL)
    return fail(login.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION
                    ? "login refused: " + close_reason(login.reply)
                    : std::string{"login failed: "} +
                          amqp_error_string2(login.library_error));
  amqp_channel_open(conn_, channel);
  if (!check_rpc("channel.open"))
    return false;
  amqp_confirm_select(conn_, channel);
  if (!check_rpc("confirm.select"))
    return false;
  amqp_exchange_declare(conn_, channel, bytes_of(opts_.exchange),
                        amqp_cstring_bytes("topic"), 0, 1, 0, 0, amqp_empty_table);
  if (!check_rpc("exchange.declare"))
    return false;
  amqp_queue_declare(conn_, channel, bytes_of(opts_.inbound_queue), 0, 1, 0, 0,
                     amqp_empty_table);
  if (!check_rpc("queue.declare"))
    return false;
  amqp_basic_qos(conn_, channel, 0, opts_.prefetch, 0);
  if (!check_rpc("basic.qos"))
    return false;
  amqp_basic_consume(conn_, channel, bytes_of(opts_.inbound_queue), amqp_empty_bytes, 0,
                     0, 0, amqp_empty_table);
  if (!check_rpc("basic.consume"))
    return false;
  error_.clear();
  return true;
}

void amqp_link::close() {
  if (!conn_)
    return;
  // Bounded by the RPC timeout set at open(): a broker that hangs cannot hold us.
  amqp_channel_close(conn_, channel, AMQP_REPLY_SUCCESS);
  amqp_connection_close(conn_, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(conn_);
  conn_ = nullptr;
}

std::uint64_t amqp_link::publish(const std::string& routing_key,
                                 const std::string& body) {
  if (!conn_)
    return 0;
  amqp_basic_properties_t props{};
  props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG;
  props.content_type = amqp_cstring_bytes("application/json");
  props.delivery_mode = AMQP_DELIVERY_PERSISTENT;
  int rc = amqp_basic_publish(conn_, channel, bytes_of(opts_.exchange),
                              bytes_of(routing_key), 0, 0, &props, bytes_of(body));
  if (rc != AMQP_STATUS_OK) {
    fail(std::string{"publish failed: "} + amqp_error_string2(rc));
    return 0;
  }
  return ++next_seq_; // the broker numbers confirms from 1, one per publish
}

bool amqp_link::ack(std::uint64_t tag) {
  if (!conn_)
    return false;
  if (int rc = amqp_basic_ack(conn_, channel, tag, 0); rc != AMQP_STATUS_OK)
    return fail(std::string{"ack failed: "} + amqp_error_string2(rc));
  return true;
}

bool amqp_link::reject(std::uint64_t tag, bool requeue) {
  if (!conn_)
    return false;
  if (int rc = amqp_basic_reject(conn_, channel, tag, requeue ? 1 : 0);
      rc != AMQP_STATUS_OK)
    return fail(std::string{"reject failed: "} + amqp_error_string2(rc));
  return true;
}

amqp_link::event amqp_link::poll(std::chrono::milliseconds timeout) {
  event ev;
  if (!conn_) {
    ev.kind = event::lost;
    return ev;
  }
  amqp_maybe_release_buffers(conn_);
  amqp_envelope_t envelope;
  auto tv = timeval_of(timeout);
  auto r = amqp_consume_message(conn_, &envelope, &tv, 0);
  if (r.reply_type == AMQP_RESPONSE_NORMAL) {
    ev.kind = event::delivery;
    ev.tag = envelope.delivery_tag;
    ev.body = text_of(envelope.message.body);
    amqp_destroy_envelope(&envelope);
    return ev;
  }
  if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
      r.library_error == AMQP_STATUS_TIMEOUT)
    return ev;
  if (r.reply_type != AMQP_RESPONSE_LIBRARY_EXCEPTION ||
      r.library_error != AMQP_STATUS_UNEXPECTED_STATE) {
    ev.kind = event::lost;
    fail(r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION
             ? std::string{"connection lost: "} + amqp_error_string2(r.library_error)
             : std::string{"connection lost"});
    return ev;
  }
  // Not a delivery: the frame waits, read it (a confirm, or the broker closing).
  amqp_frame_t frame;
  if (int rc = amqp_simple_wait_frame(conn_, &frame); rc != AMQP_STATUS_OK) {
    ev.kind = event::lost;
    fail(std::string{"connection lost: "} + amqp_error_string2(rc));
    return ev;
  }
  if (frame.frame_type != AMQP_FRAME_METHOD)
    return ev;
  switch (frame.payload.method.id) {
  case AMQP_BASIC_ACK_METHOD: {
    auto* a = static_cast<amqp_basic_ack_t*>(frame.payload.method.decoded);
    ev.kind = event::confirm;
    ev.tag = a->delivery_tag;
    ev.multiple = a->multiple != 0;
    return ev;
  }
  case AMQP_BASIC_NACK_METHOD: {
    auto* n = static_cast<amqp_basic_nack_t*>(frame.payload.method.decoded);
    ev.kind = event::confirm;
    ev.tag = n->delivery_tag;
    ev.multiple = n->multiple != 0;
    ev.ack = false;
    return ev;
  }
  case AMQP_BASIC_RETURN_METHOD: { // not asked for (no mandatory flag): read and drop
    amqp_message_t m;
    if (amqp_read_message(conn_, frame.channel, &m, 0).reply_type == AMQP_RESPONSE_NORMAL)
      amqp_destroy_message(&m);
    return ev;
  }
  case AMQP_CONNECTION_CLOSE_METHOD: {
    auto why = close_reason(frame.payload.method);
    amqp_connection_close_ok_t ok{};
    amqp_send_method(conn_, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
    ev.kind = event::lost;
    fail(why);
    return ev;
  }
  case AMQP_CHANNEL_CLOSE_METHOD:
    ev.kind = event::lost;
    fail(close_reason(frame.payload.method));
    return ev;
  case AMQP_BASIC_CANCEL_METHOD: // the queue was deleted: consume again on reconnect
    ev.kind = event::lost;
    fail("the broker cancelled the consumer (queue deleted?)");
    return ev;
  default:
    return ev;
  }
}

} // namespace chat
