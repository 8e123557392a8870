// Which node is a room's home: rendezvous (highest random weight) hashing of the room's
// name with each live node's name. Every node computes it alone from the same view and
// gets the same answer; a node that joins or leaves moves only the rooms whose highest
// weight it holds (about 1/n of them), and no node holds every room.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace chat {

// FNV-1a, 64 bits: stable across builds and machines (std::hash is not promised to be).
constexpr std::uint64_t stable_hash(std::string_view a, std::string_view b) {
  std::uint64_t h = 14695981039346656037ull;
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
  };
  mix(a);
  mix(std::string_view{"\0", 1}); // "ab"+"c" and "a"+"bc" differ
  mix(b);
  // FNV's low bits mix poorly; a final avalanche (from MurmurHash3) spreads them.
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

// The home of `room` among `nodes` (not empty).
inline const std::string& home_of(std::string_view room,
                                  const std::vector<std::string>& nodes) {
  const std::string* best = &nodes.front();
  std::uint64_t best_weight = 0;
  for (const auto& n : nodes) {
    auto w = stable_hash(room, n);
    if (w > best_weight || (w == best_weight && n < *best)) {
      best = &n;
      best_weight = w;
    }
  }
  return *best;
}

} // namespace chat
