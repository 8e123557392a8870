#include "tests/support/cluster_node.hpp"

#include "tests/support/ws_client.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <boost/json.hpp>
#include <csignal>
#include <netinet/in.h>
#include <stdexcept>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace chat::test {

unsigned short free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("no free port");
  ::close(fd);
  return ntohs(addr.sin_port);
}

cluster_node::cluster_node(std::string name, std::vector<std::string> join,
                           std::vector<std::string> extra_args)
    : name_(std::move(name)), join_(std::move(join)), extra_(std::move(extra_args)) {
  // The port was free when picked; another process may take it before chatd binds it,
  // so a start that cannot listen is tried again on another port.
  for (int attempt = 0;; ++attempt) {
    cluster_port_ = free_port();
    try {
      start();
      return;
    } catch (const std::runtime_error& e) {
      if (attempt == 4 ||
          std::string{e.what()}.find("cannot listen") == std::string::npos)
        throw;
    }
  }
}

void cluster_node::start() {
  std::vector<std::string> args{"--chat.node-name=\"" + name_ + "\"",
                                "--chat.cluster-port=" + std::to_string(cluster_port_)};
  if (!join_.empty()) {
    std::string list = "[";
    for (const auto& j : join_)
      list += (list.size() > 1 ? ",\"" : "\"") + j + "\"";
    args.push_back("--chat.cluster-join=" + list + "]");
  }
  args.insert(args.end(), extra_.begin(), extra_.end());
  proc_.reset();
  proc_ = std::make_unique<server_process>(args);
}

std::vector<std::string> cluster_node::peers_up() const {
  std::vector<std::string> xs;
  auto r = http_request(proc_->port(), "/healthz");
  if (r.status != 200)
    return xs;
  auto o = boost::json::parse(r.body).as_object();
  if (!o.contains("peers"))
    return xs;
  for (const auto& p : o.at("peers").as_array())
    if (p.at("state").as_string() == "up")
      xs.emplace_back(p.at("node").as_string());
  std::sort(xs.begin(), xs.end());
  return xs;
}

void cluster_node::kill() {
  proc_->signal(SIGKILL);
  proc_->wait_exit(std::chrono::seconds(5));
}

void cluster_node::restart() {
  start();
}

bool wait_for_mesh(const std::vector<cluster_node*>& nodes,
                   std::chrono::milliseconds timeout) {
  // No event says when the last link is up: poll each node's /healthz, bounded.
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    bool all = true;
    for (auto* n : nodes) {
      std::vector<std::string> want;
      for (auto* other : nodes)
        if (other != n)
          want.push_back(other->name());
      std::sort(want.begin(), want.end());
      auto up = n->peers_up();
      if (!std::includes(up.begin(), up.end(), want.begin(), want.end())) {
        all = false;
        break;
      }
    }
    if (all)
      return true;
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

} // namespace chat::test
