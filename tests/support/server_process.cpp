#include "tests/support/server_process.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <poll.h>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace chat::test {

std::string chatd_path() {
  return CHATD_PATH;
}
std::string default_config_path() {
  return CHAT_SOURCE_DIR "/caf-application.conf";
}

namespace {

// `fd_limit` > 0: the child's RLIMIT_NOFILE, soft and hard.
int spawn(const std::string& path, const std::vector<std::string>& args, int& out_fd,
          long fd_limit = 0) {
  int fds[2];
  if (pipe(fds) != 0)
    throw std::runtime_error("pipe failed");
  auto pid = fork();
  if (pid < 0)
    throw std::runtime_error("fork failed");
  if (pid == 0) {
    if (fd_limit > 0) {
      rlimit lim{static_cast<rlim_t>(fd_limit), static_cast<rlim_t>(fd_limit)};
      setrlimit(RLIMIT_NOFILE, &lim);
    }
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> argv;
    auto program = path;
    argv.push_back(program.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(program.c_str(), argv.data());
    _exit(127);
  }
  close(fds[1]);
  out_fd = fds[0];
  return pid;
}

// Reads what is available within `timeout`; returns false on EOF or timeout.
bool read_some(int fd, std::string& into, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0)
    return false;
  char buf[4096];
  auto n = read(fd, buf, sizeof buf);
  if (n <= 0)
    return false;
  into.append(buf, static_cast<std::size_t>(n));
  return true;
}

int wait_status(int pid, std::chrono::milliseconds timeout) {
  // A pidfd becomes readable when the process ends: wait for that event, not a sleep
  // loop.
  int pfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pfd >= 0) {
    pollfd p{pfd, POLLIN, 0};
    poll(&p, 1, static_cast<int>(timeout.count()));
    close(pfd);
  }
  int st = 0;
  if (waitpid(pid, &st, WNOHANG) != pid)
    return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

} // namespace

server_process::server_process(std::vector<std::string> args, long fd_limit) {
  std::vector<std::string> all{"--chat.host=127.0.0.1", "--chat.port=0",
                               "--chat.web-root=" CHAT_SOURCE_DIR "/web"};
  // The repository's file, unless the test brings its own (chatd takes one).
  if (std::none_of(args.begin(), args.end(), [](const std::string& a) {
        return a.rfind("--config-file=", 0) == 0;
      }))
    all.insert(all.begin(), "--config-file=" + default_config_path());
  // A history file of its own, removed afterwards, unless the test names one.
  if (std::none_of(args.begin(), args.end(), [](const std::string& a) {
        return a.rfind("--chat.history-db=", 0) == 0;
      })) {
    owned_db_ = temp_path("history.db");
    all.push_back("--chat.history-db=" + owned_db_);
  }
  // Presence at once, one presence_diff per change: the suites check what each change
  // tells whom. The grouping of changes per presence-interval (the default, 250ms) has
  // tests of its own, which name the interval.
  if (std::none_of(args.begin(), args.end(), [](const std::string& a) {
        return a.rfind("--chat.presence-interval=", 0) == 0;
      }))
    all.push_back("--chat.presence-interval=0ms");
  all.insert(all.end(), args.begin(), args.end());
  pid_ = spawn(chatd_path(), all, out_fd_, fd_limit);
  auto& out = out_;
  static const std::regex listening{"listening on 127\\.0\\.0\\.1:([0-9]+)"};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::smatch m;
  while (!std::regex_search(out, m, listening)) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !read_some(out_fd_, out, left)) {
      signal(SIGKILL);
      wait_exit(std::chrono::seconds(5));
      throw std::runtime_error("chatd did not start: " + out);
    }
  }
  port_ = static_cast<unsigned short>(std::stoi(m[1]));
}

server_process::~server_process() {
  if (!exited_) {
    signal(SIGKILL);
    wait_exit(std::chrono::seconds(5));
  }
  if (out_fd_ >= 0)
    close(out_fd_);
  if (!owned_db_.empty())
    remove_database(owned_db_);
}

std::string temp_path(const std::string& name) {
  static int counter = 0;
  return "/tmp/chat-test-" + std::to_string(getpid()) + "-" + std::to_string(++counter) +
         "-" + name;
}

void remove_database(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"})
    std::remove((path + suffix).c_str());
}

void server_process::set_file_size_limit(long bytes) {
  rlimit now{};
  if (prlimit(pid_, RLIMIT_FSIZE, nullptr, &now) != 0)
    throw std::runtime_error(std::string{"prlimit: "} + std::strerror(errno));
  now.rlim_cur = bytes < 0 ? now.rlim_max : static_cast<rlim_t>(bytes);
  if (prlimit(pid_, RLIMIT_FSIZE, &now, nullptr) != 0)
    throw std::runtime_error(std::string{"prlimit: "} + std::strerror(errno));
}

void server_process::signal(int sig) {
  if (!exited_)
    kill(pid_, sig);
}

int server_process::wait_exit(std::chrono::milliseconds timeout) {
  auto st = wait_status(pid_, timeout);
  if (st != -1) {
    exited_ = true;
    while (read_some(out_fd_, out_, std::chrono::milliseconds(1000)))
      ; // the rest of its output, up to EOF
  }
  return st;
}

bool server_process::wait_for_output(const std::string& text,
                                     std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out_.find(text) == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !read_some(out_fd_, out_, left))
      return false;
  }
  return true;
}

namespace {
long status_kib(int pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0)
      return std::stol(line.substr(field.size() + 1));
  return -1;
}
} // namespace

long server_process::rss_kib() const {
  return status_kib(pid_, "VmRSS");
}

long server_process::peak_rss_kib() const {
  return status_kib(pid_, "VmHWM");
}

std::chrono::milliseconds server_process::cpu_time() const {
  std::ifstream in("/proc/" + std::to_string(pid_) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  // Fields after the command name (which may hold spaces) start after the last ')'.
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));
  std::string field;
  unsigned long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14)
      utime = std::stoul(field);
    if (i == 15)
      stime = std::stoul(field);
  }
  auto ticks = static_cast<long>(utime + stime);
  return std::chrono::milliseconds(ticks * 1000 / sysconf(_SC_CLK_TCK));
}

run_result run_chatd(const std::vector<std::string>& args,
                     std::chrono::milliseconds timeout) {
  return run_program(chatd_path(), args, timeout);
}

run_result run_program(const std::string& path, const std::vector<std::string>& args,
                       std::chrono::milliseconds timeout) {
  int fd = -1;
  auto pid = spawn(path, args, fd);
  run_result r;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!read_some(fd, r.output, left))
      break; // EOF: the process closed its output
  }
  r.status = wait_status(pid, std::chrono::milliseconds(2000));
  if (r.status == -1) {
    kill(pid, SIGKILL);
    wait_status(pid, std::chrono::seconds(5));
  }
  close(fd);
  return r;
}

} // namespace chat::test
