// chatd: reads the configuration, starts the actor system and the network, and runs
// until SIGINT/SIGTERM, then closes every client with 1001 and exits 0.
#include "actors/connection.hpp"
#include "actors/http_api.hpp"
#include "actors/manager.hpp"
#include "actors/router.hpp"
#include "app/config.hpp"
#include "messages/atoms.hpp"
#include "net/server.hpp"

#include <caf/all.hpp>
#include <csignal>
#include <cstring>
#include <iostream>

namespace {

constexpr int exit_bad_config = 2;
constexpr int exit_cannot_listen = 1;
// SIGTERM to exit: the clients' close handshakes, then the actors.
constexpr auto shutdown_grace = std::chrono::milliseconds(1500);

bool wants_help(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h"))
      return true;
  return false;
}

// What the network callbacks need; filled once the port is bound.
struct wiring {
  caf::actor_system* sys = nullptr;
  chat::chat_limits limits;
  caf::actor manager;
  caf::actor router;
  chat::http_api api;
};

} // namespace

int main(int argc, char** argv) {
  // Signals are taken by sigwait in main only: block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  chat::chat_config cfg;
  if (wants_help(argc, argv)) {
    std::cout << "usage: chatd [--config-file=PATH] [--chat.KEY=VALUE ...]\n"
              << "Settings are read from caf-application.conf in the working directory\n"
              << "and can be overridden on the command line, e.g. --chat.port=4000.\n\n"
              << cfg.help_text();
    return 0;
  }
  if (auto err = cfg.parse(argc, argv)) {
    std::cerr << "chatd: " << cfg.render(err) << "\n";
    return exit_bad_config;
  }
  if (cfg.cli_helptext_printed)
    return 0;
  if (auto err = cfg.validate(); !err.empty()) {
    std::cerr << "chatd: " << err << "\n";
    return exit_bad_config;
  }

  caf::actor_system sys{cfg};
  wiring w;
  w.sys = &sys;
  chat::net::handlers handlers;
  handlers.on_upgrade = [&w](std::shared_ptr<chat::client_link> link, std::string name) {
    return chat::spawn_connection(*w.sys, std::move(link), std::move(name), w.limits,
                                  w.manager, w.router);
  };
  handlers.on_request = [&w](const chat::net::http_request& req,
                             chat::net::responder respond) {
    return w.api.answer({req.method, req.path, req.query, req.authorization, req.body},
                        std::move(respond));
  };
  auto counters = std::make_shared<chat::metrics>();
  auto transport = cfg.transport_limits();
  transport.counters = counters;
  auto net =
      std::make_unique<chat::net::server>(std::move(transport), std::move(handlers));
  if (auto err = net->listen(cfg.host, cfg.port); !err.empty()) {
    std::cerr << "chatd: " << err << "\n";
    return exit_cannot_listen;
  }
  w.limits = cfg.actor_limits(net->port());
  w.limits.counters = counters;
  w.manager = chat::spawn_manager(sys, w.limits);
  w.router = chat::spawn_router(sys, w.limits, w.manager);
  w.api = chat::http_api{&sys,     w.manager,       w.router,   w.limits.node_name,
                         counters, w.limits.decode, cfg.api_key};
  net->run(static_cast<unsigned>(cfg.io_threads));
  std::cout << "chatd listening on " << cfg.host << ":" << net->port() << " (node "
            << w.limits.node_name << ")" << std::endl;

  int sig = 0;
  sigwait(&signals, &sig);
  std::cout << "chatd: " << strsignal(sig) << ", closing every client with 1001"
            << std::endl;
  auto deadline = std::chrono::steady_clock::now() + shutdown_grace;
  {
    caf::scoped_actor self{sys};
    self->request(w.manager, shutdown_grace, chat::shutdown_atom::value)
        .receive([](bool) {}, [](caf::error&) {});
  }
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  net->stop(std::max(left, std::chrono::milliseconds(100)));
  net.reset(); // sessions release their actor handles while the actor system still runs
  caf::anon_send_exit(w.router, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(w.manager, caf::exit_reason::user_shutdown);
  w = wiring{};
  std::cout << "chatd: stopped" << std::endl;
  return 0;
}
