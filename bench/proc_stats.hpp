// Reads a process's CPU time and resident memory from /proc (Linux), and raises our own
// open-file limit.
#pragma once

#include <optional>

namespace bench {

// CPU time of a process in seconds, split: user space (ours) and kernel (system calls,
// the network stack; on loopback each send costs about as much there as in user space).
struct CpuTimes {
  double user = 0, sys = 0;
  double total() const { return user + sys; }
  CpuTimes& operator+=(const CpuTimes& o) {
    user += o.user;
    sys += o.sys;
    return *this;
  }
  CpuTimes operator-(const CpuTimes& o) const { return {user - o.user, sys - o.sys}; }
};

// utime and stime (fields 14 and 15 of /proc/PID/stat); nullopt when unreadable.
std::optional<CpuTimes> process_cpu_times(int pid);

// utime + stime in seconds; nullopt when unreadable.
std::optional<double> process_cpu_seconds(int pid);

// VmRSS of /proc/PID/status in KiB; nullopt when unreadable.
std::optional<long> process_rss_kib(int pid);

// CPU seconds (user + system) this process has used so far.
double self_cpu_seconds();

// Raises RLIMIT_NOFILE's soft limit to the hard limit; returns the new soft limit.
long raise_nofile_limit();

} // namespace bench
