// A log-linear latency histogram in microseconds: exact below 64 us, then 32 buckets per
// power of two (about 3 % relative error), so percentiles cost a few KiB, not one sample each.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace bench {

class LatencyHistogram {
public:
  LatencyHistogram() : counts_(bucket_count, 0) {}

  void record(std::uint64_t us) {
    ++counts_[index(us)];
    ++count_;
    sum_ += us;
    max_ = std::max(max_, us);
  }

  void merge(const LatencyHistogram& other) {
    for (std::size_t i = 0; i < counts_.size(); ++i)
      counts_[i] += other.counts_[i];
    count_ += other.count_;
    sum_ += other.sum_;
    max_ = std::max(max_, other.max_);
  }

  std::uint64_t count() const { return count_; }
  std::uint64_t max_us() const { return max_; }
  double mean_us() const {
    return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0;
  }

  // Value at quantile q in [0, 1] (the middle of its bucket, never above the maximum seen).
  double quantile_us(double q) const {
    if (count_ == 0)
      return 0;
    auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count_) + 0.999999);
    rank = std::clamp<std::uint64_t>(rank, 1, count_);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank)
        return std::min(bucket_mid(i), static_cast<double>(max_));
    }
    return static_cast<double>(max_);
  }

private:
  static constexpr std::size_t linear = 64; // exact buckets 0..63
  static constexpr std::size_t per_octave = 32;
  static constexpr std::size_t octaves = 58; // up to 2^63
  static constexpr std::size_t bucket_count = linear + octaves * per_octave;

  static std::size_t index(std::uint64_t v) {
    if (v < linear)
      return static_cast<std::size_t>(v);
    const int msb = 63 - __builtin_clzll(v); // >= 6
    const int shift = msb - 5;               // v >> shift is in [32, 63]
    const auto top = static_cast<std::size_t>(v >> shift);
    return linear + static_cast<std::size_t>(shift - 1) * per_octave + (top - per_octave);
  }

  static double bucket_mid(std::size_t i) {
    if (i < linear)
      return static_cast<double>(i);
    const std::size_t j = i - linear;
    const int shift = static_cast<int>(j / per_octave) + 1;
    const double top = static_cast<double>(j % per_octave + per_octave);
    const double lo = top * static_cast<double>(1ULL << shift);
    const double width = static_cast<double>(1ULL << shift);
    return lo + (width - 1) / 2;
  }

  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t max_ = 0;
};

} // namespace bench
