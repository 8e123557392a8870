#include "wire.hpp"

#include <boost/json.hpp>
#include <charconv>

namespace bench {

namespace json = boost::json;

std::string send_message_frame(const Probe& p, std::size_t size, std::string_view from,
                               bool ack) {
  std::string text = "s" + std::to_string(p.sender) + " q" + std::to_string(p.seq) +
                     " t" + std::to_string(p.sent_ns) + " ";
  if (text.size() < size)
    text.append(size - text.size(), 'x');
  json::object payload;
  payload["message"] = text;
  payload["from"] = from;
  json::object frame;
  frame["type"] = "send_message";
  frame["payload"] = std::move(payload);
  if (ack)
    frame["ref"] = std::to_string(p.sent_ns);
  return json::serialize(frame);
}

bool parse_ack_ref(std::string_view ref, std::uint64_t& sent_ns) {
  auto [ptr, ec] = std::from_chars(ref.data(), ref.data() + ref.size(), sent_ns);
  return ec == std::errc{} && ptr == ref.data() + ref.size() && !ref.empty();
}

std::string change_room_frame(std::string_view room) {
  json::object frame;
  frame["type"] = "change_room";
  frame["payload"] = json::object{{"name", room}};
  return json::serialize(frame);
}

namespace {

// Reads "<tag><digits>" at the front of s and drops it and one following space.
template <class Int> bool take_field(std::string_view& s, char tag, Int& out) {
  if (s.size() < 2 || s.front() != tag)
    return false;
  auto [ptr, ec] = std::from_chars(s.data() + 1, s.data() + s.size(), out);
  if (ec != std::errc{} || ptr == s.data() + 1)
    return false;
  s.remove_prefix(static_cast<std::size_t>(ptr - s.data()));
  if (!s.empty()) {
    if (s.front() != ' ')
      return false;
    s.remove_prefix(1);
  }
  return true;
}

std::string_view view_of(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string())
    return {};
  const json::string& s = it->value().get_string();
  return {s.data(), s.size()};
}

} // namespace

bool parse_probe(std::string_view text, Probe& out) {
  return take_field(text, 's', out.sender) && take_field(text, 'q', out.seq) &&
         take_field(text, 't', out.sent_ns);
}

struct EventParser::Impl {
  // Each frame is parsed into a monotonic arena that is released before the next one, so
  // a typical frame costs no heap allocation at all.
  unsigned char scratch[8192];
  unsigned char arena_buffer[16384];
  json::monotonic_resource arena{arena_buffer, sizeof(arena_buffer)};
  json::parser parser{json::storage_ptr{}, json::parse_options{}, scratch,
                      sizeof(scratch)};
  json::value doc;
};

EventParser::EventParser() : impl_(std::make_unique<Impl>()) {}
EventParser::~EventParser() = default;

Event EventParser::parse(std::string_view frame) {
  Impl& m = *impl_;
  Event ev;
  // presence_diffs are only counted, and in a connect storm they are most of what a
  // client receives (each member learns each join: n^2/2 names for n clients): building
  // their documents made the load generator, not the server, bound the handshake rate.
  static constexpr std::string_view diff_prefix = R"({"type":"presence_diff",)";
  if (frame.substr(0, diff_prefix.size()) == diff_prefix) {
    ev.type = EventType::other;
    ev.type_name = "presence_diff";
    return ev;
  }
  m.doc = nullptr; // drop the previous document before its arena
  m.arena.release();
  // A frame whose document may not fit the arena (a room_changed or presence listing
  // hundreds of users: ~16 bytes per value, a value per 3 bytes of JSON at worst) goes
  // to the heap: Boost 1.81's monotonic_resource threw bad_alloc growing past its first
  // buffer.
  const bool fits = frame.size() * 6 <= sizeof(m.arena_buffer);
  m.parser.reset(fits ? json::storage_ptr(&m.arena) : json::storage_ptr{});
  json::error_code ec;
  m.parser.write(frame.data(), frame.size(), ec);
  if (ec)
    return ev;
  m.doc = m.parser.release();
  if (!m.doc.is_object())
    return ev;
  const json::object& top = m.doc.get_object();
  ev.type_name = view_of(top, "type");
  if (ev.type_name.empty())
    return ev;
  const json::object* payload = nullptr;
  if (auto it = top.find("payload"); it != top.end() && it->value().is_object())
    payload = &it->value().get_object();
  ev.type = EventType::other;
  ev.ref = view_of(top, "ref");
  if (ev.type_name == "new_message") {
    ev.type = EventType::new_message;
    if (payload) {
      ev.message = view_of(*payload, "message");
      ev.room = view_of(*payload, "room");
    }
  } else if (ev.type_name == "welcome") {
    ev.type = EventType::welcome;
    if (payload)
      ev.room = view_of(*payload, "room");
  } else if (ev.type_name == "room_changed") {
    ev.type = EventType::room_changed;
    if (payload)
      ev.room = view_of(*payload, "name");
  } else if (ev.type_name == "ack") {
    ev.type = EventType::ack;
  } else if (ev.type_name == "error") {
    ev.type = EventType::error;
    if (payload)
      ev.code = view_of(*payload, "code");
  } else if (payload) {
    ev.room = view_of(*payload, "room"); // presence_diff, presence, history
  }
  return ev;
}

} // namespace bench
