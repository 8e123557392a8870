// chatd nodes of a cluster on loopback for tests: each with its own HTTP port and cluster
// port, joined through the nodes given, restartable on the same cluster port.
#pragma once

#include "tests/support/server_process.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace chat::test {

// A TCP port that was free a moment ago (the kernel's pick for port 0).
unsigned short free_port();

class cluster_node {
public:
  // Starts chatd named `name` on a free cluster port, joining `join` ("127.0.0.1:port").
  cluster_node(std::string name, std::vector<std::string> join = {},
               std::vector<std::string> extra_args = {});

  server_process& server() { return *proc_; }
  unsigned short port() const { return proc_->port(); }
  unsigned short cluster_port() const { return cluster_port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(cluster_port_); }
  const std::string& name() const { return name_; }

  // The peers this node's /healthz lists as up.
  std::vector<std::string> peers_up() const;

  void kill();    // SIGKILL, and waits for the process to end
  void restart(); // a new process with the same name, cluster port and arguments

private:
  void start();
  std::string name_;
  std::vector<std::string> join_;
  std::vector<std::string> extra_;
  unsigned short cluster_port_ = 0;
  std::unique_ptr<server_process> proc_;
};

// Waits until every node lists every other as up; false after `timeout`.
bool wait_for_mesh(const std::vector<cluster_node*>& nodes,
                   std::chrono::milliseconds timeout = std::chrono::seconds(15));

} // namespace chat::test
