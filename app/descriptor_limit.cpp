#include "app/descriptor_limit.hpp"

#include "base/log.hpp"

#include <string>
#include <sys/resource.h>

namespace chat {

namespace {
// Descriptors in use besides client sockets: stdio, the listener, epoll and its
// eventfds, CAF's pipes, the odd HTTP request or file being served.
constexpr rlim_t reserve = 64;
} // namespace

void fit_descriptor_limit(std::size_t max_connections) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0)
    return;
  if (lim.rlim_cur < lim.rlim_max) {
    auto before = lim.rlim_cur;
    lim.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &lim) == 0)
      log_info("descriptor limit raised from " + std::to_string(before) + " to " +
               std::to_string(lim.rlim_cur) + " open files");
    else
      getrlimit(RLIMIT_NOFILE, &lim);
  }
  auto needed = static_cast<rlim_t>(max_connections) + reserve;
  if (lim.rlim_cur != RLIM_INFINITY && needed > lim.rlim_cur)
    log_warning("max-connections " + std::to_string(max_connections) +
                " does not fit the descriptor limit of " + std::to_string(lim.rlim_cur) +
                " open files (room for about " +
                std::to_string(lim.rlim_cur > reserve ? lim.rlim_cur - reserve : 0) +
                " connections): raise `ulimit -n` or lower max-connections");
}

} // namespace chat
