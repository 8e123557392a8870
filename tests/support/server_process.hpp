// A real chatd process for integration tests: started on an ephemeral loopback port,
// its port read from the "listening on" line it prints, stopped with a signal.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace chat::test {

// Path to the chatd binary under test (set by CMake).
std::string chatd_path();
// The repository's caf-application.conf (set by CMake).
std::string default_config_path();

class server_process {
public:
  // Starts chatd with --config-file=<repo conf> (unless `args` name another)
  // --chat.host=127.0.0.1 --chat.port=0, a fresh --chat.history-db removed at the end
  // (unless `args` name one) plus `args` (later flags win). Throws when it does not report listening within 10 s.
  // `fd_limit` > 0 starts it with that many file descriptors at most (soft and hard).
  explicit server_process(std::vector<std::string> args = {}, long fd_limit = 0);
  ~server_process();
  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  unsigned short port() const { return port_; }
  int pid() const { return pid_; }
  void signal(int sig);
  // Waits for the process to end; returns its exit status, or -1 on timeout.
  int wait_exit(std::chrono::milliseconds timeout);
  // Resident memory in KiB (VmRSS).
  long rss_kib() const;
  // Its peak resident memory so far in KiB (VmHWM).
  long peak_rss_kib() const;
  // Sets its RLIMIT_FSIZE soft limit (bytes; -1: none): a write past it fails as on a
  // full disk.
  void set_file_size_limit(long bytes);
  // CPU time it used so far (user + system), from /proc/PID/stat.
  std::chrono::milliseconds cpu_time() const;

  // Reads the server's output (its log) until `text` appears; false on timeout or EOF.
  bool wait_for_output(const std::string& text, std::chrono::milliseconds timeout);
  // Everything read from the server's output so far; after wait_exit(), all of it.
  const std::string& output() const { return out_; }

private:
  int pid_ = -1;
  int out_fd_ = -1;
  unsigned short port_ = 0;
  bool exited_ = false;
  std::string out_;
  std::string owned_db_;
};

// A fresh path under /tmp, unique to this process, ending in `name`.
std::string temp_path(const std::string& name);
// Removes a SQLite file and its -wal and -shm companions.
void remove_database(const std::string& path);

struct run_result {
  int status = -1;    // exit code, or -1 when it did not end in time
  std::string output; // stdout and stderr together
};

// Runs chatd to completion with exactly `args` (no defaults added), for config tests.
run_result run_chatd(const std::vector<std::string>& args,
                     std::chrono::milliseconds timeout);

// Runs any program to completion; killed when it outlives `timeout`.
run_result run_program(const std::string& path, const std::vector<std::string>& args,
                       std::chrono::milliseconds timeout);

} // namespace chat::test
