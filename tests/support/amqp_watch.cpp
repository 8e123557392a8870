#include "tests/support/amqp_watch.hpp"

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <stdexcept>

namespace chat::test {

namespace {

amqp_connection_state_t login(unsigned short port) {
  auto conn = amqp_new_connection();
  auto* sock = amqp_tcp_socket_new(conn);
  timeval tv{2, 0};
  if (!sock || amqp_socket_open_noblock(sock, "127.0.0.1", port, &tv) != AMQP_STATUS_OK) {
    amqp_destroy_connection(conn);
    return nullptr;
  }
  amqp_set_rpc_timeout(conn, &tv);
  auto r = amqp_login(conn, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest");
  if (r.reply_type != AMQP_RESPONSE_NORMAL) {
    amqp_destroy_connection(conn);
    return nullptr;
  }
  return conn;
}

void check(amqp_connection_state_t conn, const char* what) {
  auto r = amqp_get_rpc_reply(conn);
  if (r.reply_type != AMQP_RESPONSE_NORMAL)
    throw std::runtime_error(std::string{"amqp_watch: "} + what + " failed");
}

std::string text_of(amqp_bytes_t b) {
  return {static_cast<const char*>(b.bytes), b.len};
}

} // namespace

bool amqp_login_works(unsigned short port) {
  auto conn = login(port);
  if (!conn)
    return false;
  amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(conn);
  return true;
}

amqp_watch::amqp_watch(unsigned short port, const std::string& exchange,
                       const std::string& binding_key) {
  conn_ = login(port);
  if (!conn_)
    throw std::runtime_error("amqp_watch: cannot log in to port " + std::to_string(port));
  amqp_channel_open(conn_, 1);
  check(conn_, "channel.open");
  amqp_exchange_declare(conn_, 1, amqp_cstring_bytes(exchange.c_str()),
                        amqp_cstring_bytes("topic"), 0, 1, 0, 0, amqp_empty_table);
  check(conn_, "exchange.declare");
  auto* q = amqp_queue_declare(conn_, 1, amqp_empty_bytes, 0, 0, 1, 1, amqp_empty_table);
  check(conn_, "queue.declare");
  auto queue = amqp_bytes_malloc_dup(q->queue);
  amqp_queue_bind(conn_, 1, queue, amqp_cstring_bytes(exchange.c_str()),
                  amqp_cstring_bytes(binding_key.c_str()), amqp_empty_table);
  check(conn_, "queue.bind");
  amqp_basic_consume(conn_, 1, queue, amqp_empty_bytes, 0, 1, 1, amqp_empty_table);
  amqp_bytes_free(queue);
  check(conn_, "basic.consume");
}

amqp_watch::~amqp_watch() {
  if (!conn_)
    return;
  amqp_connection_close(conn_, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(conn_);
}

std::optional<amqp_delivery> amqp_watch::next(std::chrono::milliseconds timeout) {
  amqp_maybe_release_buffers(conn_);
  amqp_envelope_t env;
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  auto r = amqp_consume_message(conn_, &env, &tv, 0);
  if (r.reply_type != AMQP_RESPONSE_NORMAL)
    return std::nullopt;
  amqp_delivery d;
  d.routing_key = text_of(env.routing_key);
  d.body = text_of(env.message.body);
  const auto& props = env.message.properties;
  if (props._flags & AMQP_BASIC_CONTENT_TYPE_FLAG)
    d.content_type = text_of(props.content_type);
  if (props._flags & AMQP_BASIC_DELIVERY_MODE_FLAG)
    d.delivery_mode = props.delivery_mode;
  amqp_destroy_envelope(&env);
  return d;
}

} // namespace chat::test
