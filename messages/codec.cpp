#include "messages/codec.hpp"

#include "messages/names.hpp"

#include <boost/json.hpp>

namespace json = boost::json;

namespace chat {

namespace {

protocol_error fail(protocol_code code, std::string message, std::string ref = {}) {
  return protocol_error{code, std::move(message), std::move(ref)};
}

// Reads an optional string field; returns false when present with the wrong type.
bool optional_string(const json::object& o, std::string_view key, std::string& out) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null())
    return true;
  if (!it->value().is_string())
    return false;
  out.assign(it->value().get_string().data(), it->value().get_string().size());
  return true;
}

// Reads an optional non-negative integer; returns false when present and not one.
bool optional_uint(const json::object& o, std::string_view key,
                   std::optional<std::uint64_t>& out) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null())
    return true;
  const auto& v = it->value();
  if (v.is_uint64()) {
    out = v.get_uint64();
    return true;
  }
  if (v.is_int64() && v.get_int64() >= 0) {
    out = static_cast<std::uint64_t>(v.get_int64());
    return true;
  }
  return false;
}

std::string chars_rule(const char* field, std::size_t max) {
  return std::string{field} + " must be a string of 1.." + std::to_string(max) +
         " characters";
}

bool valid_text(const std::string& s, std::size_t max) {
  auto n = utf8_length(s);
  return n >= 1 && n <= max;
}

decoded decode_payload(std::string_view type, const json::object& p, std::string ref,
                       const limits& lim) {
  auto invalid = [&](std::string why) {
    return fail(protocol_code::invalid_payload, std::move(why), ref);
  };
  if (type == "send_message") {
    send_message m;
    if (!optional_string(p, "message", m.message) ||
        !valid_text(m.message, lim.max_message_chars))
      return invalid(chars_rule("message", lim.max_message_chars));
    if (!optional_string(p, "from", m.from) ||
        (p.contains("from") && !p.at("from").is_null() && !valid_user_name(m.from)))
      return invalid(
          "from must be a name of 1..32 characters without control characters");
    return client_event{std::move(ref), std::move(m)};
  }
  if (type == "change_room") {
    change_room m;
    if (!optional_string(p, "name", m.name) || !valid_room_name(m.name))
      return invalid("name must be 1..64 characters of A-Z a-z 0-9 _ . -");
    if (!optional_uint(p, "since", m.since))
      return invalid("since must be a message id (a non-negative integer)");
    return client_event{std::move(ref), std::move(m)};
  }
  if (type == "send_direct") {
    send_direct m;
    if (!optional_string(p, "to", m.to) || !valid_user_name(m.to))
      return invalid("to must be a user name of 1..32 characters");
    if (!optional_string(p, "message", m.message) ||
        !valid_text(m.message, lim.max_message_chars))
      return invalid(chars_rule("message", lim.max_message_chars));
    return client_event{std::move(ref), std::move(m)};
  }
  if (type == "history") {
    history_query m;
    if (!optional_string(p, "room", m.room) ||
        (p.contains("room") && !valid_room_name(m.room)))
      return invalid("room must be 1..64 characters of A-Z a-z 0-9 _ . -");
    if (!optional_uint(p, "before", m.before))
      return invalid("before must be a message id (a non-negative integer)");
    std::optional<std::uint64_t> limit;
    if (!optional_uint(p, "limit", limit) ||
        (limit && (*limit < 1 || *limit > lim.max_history_query)))
      return invalid("limit must be an integer of 1.." +
                     std::to_string(lim.max_history_query));
    if (limit)
      m.limit = static_cast<std::size_t>(*limit);
    return client_event{std::move(ref), std::move(m)};
  }
  if (type == "refresh") {
    refresh_token m;
    if (!optional_string(p, "token", m.token) || m.token.empty())
      return invalid("token must be a non-empty string");
    return client_event{std::move(ref), std::move(m)};
  }
  if (type == "list_users") {
    list_users m;
    if (!optional_string(p, "room", m.room) ||
        (p.contains("room") && !valid_room_name(m.room)))
      return invalid("room must be 1..64 characters of A-Z a-z 0-9 _ . -");
    return client_event{std::move(ref), std::move(m)};
  }
  return fail(protocol_code::unknown_type,
              "unknown event type \"" + std::string{type} + "\"", ref);
}

