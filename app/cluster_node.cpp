#include "app/cluster_node.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/openssl/all.hpp>

namespace chat {

std::string start_cluster(caf::actor_system& sys, const chat_settings& s,
                          cluster_settings actor_settings, cluster_node& out) {
  actor_settings.transport = s.cluster_tls() ? sys.openssl_manager().actor_handle()
                                             : sys.middleman().actor_handle();
  auto actor = spawn_cluster(sys, std::move(actor_settings));
  // SO_REUSEADDR: a node restarted after a crash rebinds its port at once.
  auto port =
      s.cluster_tls()
          ? caf::openssl::publish(actor, s.cluster_port, s.cluster_host.c_str(), true)
          : sys.middleman().publish(actor, s.cluster_port, s.cluster_host.c_str(), true);
  if (!port) {
    caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
    return "cannot listen for cluster peers on " + s.cluster_host + ":" +
           std::to_string(s.cluster_port) + ": " + sys.render(port.error());
  }
  out.actor = std::move(actor);
  out.address = s.cluster_host + ":" + std::to_string(*port);
  return {};
}

} // namespace chat
