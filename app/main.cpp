// chatd: reads the configuration, starts the actor system and the network, and runs
// until SIGINT/SIGTERM, then closes every client with 1001 and exits 0.
#include "actors/amqp_bridge.hpp"
#include "actors/connection.hpp"
#include "actors/history.hpp"
#include "actors/http_api.hpp"
#include "actors/manager.hpp"
#include "actors/router.hpp"
#include "app/cluster_node.hpp"
#include "app/config.hpp"
#include "app/descriptor_limit.hpp"
#include "app/token_tool.hpp"
#include "base/log.hpp"
#include "base/timestamp.hpp"
#include "net/server.hpp"
#include "store/history_db.hpp"

#include <caf/all.hpp>
#include <csignal>
#include <cstring>
#include <iostream>

namespace {

constexpr int exit_bad_config = 2;
constexpr int exit_cannot_listen = 1;

bool wants_help(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h"))
      return true;
  return false;
}

std::string join_list(const std::vector<std::string>& xs) {
  std::string out;
  for (const auto& x : xs)
    out += (out.empty() ? "" : ", ") + x;
  return out;
}

std::string param(const std::map<std::string, std::string>& query, const char* key) {
  auto it = query.find(key);
  return it == query.end() ? std::string{} : it->second;
}

int bad_config(const std::string& why) {
  std::cerr << "chatd: " << why << std::endl;
  return exit_bad_config;
}

// What the network callbacks need; filled once the port is bound.
struct wiring {
  caf::actor_system* sys = nullptr;
  chat::context_ptr ctx;
  chat::cluster_node cluster; // invalid on a single node
  chat::manager_actor manager;
  chat::router_actor router;
  chat::http_api api;
};

std::string workers(std::size_t n) {
  return std::to_string(n) + (n == 1 ? " worker" : " workers");
}

} // namespace

