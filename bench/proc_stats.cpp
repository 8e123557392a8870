#include "proc_stats.hpp"

#include <fstream>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <unistd.h>

namespace bench {

std::optional<CpuTimes> process_cpu_times(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!in || !std::getline(in, line))
    return std::nullopt;
  // Field 2 (comm) may hold spaces and parentheses: fields 3.. start after the last ')'.
  auto close = line.rfind(')');
  if (close == std::string::npos)
    return std::nullopt;
  std::istringstream rest(line.substr(close + 1));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int n = 3; n <= 15 && rest >> field; ++n) {
    if (n == 14)
      utime = std::stoull(field);
    if (n == 15)
      stime = std::stoull(field);
  }
  if (!rest)
    return std::nullopt;
  const long ticks = sysconf(_SC_CLK_TCK);
  const auto hz = static_cast<double>(ticks > 0 ? ticks : 100);
  return CpuTimes{static_cast<double>(utime) / hz, static_cast<double>(stime) / hz};
}

std::optional<double> process_cpu_seconds(int pid) {
  if (auto t = process_cpu_times(pid))
    return t->total();
  return std::nullopt;
}

std::optional<long> process_rss_kib(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (in && std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0)
      return std::stol(line.substr(6));
  }
  return std::nullopt;
}

double self_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

long raise_nofile_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
    return -1;
  if (rl.rlim_cur != rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  return rl.rlim_cur == RLIM_INFINITY ? -1 : static_cast<long>(rl.rlim_cur);
}

} // namespace bench
