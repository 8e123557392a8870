// What one receiver has seen from one sender: a growable bitset of sequence numbers, so
// duplicates, gaps (losses) and reordering are exact, not estimated.
#pragma once

#include <cstdint>
#include <vector>

namespace bench {

class SeqTracker {
public:
  enum class Seen { first, duplicate };

  Seen mark(std::uint64_t seq) {
    const std::size_t word = static_cast<std::size_t>(seq / 64);
    const std::uint64_t bit = 1ULL << (seq % 64);
    if (word >= bits_.size())
      bits_.resize(word + 1 + bits_.size() / 2, 0);
    if (bits_[word] & bit)
      return Seen::duplicate;
    bits_[word] |= bit;
    ++unique_;
    if (any_ && seq < highest_)
      ++out_of_order_;
    if (!any_ || seq > highest_)
      highest_ = seq;
    any_ = true;
    return Seen::first;
  }

  std::uint64_t unique() const { return unique_; }
  std::uint64_t out_of_order() const { return out_of_order_; }

private:
  std::vector<std::uint64_t> bits_;
  std::uint64_t unique_ = 0;
  std::uint64_t highest_ = 0;
  std::uint64_t out_of_order_ = 0;
  bool any_ = false;
};

} // namespace bench
