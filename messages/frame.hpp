// One encoded server event, ready for the wire. Built once per broadcast: every local
// recipient shares the same immutable buffer (copying a frame copies a pointer). It is
// also a message type that may cross nodes: serialized as its text, and a deserialized
// frame gets a buffer of its own that its node's recipients then share.
//
// No CAF header here: net/ queues frames and must stay free of CAF.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace chat {

class frame {
public:
  frame() = default;
  explicit frame(std::string text)
      : text_(std::make_shared<const std::string>(std::move(text))) {}

  std::string_view text() const { return text_ ? std::string_view{*text_} : ""; }
  std::size_t size() const { return text_ ? text_->size() : 0; }
  // The shared buffer itself (null for an empty frame): a writer may hold on to it
  // until sent instead of copying the text.
  const std::shared_ptr<const std::string>& buffer() const { return text_; }

  // Whether two frames share one buffer (what a local broadcast promises).
  bool shares_buffer_with(const frame& other) const { return text_ == other.text_; }

  // CAF's inspection: a frame is its text on the wire.
  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, frame& x) {
    if constexpr (Inspector::reads_state) {
      static const std::string none;
      return f(x.text_ ? *x.text_ : none);
    } else {
      std::string text;
      auto result = f(text);
      x = frame{std::move(text)};
      return result;
    }
  }

private:
  std::shared_ptr<const std::string> text_;
};

} // namespace chat
