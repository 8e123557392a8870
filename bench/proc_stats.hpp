// Reads a process's CPU time and resident memory from /proc (Linux), and raises our own
// open-file limit.
#pragma once

#include <optional>

namespace bench {

// utime + stime (fields 14 and 15 of /proc/PID/stat) in seconds; nullopt when unreadable.
std::optional<double> process_cpu_seconds(int pid);

// VmRSS of /proc/PID/status in KiB; nullopt when unreadable.
std::optional<long> process_rss_kib(int pid);

// CPU seconds (user + system) this process has used so far.
double self_cpu_seconds();

// Raises RLIMIT_NOFILE's soft limit to the hard limit; returns the new soft limit.
long raise_nofile_limit();

} // namespace bench
