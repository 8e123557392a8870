// The bench's view of the wire protocol (docs: /PROTOCOL.md): the frames it sends, the
// server events it reads (Boost.JSON), and the probe text that rides inside each message:
// "s<sender> q<seq> t<steady-clock ns> xxxx..." padded to the requested size.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace bench {

struct Probe {
  std::uint32_t sender = 0;  // client index of the sender
  std::uint64_t seq = 0;     // per-sender sequence number, from 0
  std::uint64_t sent_ns = 0; // steady clock of this process at send time
};

// The text of a send_message frame carrying a probe, from "<prefix><sender>"; with
// `ack`, its ref is the probe's send time ("<ns>"), which the ack echoes.
std::string send_message_frame(const Probe& p, std::size_t size, std::string_view from,
                               bool ack = false);
// The send time an ack's ref carries; false when it is not one of ours.
bool parse_ack_ref(std::string_view ref, std::uint64_t& sent_ns);
std::string change_room_frame(std::string_view room);

// Reads a probe back from a message text; false when the text is not one of ours.
bool parse_probe(std::string_view text, Probe& out);

enum class EventType { welcome, new_message, room_changed, error, ack, other, bad_json };

// One server event. The string views point into the parser and stay valid until its next
// parse() call.
struct Event {
  EventType type = EventType::bad_json;
  std::string_view type_name; // as sent; empty for bad_json
  std::string_view message;   // new_message
  std::string_view room;      // new_message room, room_changed name, welcome room, and
                              // the room of the other events that name one
  std::string_view code;      // error code
  std::string_view ref;       // the top-level ref (ack, error)
};

// Parses server frames with Boost.JSON, reusing its memory between frames. One per thread.
class EventParser {
public:
  EventParser();
  ~EventParser();
  EventParser(const EventParser&) = delete;
  EventParser& operator=(const EventParser&) = delete;

  Event parse(std::string_view frame);

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace bench
