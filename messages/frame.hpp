// One serialized server event, shared by every recipient of a broadcast: the JSON is
// built once and each session queues the same bytes.
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <memory>
#include <string>

namespace chat {

using frame = std::shared_ptr<const std::string>;

inline frame make_frame(std::string text) {
  return std::make_shared<const std::string>(std::move(text));
}

} // namespace chat

// Frames only travel between actors of one process.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(chat::frame)
