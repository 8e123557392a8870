// The least-squares slope of y over x: the soak's measure of memory growth. One outlier
// moves it little, a steady climb moves it all the way.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

namespace bench {

// Slope of the line that fits (x[i], y[i]) best; nullopt for fewer than 2 points or when
// every x is the same.
inline std::optional<double> least_squares_slope(const std::vector<double>& x,
                                                 const std::vector<double>& y) {
  const std::size_t n = x.size() < y.size() ? x.size() : y.size();
  if (n < 2)
    return std::nullopt;
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < n; ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= static_cast<double>(n);
  my /= static_cast<double>(n);
  double sxy = 0, sxx = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
  }
  if (sxx <= 0)
    return std::nullopt;
  return sxy / sxx;
}

} // namespace bench
