#include "tests/support/rabbitmq_broker.hpp"

#include "tests/support/amqp_watch.hpp"
#include "tests/support/cluster_node.hpp"
#include "tests/support/server_process.hpp"

#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace chat::test {

namespace {

constexpr const char* server_path = "/usr/lib/rabbitmq/bin/rabbitmq-server";

// Forks `argv` with `env` added, output to `log`, in a process group of its own.
int spawn_with_env(const std::vector<std::string>& argv,
                   const std::vector<std::string>& env, const std::string& log) {
  auto pid = fork();
  if (pid < 0)
    throw std::runtime_error("fork failed");
  if (pid == 0) {
    setpgid(0, 0);
    int in = ::open("/dev/null", O_RDONLY);
    int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(in, 0);
    dup2(out, 1);
    dup2(out, 2);
    for (const auto& e : env)
      putenv(const_cast<char*>(e.c_str())); // the child's copy lives until exec
    std::vector<char*> args;
    for (const auto& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

// Waits for `pid` to end; false when it has not within `timeout`.
bool reap(int pid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid)
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50)); // no event to await
  }
  return false;
}

} // namespace

rabbitmq_broker::rabbitmq_broker(std::chrono::seconds ready_timeout)
    : ready_timeout_(ready_timeout) {
  dir_ = temp_path("rabbitmq");
  std::filesystem::create_directories(dir_ + "/home");
  std::ofstream{dir_ + "/enabled_plugins"} << "[].\n";
  std::ofstream{dir_ + "/rabbitmq.conf"} << "loopback_users = none\n";
  port_ = free_port();
  dist_port_ = free_port();
  epmd_port_ = free_port();
  // epmd as our own child: the broker finds it on ERL_EPMD_PORT instead of starting a
  // daemon that would outlive the test.
  epmd_pid_ = spawn_with_env({"/usr/bin/epmd", "-port", std::to_string(epmd_port_)}, {},
                             dir_ + "/epmd.log");
  start();
}

rabbitmq_broker::~rabbitmq_broker() {
  try {
    stop();
  } catch (...) {
  }
  if (epmd_pid_ > 0) {
    kill(epmd_pid_, SIGKILL);
    reap(epmd_pid_, std::chrono::seconds(5));
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string rabbitmq_broker::url() const {
  return "amqp://guest:guest@127.0.0.1:" + std::to_string(port_);
}

void rabbitmq_broker::start() {
  if (pid_ > 0)
    return;
  auto p = [](unsigned short n) { return std::to_string(n); };
  std::vector<std::string> env{"HOME=" + dir_ + "/home",
                               "RABBITMQ_NODENAME=chattest" + p(port_) + "@localhost",
                               "RABBITMQ_NODE_IP_ADDRESS=127.0.0.1",
                               "RABBITMQ_NODE_PORT=" + p(port_),
                               "RABBITMQ_DIST_PORT=" + p(dist_port_),
                               "ERL_EPMD_PORT=" + p(epmd_port_),
                               "RABBITMQ_MNESIA_BASE=" + dir_ + "/mnesia",
                               "RABBITMQ_LOG_BASE=" + dir_ + "/log",
                               "RABBITMQ_ENABLED_PLUGINS_FILE=" + dir_ +
                                   "/enabled_plugins",
                               "RABBITMQ_CONFIG_FILE=" + dir_ + "/rabbitmq.conf",
                               "RABBITMQ_PID_FILE=" + dir_ + "/rabbitmq.pid"};
  pid_ = spawn_with_env({server_path}, env, dir_ + "/server.log");
  wait_ready();
}

void rabbitmq_broker::stop() {
  if (pid_ <= 0)
    return;
  kill(pid_, SIGTERM); // the script stops the VM cleanly and waits for it
  if (!reap(pid_, std::chrono::seconds(30))) {
    kill(-pid_, SIGKILL);
    reap(pid_, std::chrono::seconds(5));
  }
  kill(-pid_, SIGKILL); // anything of its group left behind (erl_child_setup)
  pid_ = -1;
}

// Polls an AMQP login: the port opens only once the broker has booted.
void rabbitmq_broker::wait_ready() {
  auto deadline = std::chrono::steady_clock::now() + ready_timeout_;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("rabbitmq-server exited:\n" + log_tail());
    }
    if (amqp_login_works(port_))
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds(200)); // a poll, not a wait
  }
  auto tail = log_tail();
  stop();
  throw std::runtime_error("rabbitmq-server not ready in time:\n" + tail);
}

std::string rabbitmq_broker::log_tail() const {
  std::ifstream in{dir_ + "/server.log"};
  std::ostringstream s;
  s << in.rdbuf();
  auto text = s.str();
  return text.size() > 3000 ? text.substr(text.size() - 3000) : text;
}

} // namespace chat::test
