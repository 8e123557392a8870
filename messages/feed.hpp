// Where a room puts the frames of one member: straight into the member's transport,
// without a message to its connection actor per frame (a broadcast to a room of a
// thousand was a thousand mailbox elements, each scheduled and dispatched, for a
// pointer copy). The connection actor makes one feed per join and hands it to the
// room with join_request; the feed holds what comes before the connection opens it,
// after room_changed (or welcome) and what the joiner missed.
//
// A feed is a local thing: it points into this process. Serialized it is nothing, and
// deserialized it is empty (join_request and join_room never cross nodes).
#pragma once

#include "messages/frame.hpp"

#include <caf/meta/type_name.hpp>
#include <memory>

namespace chat {

class feed {
public:
  virtual ~feed() = default;
  // From the room's thread: one frame for the member.
  virtual void push(const frame& f) = 0;
};

using feed_ptr = std::shared_ptr<feed>;

// The handle join messages carry.
struct member_feed {
  feed_ptr to;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member_feed&) {
  return f(caf::meta::type_name("member_feed"));
}

} // namespace chat