int main(int argc, char** argv) {
  // Signals are taken by sigwait in main only: block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // A write past RLIMIT_FSIZE fails with EFBIG instead of killing the server: the
  // history store handles it like a full disk (it stops acking and retries).
  std::signal(SIGXFSZ, SIG_IGN);

  if (argc > 1 && std::strcmp(argv[1], "token") == 0)
    return chat::run_token_tool(argc, argv);
  chat::chat_config cfg;
  if (wants_help(argc, argv)) {
    std::cout
        << "usage: chatd [--config-file=PATH] [--chat.KEY=VALUE ...]\n"
        << "       chatd token --user NAME [--ttl 1h] [--rooms a,b] (a login token)\n"
        << "Settings are read from caf-application.conf in the working directory\n"
        << "and can be overridden on the command line, e.g. --chat.port=4000.\n"
        << "The [chat] keys:\n"
        << cfg.help_text();
    return 0;
  }
  if (auto err = cfg.command_line_error(argc, argv); !err.empty())
    return bad_config(err);
  if (auto err = cfg.parse(argc, argv))
    return bad_config(cfg.describe(err));
  if (cfg.cli_helptext_printed)
    return 0;
  if (auto err = cfg.validate(); !err.empty())
    return bad_config(err);
  chat::set_log_level(*chat::parse_log_level(cfg.settings.log_level));
  // The port's certificate and key are loaded before anything listens: a file that is
  // not PEM, or a key that does not match its certificate, stops the start.
  std::shared_ptr<chat::net::tls_context> tls;
  if (cfg.settings.tls()) {
    std::string err;
    tls = chat::net::load_tls_context(cfg.settings.tls_cert_file,
                                      cfg.settings.tls_key_file, err);
    if (!tls)
      return bad_config(err);
  }
  // The history file is checked before anything listens: a bad one stops the start.
  std::unique_ptr<chat::history_db> store;
  if (!cfg.settings.history_db.empty()) {
    store = std::make_unique<chat::history_db>(cfg.settings.history_db,
                                               cfg.settings.history_sync == "full"
                                                   ? chat::history_db::sync_mode::full
                                                   : chat::history_db::sync_mode::normal);
    if (!store->error().empty())
      return bad_config(store->error());
  }
  // Login tokens: the key is checked before anything listens.
  std::shared_ptr<const chat::auth::token_verifier> verifier;
  if (cfg.settings.authenticating()) {
    std::string err;
    verifier = chat::auth::token_verifier::make(
        {cfg.settings.jwt_secret, cfg.settings.jwt_public_key_file,
         cfg.settings.jwt_audience, cfg.settings.jwt_issuer},
        err);
    if (!verifier)
      return bad_config(err);
  }
  chat::fit_descriptor_limit(cfg.settings.limits.max_connections);
  cfg.load_modules();

  caf::actor_system sys{cfg};
  chat::log_info("chatd starting: config file " + cfg.config_file_path + ", scheduler " +
                 caf::to_string(caf::get_or(sys.config(), "scheduler.policy",
                                            caf::atom("stealing"))) +
                 " (" + workers(sys.scheduler().num_workers()) + "), log-level " +
                 cfg.settings.log_level);
  wiring w;
  w.sys = &sys;
  chat::net::handlers handlers;
  handlers.on_upgrade = [&w](std::shared_ptr<chat::client_link> link,
                             const chat::net::upgrade_request& up) {
    chat::client_hello hello{param(up.query, "name"), param(up.query, "since"), {}, {}};
    if (w.ctx->verifier) {
      auto v = w.ctx->verifier->verify(
          chat::auth::token_of(param(up.query, "token"), up.authorization),
          chat::unix_now_s());
      if (v.who)
        hello.who = std::move(v.who);
      else
        hello.refused = v.why;
    }
    auto conn = chat::spawn_connection(*w.sys, std::move(link), std::move(hello), w.ctx,
                                       w.manager, w.router);
    return chat::make_client_events(std::move(conn));
  };
  handlers.on_request = [&w](const chat::net::http_request& req,
                             chat::net::responder respond) {
    if (req.path == "/ws") {
      // A plain GET of the WebSocket endpoint: a page whose upgrade failed can read why
      // (a browser never sees the body of a refused upgrade).
      if (w.ctx->verifier) {
        auto v = w.ctx->verifier->verify(
            chat::auth::token_of(param(req.query, "token"), req.authorization),
            chat::unix_now_s());
        if (!v.who) {
          respond(401, "text/plain; charset=utf-8",
                  std::string{chat::describe(v.why)} + "\n");
          return true;
        }
      }
      respond(426, "text/plain; charset=utf-8", "connect with a WebSocket\n");
      return true;
    }
    return w.api.answer({req.method, req.path, req.query, req.authorization, req.body},
                        std::move(respond));
  };
  auto transport = cfg.transport_settings();
  transport.tls = std::move(tls);
  auto counters = transport.counters;
  auto net =
      std::make_unique<chat::net::server>(std::move(transport), std::move(handlers));
  if (auto err = net->listen(cfg.settings.host, cfg.settings.port); !err.empty()) {
    chat::log_error(err);
    return exit_cannot_listen;
  }
  auto ctx = cfg.actor_context(net->port());
  ctx.counters = counters;
  if (cfg.settings.clustered()) {
    // The cluster actor exists and listens before any client can come.
    chat::cluster_settings cs{
        ctx.node_name, cfg.settings.cluster_join, {}, ctx.limits, counters};
    if (auto err = chat::start_cluster(sys, cfg.settings, std::move(cs), w.cluster);
        !err.empty()) {
      chat::log_error(err);
      return exit_cannot_listen;
    }
    ctx.cluster = w.cluster.actor;
    counters->clustered = true;
  }
  if (store) {
    chat::log_info("history: " + store->path() + " (sync " + cfg.settings.history_sync +
                   ")");
    ctx.history = chat::spawn_history(sys, std::move(store), ctx.limits, counters);
  } else {
    chat::log_info("history: in memory only (history-db is empty)");
  }
  if (cfg.settings.amqp()) {
    // validate() parsed it already; the bridge connects once it has the router.
    std::string why;
    auto where = *chat::parse_amqp_url(cfg.settings.amqp_url, why);
    chat::amqp_options opts;
    opts.exchange = cfg.settings.amqp_exchange;
    opts.inbound_queue = cfg.settings.amqp_inbound_queue;
    opts.prefetch = ctx.limits.amqp_prefetch;
    opts.heartbeat_s = ctx.limits.amqp_heartbeat_s;
    opts.timeout =
        std::chrono::duration_cast<std::chrono::milliseconds>(ctx.limits.amqp_timeout);
    ctx.amqp = chat::spawn_amqp_bridge(sys, std::move(where), std::move(opts), ctx.limits,
                                       counters);
  }
  if (verifier) {
    chat::log_info(std::string{"login: JWT "} +
                   std::string{chat::auth::to_string(verifier->alg())} +
                   " required on /ws");
    counters->authenticating = true;
  }
  ctx.verifier = std::move(verifier);
  w.ctx = std::make_shared<const chat::node_context>(std::move(ctx));
  w.manager = chat::spawn_manager(sys, w.ctx);
  w.router = chat::spawn_router(sys, w.ctx);
  w.api = chat::http_api{&sys, w.manager, w.router, w.ctx, cfg.settings.api_key};
  if (w.ctx->amqp)
    caf::anon_send(w.ctx->amqp, chat::amqp_wiring{w.router});
  if (w.cluster.actor) {
    caf::anon_send(w.cluster.actor,
                   chat::cluster_wiring{w.router, w.manager, w.cluster.address});
    chat::log_info("cluster: accepting peer nodes at " + w.cluster.address +
                   (cfg.settings.cluster_tls() ? " (TLS)" : "") +
                   (cfg.settings.cluster_join.empty()
                        ? std::string{}
                        : ", joining " + join_list(cfg.settings.cluster_join)));
  }
  net->run(static_cast<unsigned>(cfg.settings.io_threads));
  chat::log_info("chatd listening on " + cfg.settings.host + ":" +
                 std::to_string(net->port()) + (cfg.settings.tls() ? " (TLS)" : "") +
                 " (node " + w.ctx->node_name + ")");

  int sig = 0;
  sigwait(&signals, &sig);
  chat::log_info(std::string{"chatd: "} + strsignal(sig) +
                 ", closing every client with 1001");
  const auto grace = w.ctx->limits.shutdown_grace;
  auto deadline = std::chrono::steady_clock::now() + grace;
  {
    caf::scoped_actor self{sys};
    // The other nodes first: they drop this node's users at once, not when its link
    // times out.
    if (w.cluster.actor)
      self->request(w.cluster.actor, grace / 3, chat::leave_cluster{})
          .receive([](bool) {}, [](caf::error&) {});
    self->request(w.manager, grace, chat::shutdown_server{})
        .receive([](bool) {}, [](caf::error&) {});
  }
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  net->stop(std::max(left, std::chrono::milliseconds(100)));
  net.reset(); // sessions release their actor handles while the actor system still runs
  caf::anon_send_exit(w.router, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(w.manager, caf::exit_reason::user_shutdown);
  if (w.cluster.actor)
    caf::anon_send_exit(w.cluster.actor, caf::exit_reason::user_shutdown);
  if (w.ctx->amqp) // closes the broker connection; unconfirmed messages are lost
    caf::anon_send_exit(w.ctx->amqp, caf::exit_reason::user_shutdown);
  if (w.ctx->history) // writes what waits, then ends; the system waits for its thread
    caf::anon_send_exit(w.ctx->history, caf::exit_reason::user_shutdown);
  w = wiring{};
  chat::log_info("chatd stopped");
  return 0;
}
