// Fuzz target: one client text frame through chat::decode (messages/codec.cpp), once with
// the default limits and once with small ones.
//
// Properties checked (any other outcome aborts):
// - chat::valid_utf8 (messages/names) agrees with tests/fuzz/utf8.hpp on every input;
// - decode never throws (an exception escaping this function is a crash);
// - an error has a message, one of the codes decode gives (bad_json, unknown_type,
//   invalid_payload) and a ref of at most max_ref bytes; encode_error turns it into an
//   `error` event carrying the same code, message and ref;
// - a decoded event obeys the rules the codec promises: names valid, texts of 1..max
//   characters of valid UTF-8, limit in range;
// - written back as a client frame it decodes to the same event; its payload alone
//   decodes the same through decode_payload (the HTTP API's path); what the server builds
//   from it (new_message, direct_message, room_changed, ack) is JSON with the same fields.
#include "messages/codec.hpp"
#include "messages/names.hpp"
#include "tests/fuzz/check.hpp"
#include "tests/fuzz/utf8.hpp"

#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace json = boost::json;
using namespace chat;

namespace {

const limits default_limits{};

const limits small_limits = [] {
  limits l;
  l.max_message_chars = 3;
  l.max_history_query = 2;
  return l;
}();

bool same(const send_message& a, const send_message& b) {
  return a.message == b.message && a.from == b.from;
}
bool same(const change_room& a, const change_room& b) {
  return a.name == b.name;
}
bool same(const send_direct& a, const send_direct& b) {
  return a.to == b.to && a.message == b.message;
}
bool same(const history_query& a, const history_query& b) {
  return a.room == b.room && a.before == b.before && a.limit == b.limit;
}
bool same(const list_users& a, const list_users& b) {
  return a.room == b.room;
}

bool same(const event_body& a, const event_body& b) {
  if (a.index() != b.index())
    return false;
  return std::visit(
      [&](const auto& x) { return same(x, std::get<std::decay_t<decltype(x)>>(b)); }, a);
}

bool valid_text(const std::string& s, const limits& lim) {
  auto n = utf8_length(s);
  return fuzz::valid_utf8(s) && n >= 1 && n <= lim.max_message_chars;
}

void check_rules(const client_event& e, const limits& lim) {
  FUZZ_CHECK(e.ref.size() <= max_ref && fuzz::valid_utf8(e.ref));
  const auto& b = e.body;
  if (auto m = std::get_if<send_message>(&b)) {
    FUZZ_CHECK(valid_text(m->message, lim));
    FUZZ_CHECK(m->from.empty() || valid_user_name(m->from));
  } else if (auto c = std::get_if<change_room>(&b)) {
    FUZZ_CHECK(valid_room_name(c->name));
  } else if (auto d = std::get_if<send_direct>(&b)) {
    FUZZ_CHECK(valid_user_name(d->to));
    FUZZ_CHECK(valid_text(d->message, lim));
  } else if (auto h = std::get_if<history_query>(&b)) {
    FUZZ_CHECK(h->room.empty() || valid_room_name(h->room));
    // Either asked for (1..max_history_query) or the default.
    FUZZ_CHECK(h->limit == history_query{}.limit ||
               (h->limit >= 1 && h->limit <= lim.max_history_query));
  } else if (auto u = std::get_if<list_users>(&b)) {
    FUZZ_CHECK(u->room.empty() || valid_room_name(u->room));
  }
}

// The event as a client would send it: the encoder the server does not need.
std::pair<std::string, json::object> client_form(const event_body& b) {
  json::object p;
  if (auto m = std::get_if<send_message>(&b)) {
    p["message"] = m->message;
    if (!m->from.empty())
      p["from"] = m->from;
    return {"send_message", p};
  }
  if (auto c = std::get_if<change_room>(&b)) {
    p["name"] = c->name;
    return {"change_room", p};
  }
  if (auto d = std::get_if<send_direct>(&b)) {
    p["to"] = d->to;
    p["message"] = d->message;
    return {"send_direct", p};
  }
  if (auto h = std::get_if<history_query>(&b)) {
    if (!h->room.empty())
      p["room"] = h->room;
    if (h->before)
      p["before"] = *h->before;
    if (h->limit != history_query{}.limit)
      p["limit"] = h->limit;
    return {"history", p};
  }
  const auto& u = std::get<list_users>(b);
  if (!u.room.empty())
    p["room"] = u.room;
  return {"list_users", p};
}

bool is(const json::value& v, std::string_view s) {
  return v.is_string() && v.get_string() == s;
}

json::object parse_envelope(const std::string& text, std::string_view type) {
  json::error_code ec;
  auto v = json::parse(text, ec);
  FUZZ_CHECK(!ec && v.is_object());
  auto& o = v.as_object();
  FUZZ_CHECK(is(o.at("type"), type));
  FUZZ_CHECK(o.at("payload").is_object());
  return o;
}

void check_server_encoders(const client_event& e) {
  const std::string sent = "2026-01-01T00:00:00.000000Z";
  if (auto m = std::get_if<send_message>(&e.body)) {
    chat_message cm{UINT64_MAX, "general", m->message, m->from.empty() ? "x" : m->from,
                    sent};
    auto text = encode_new_message(cm);
    auto o = parse_envelope(text, "new_message");
    const auto& p = o.at("payload").as_object();
    FUZZ_CHECK(p.at("id") == json::value(cm.id) && is(p.at("room"), cm.room) &&
               is(p.at("message"), cm.message) && is(p.at("from"), cm.from) &&
               is(p.at("sent"), cm.sent));
    FUZZ_CHECK(payload_of(text) == encode_message_payload(cm));
    auto history = encode_history("general", {cm, cm});
    FUZZ_CHECK(parse_envelope(history, "history").at("payload").at("messages") ==
               json::array({p, p}));
  } else if (auto d = std::get_if<send_direct>(&e.body)) {
    auto o =
        parse_envelope(encode_direct("x", d->to, d->message, sent), "direct_message");
    const auto& p = o.at("payload").as_object();
    FUZZ_CHECK(is(p.at("to"), d->to) && is(p.at("message"), d->message));
  } else if (auto c = std::get_if<change_room>(&e.body)) {
    auto o = parse_envelope(encode_room_changed(c->name, {c->name}), "room_changed");
    FUZZ_CHECK(is(o.at("payload").at("name"), c->name));
  }
  if (!e.ref.empty()) {
    auto o = parse_envelope(encode_ack(e.ref, 1, "general"), "ack");
    FUZZ_CHECK(is(o.at("ref"), e.ref));
  }
}

void check_error(const protocol_error& e) {
  FUZZ_CHECK(!e.message.empty());
  FUZZ_CHECK(e.code == protocol_code::bad_json || e.code == protocol_code::unknown_type ||
             e.code == protocol_code::invalid_payload);
  FUZZ_CHECK(e.ref.size() <= max_ref && fuzz::valid_utf8(e.ref));
  auto o = parse_envelope(encode_error(e), "error");
  const auto& p = o.at("payload").as_object();
  FUZZ_CHECK(is(p.at("code"), to_string(e.code)));
  FUZZ_CHECK(is(p.at("message"), e.message));
  FUZZ_CHECK(e.ref.empty() ? !o.contains("ref") : is(o.at("ref"), e.ref));
}

void check(std::string_view text, const limits& lim) {
  auto d = decode(text, lim);
  if (auto e = std::get_if<protocol_error>(&d)) {
    check_error(*e);
    return;
  }
  const auto& ev = std::get<client_event>(d);
  check_rules(ev, lim);
  check_server_encoders(ev);

  // Written back as a client frame, it decodes to the same event.
  auto [type, payload] = client_form(ev.body);
  json::object frame{{"type", type}, {"payload", payload}};
  if (!ev.ref.empty())
    frame["ref"] = ev.ref;
  auto again = decode(json::serialize(frame), lim);
  FUZZ_CHECK(std::holds_alternative<client_event>(again));
  FUZZ_CHECK(std::get<client_event>(again).ref == ev.ref);
  FUZZ_CHECK(same(std::get<client_event>(again).body, ev.body));

  // The payload on its own (an HTTP API body) decodes the same. A frame that decoded is
  // an object with a string `type` and a payload that is an object, null or absent.
  auto original = json::parse(text).as_object();
  std::string body = "{}";
  if (auto p = original.find("payload"); p != original.end() && p->value().is_object())
    body = json::serialize(p->value());
  // Boost.JSON reads a number too large for a double as infinity and writes it as
  // Infinity, which is not JSON: such a payload cannot be handed over as text. (The
  // server never writes back a number it read.)
  json::error_code ec;
  json::parse(body, ec);
  if (ec)
    return;
  auto alone = decode_payload(original.at("type").as_string(), body, lim);
  FUZZ_CHECK(std::holds_alternative<client_event>(alone));
  FUZZ_CHECK(same(std::get<client_event>(alone).body, ev.body));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};
  // The name rules' UTF-8 check agrees with the independent one.
  FUZZ_CHECK(chat::valid_utf8(text) == fuzz::valid_utf8(text));
  check(text, default_limits);
  check(text, small_limits);
  return 0;
}
