// chat-loadgen: load generator for the actor-chat WebSocket server (docs/benchmarks.md).
//
//   chat-loadgen fanout --host=127.0.0.1 --port=P --clients=1000 --senders=10 --rate=100
//   chat-loadgen idle   --port=P --clients=19000 --hold=20 --chat-clients=100 --rate=100
//   chat-loadgen rooms  --port=P --clients=10000 --room-size=5 --room-rate=1
//   chat-loadgen soak   --port=P --server-pid=PID   (600 s of churn; bench/soak runs it)
//
// Clients run on one boost::asio::io_context (--threads=N io threads), each connection a
// Beast WebSocket stream with one read loop and one write queue. Progress goes to stderr
// about once a second; the result is ONE JSON line on stdout.
//
// Exit status (meant for scripts and a ctest smoke test):
//   0  the run completed and delivered messages (or, in idle mode, connections were held)
//   1  nothing was delivered at all, no client got its welcome (every connect failed),
//      or more than --max-lost deliveries were lost
//   2  bad command line
//   3  the hard deadline (--deadline) or SIGINT/SIGTERM cut the run short; the JSON line
//      still holds what was measured up to then
// soak: 0 passed, 1 failed (the JSON line's "failures" say why), 2 and 3 as above.
#include "load_run.hpp"
#include "options.hpp"
#include "proc_stats.hpp"
#include "report.hpp"
#include "soak_run.hpp"

#include <csignal>
#include <cstdio>

namespace {

extern "C" void on_signal(int) {
  bench::request_stop();
  bench::request_soak_stop();
}

} // namespace

int main(int argc, char** argv) {
  const bench::Options opts = bench::parse_options(argc, argv);
  const long nofile = bench::raise_nofile_limit();
  if (nofile > 0 && opts.clients + 64 > static_cast<unsigned long>(nofile))
    std::fprintf(
        stderr,
        "chat-loadgen: warning: %u clients but only %ld file descriptors allowed\n",
        opts.clients, nofile);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGPIPE, SIG_IGN);

  if (opts.mode == bench::Mode::soak) {
    const bench::SoakReport report = bench::run_soak(opts);
    std::printf("%s\n", bench::to_json_line(report).c_str());
    std::fflush(stdout);
    return report.exit_code;
  }
  const bench::Report report = bench::run_load(opts);
  std::printf("%s\n", bench::to_json_line(report).c_str());
  std::fflush(stdout);
  return report.exit_code;
}