std::string envelope(std::string_view type, json::object payload,
                     std::string_view ref = {}) {
  json::object o;
  o["type"] = type;
  o["payload"] = std::move(payload);
  if (!ref.empty())
    o["ref"] = ref;
  return json::serialize(o);
}

json::object message_payload(const chat_message& m) {
  json::object p;
  p["id"] = m.id;
  p["room"] = m.room;
  p["message"] = m.message;
  p["from"] = m.from;
  p["sent"] = m.sent;
  return p;
}

json::array to_array(const std::vector<std::string>& xs) {
  json::array a;
  a.reserve(xs.size());
  for (const auto& x : xs)
    a.emplace_back(x);
  return a;
}

} // namespace

decoded decode(std::string_view text, const limits& lim) {
  json::error_code ec;
  auto v = json::parse(text, ec);
  if (ec)
    return fail(protocol_code::bad_json, "frame is not valid JSON: " + ec.message());
  if (!v.is_object())
    return fail(protocol_code::bad_json, "frame must be a JSON object");
  const auto& o = v.get_object();
  std::string ref;
  bool ref_ok = optional_string(o, "ref", ref) && ref.size() <= max_ref;
  if (!ref_ok)
    ref.clear();
  auto type = o.find("type");
  if (type == o.end() || !type->value().is_string())
    return fail(protocol_code::bad_json, "frame needs a string field \"type\"", ref);
  if (!ref_ok)
    return fail(protocol_code::invalid_payload,
                "ref must be a string of at most 64 characters");
  static const json::object empty;
  const json::object* payload = &empty;
  if (auto p = o.find("payload"); p != o.end() && !p->value().is_null()) {
    if (!p->value().is_object())
      return fail(protocol_code::invalid_payload, "payload must be a JSON object", ref);
    payload = &p->value().get_object();
  }
  return decode_payload(type->value().get_string(), *payload, std::move(ref), lim);
}

decoded decode_payload(std::string_view type, std::string_view payload,
                       const limits& lim) {
  json::error_code ec;
  auto v = json::parse(payload, ec);
  if (ec)
    return fail(protocol_code::bad_json, "body is not valid JSON: " + ec.message());
  if (!v.is_object())
    return fail(protocol_code::invalid_payload, "body must be a JSON object");
  return decode_payload(type, v.get_object(), {}, lim);
}

std::string payload_of(std::string_view envelope) {
  return json::serialize(json::parse(envelope).at("payload"));
}

std::string encode_message_payload(const chat_message& m) {
  return json::serialize(message_payload(m));
}

std::string encode_welcome(std::string_view user, std::string_view room,
                           std::string_view node, std::string_view sent) {
  return envelope("welcome",
                  {{"user", user}, {"room", room}, {"node", node}, {"sent", sent}});
}

std::string encode_new_message(const chat_message& m) {
  return envelope("new_message", message_payload(m));
}

std::string encode_room_changed(std::string_view room,
                                const std::vector<std::string>& users) {
  return envelope("room_changed", {{"name", room}, {"users", to_array(users)}});
}

std::string encode_presence_diff(std::string_view room,
                                 const std::vector<std::string>& joins,
                                 const std::vector<std::string>& leaves) {
  return envelope(
      "presence_diff",
      {{"room", room}, {"joins", to_array(joins)}, {"leaves", to_array(leaves)}});
}

std::string encode_presence(std::string_view room,
                            const std::vector<std::string>& users) {
  return envelope("presence", {{"room", room}, {"users", to_array(users)}});
}

std::string encode_direct(std::string_view from, std::string_view to,
                          std::string_view message, std::string_view sent) {
  return envelope("direct_message",
                  {{"from", from}, {"to", to}, {"message", message}, {"sent", sent}});
}

std::string encode_history(std::string_view room,
                           const std::vector<chat_message>& messages) {
  json::array a;
  a.reserve(messages.size());
  for (const auto& m : messages)
    a.emplace_back(message_payload(m));
  return envelope("history", {{"room", room}, {"messages", std::move(a)}});
}

std::string encode_ack(std::string_view ref, std::uint64_t id, std::string_view room) {
  return envelope("ack", {{"id", id}, {"room", room}}, ref);
}

std::string encode_error(const protocol_error& e) {
  return envelope("error", {{"code", to_string(e.code)}, {"message", e.message}}, e.ref);
}

} // namespace chat
