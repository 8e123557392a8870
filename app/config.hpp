// The server's configuration: CAF's actor_system_config plus the [chat] section (the
// table in app/settings.hpp), the checks CAF does not do (unknown keys, wrong types and
// ranges fail the start by name), and the performance defaults set in code.
#pragma once

#include "actors/node_context.hpp"
#include "app/settings.hpp"
#include "net/server.hpp"

#include <caf/actor_system_config.hpp>
#include <string>

namespace chat {

class chat_config : public caf::actor_system_config {
public:
  chat_config();
  chat_config(const chat_config&) = delete; // CAF's options point into `settings`

  chat_settings settings;

  // `chatd --help`: every [chat] key with its default, range and meaning.
  std::string help_text() const;

  // What is wrong with the command line before CAF reads it: an option neither CAF nor
  // [chat] knows, or a second --config-file (CAF would read the first and report the
  // last). Empty when nothing is.
  std::string command_line_error(int argc, char** argv) const;

  // What went wrong in parse(), naming the argument when CAF knows it.
  std::string describe(const caf::error& parse_error) const;

  // Checks the parsed settings. Returns a message naming the bad key or file; empty if
  // fine.
  std::string validate() const;

  // Loads CAF's middleman (and its OpenSSL module) when this node is in a cluster.
  // Call after validate(), before the actor_system is built.
  void load_modules();

  // This node's name: node-name, or the machine's host name and the HTTP port.
  std::string node_name(unsigned short bound_port) const;

  node_context actor_context(unsigned short bound_port) const;
  net::net_settings transport_settings() const;

private:
  std::string check_tls() const;
  std::string check_amqp() const;
  std::string check_cluster() const;
};

} // namespace chat
