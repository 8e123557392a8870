// Start, configuration, liveness and shutdown of a real chatd process.
#define BOOST_TEST_MODULE lifecycle
#include "tests/support/events.hpp"

#include <boost/test/unit_test.hpp>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <regex>
#include <sched.h>
#include <sstream>
#include <unistd.h>

using namespace chat::test;
namespace json = boost::json;

namespace {

// A config file in /tmp with `body`, removed at scope exit.
struct temp_config {
  std::string path;
  explicit temp_config(const std::string& body) {
    char name[] = "/tmp/chatd-test-XXXXXX";
    int fd = mkstemp(name);
    BOOST_TEST_REQUIRE(fd >= 0);
    close(fd);
    path = name;
    std::ofstream{path} << body;
  }
  ~temp_config() { std::remove(path.c_str()); }
};

run_result start_with(const std::string& conf_body, std::vector<std::string> extra = {}) {
  temp_config conf{conf_body};
  std::vector<std::string> args{"--config-file=" + conf.path};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_chatd(args, std::chrono::seconds(10));
}

} // namespace

BOOST_AUTO_TEST_CASE(sigterm_closes_every_client_with_1001_and_exits_0) {
  server_process server;
  std::vector<ws_client> clients;
  for (auto name : {"a", "b", "c"}) {
    clients.emplace_back(server.port(), std::string{"/ws?name="} + name);
    clients.back().expect("welcome");
  }
  server.signal(SIGTERM);
  for (auto& c : clients)
    BOOST_TEST(c.close_code() == 1001);
  // the issue's bound: exit 0 within 2 seconds of the signal
  BOOST_TEST(server.wait_exit(std::chrono::seconds(2)) == 0);
}

BOOST_AUTO_TEST_CASE(sigint_also_exits_0) {
  server_process server;
  ws_client c{server.port()};
  c.expect("welcome");
  server.signal(SIGINT);
  BOOST_TEST(c.close_code() == 1001);
  BOOST_TEST(server.wait_exit(std::chrono::seconds(2)) == 0);
}

BOOST_AUTO_TEST_CASE(client_that_never_answers_pings_is_dropped) {
  server_process server{{"--chat.ping-interval=200ms", "--chat.pong-timeout=300ms"}};
  ws_client alive{server.port(), "/ws?name=alive"};
  alive.expect("welcome");
  // `silent` never reads after its welcome, so it never answers a ping.
  ws_client silent{server.port(), "/ws?name=silent"};
  silent.expect("welcome");
  BOOST_TEST(connections(server.port()) == 2);
  // `alive` keeps reading (and so answers pings) until the manager drops `silent`.
  BOOST_TEST(expect_presence(alive, "left").user == "silent");
  // The room and the manager each learn of the end of silent's connection on their own.
  BOOST_TEST(await_connections(server.port(), 1));
  BOOST_TEST(silent.close_code() == 0); // dropped: no close frame
  // the live client still works after several ping rounds
  alive.send(R"({"type":"send_message","payload":{"message":"still alive"}})");
  BOOST_TEST(alive.expect("new_message").at("payload").at("message").as_string() ==
             "still alive");
}

BOOST_AUTO_TEST_CASE(unknown_chat_key_stops_the_start) {
  auto r = start_with("[chat]\nport=0\nbogus-key=1\n");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.output.find("chat.bogus-key") != std::string::npos, r.output);
}

BOOST_AUTO_TEST_CASE(wrong_type_names_the_key) {
  auto r = start_with("[chat]\nport=\"abc\"\n");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.output.find("chat.port") != std::string::npos, r.output);
}

BOOST_AUTO_TEST_CASE(out_of_range_names_the_key) {
  auto r = start_with("[chat]\nport=0\nmax-frame-bytes=1\n");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.output.find("chat.max-frame-bytes") != std::string::npos, r.output);
  r = start_with("[chat]\nport=0\nping-interval=5\n");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.output.find("chat.ping-interval") != std::string::npos, r.output);
}

BOOST_AUTO_TEST_CASE(bad_command_line_value_names_the_key) {
  auto r = start_with("[chat]\nport=0\n", {"--chat.port=notaport"});
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.output.find("chat.port") != std::string::npos, r.output);
}

BOOST_AUTO_TEST_CASE(unreadable_config_file_is_named) {
  auto r = run_chatd({"--config-file=/nonexistent/chat.conf"}, std::chrono::seconds(10));
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.output.find("/nonexistent/chat.conf") != std::string::npos, r.output);
}

BOOST_AUTO_TEST_CASE(command_line_beats_the_file) {
  temp_config conf{"[chat]\nhost=\"127.0.0.1\"\nport=1\nnode-name=\"from-file\"\n"};
  server_process server{
      {"--config-file=" + conf.path, "--chat.port=0", "--chat.node-name=cli"}};
  ws_client c{server.port()};
  BOOST_TEST(c.expect("welcome").at("payload").at("node").as_string() == "cli");
}

BOOST_AUTO_TEST_CASE(help_lists_the_chat_options) {
  auto r = run_chatd({"--help"}, std::chrono::seconds(10));
  BOOST_TEST(r.status == 0);
  BOOST_TEST(r.output.find("--chat.port") != std::string::npos, r.output);
  BOOST_TEST(r.output.find("--chat.max-frame-bytes") != std::string::npos, r.output);
}

BOOST_AUTO_TEST_CASE(port_in_use_fails_clearly) {
  server_process first;
  auto r = run_chatd({"--config-file=" + default_config_path(), "--chat.host=127.0.0.1",
                      "--chat.port=" + std::to_string(first.port())},
                     std::chrono::seconds(10));
  BOOST_TEST(r.status != 0);
  BOOST_TEST(r.output.find("cannot listen") != std::string::npos, r.output);
}

BOOST_AUTO_TEST_CASE(allowed_origins_from_the_config) {
  server_process server{{R"(--chat.allowed-origins=["https://chat.example"])"}};
  BOOST_TEST(ws_client::refused_status(server.port(), "/ws", "https://chat.example") ==
             0u);
  // the list replaces the same-host rule
  BOOST_TEST(ws_client::refused_status(server.port(), "/ws",
                                       "http://127.0.0.1:" +
                                           std::to_string(server.port())) == 403u);
}

BOOST_AUTO_TEST_CASE(allowed_origins_must_be_strings) {
  auto r = start_with("[chat]\nport=0\nallowed-origins=[1, 2]\n");
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.output.find("chat.allowed-origins") != std::string::npos, r.output);
}

BOOST_AUTO_TEST_CASE(several_io_threads_chat_and_shut_down_cleanly) {
  // With more than one io thread each session runs on its own strand and frames cross
  // by a post per frame instead of the outbox: the same behaviour is expected.
  server_process server{{"--chat.io-threads=4"}};
  std::vector<ws_client> clients;
  for (int i = 0; i < 6; ++i) {
    clients.emplace_back(server.port(), "/ws?name=c" + std::to_string(i));
    clients.back().expect("welcome");
  }
  for (int i = 0; i < 6; ++i)
    clients[static_cast<std::size_t>(i)].send(
        R"({"type":"send_message","payload":{"message":"from )" + std::to_string(i) +
        "\"}}");
  for (auto& c : clients) {
    int got = 0;
    while (got < 6) {
      c.expect("new_message");
      ++got;
    }
  }
  server.signal(SIGTERM);
  for (auto& c : clients)
    BOOST_TEST(c.close_code() == 1001);
  BOOST_TEST(server.wait_exit(std::chrono::seconds(2)) == 0);
}

BOOST_AUTO_TEST_CASE(healthz_is_503_and_upgrades_are_refused_during_shutdown) {
  server_process server;
  // `lingering` never reads again, so its close handshake keeps the shutdown going (up to
  // the 1.5 s grace) while the rest of this test looks at the server.
  ws_client lingering{server.port(), "/ws?name=lingering"};
  lingering.expect("welcome");
  ws_client c{server.port(), "/ws?name=c"};
  c.expect("welcome");
  BOOST_TEST(http_request(server.port(), "/healthz").status == 200u);
  server.signal(SIGTERM);
  BOOST_TEST(c.close_code() == 1001); // the manager has begun to shut down
  auto r = http_request(server.port(), "/healthz");
  BOOST_TEST(r.status == 503u);
  BOOST_TEST(json::parse(r.body).at("status").as_string() == "shutting_down");
  BOOST_TEST(ws_client::refused_status(server.port()) == 503u);
  BOOST_TEST(server.wait_exit(std::chrono::seconds(2)) == 0);
}

BOOST_AUTO_TEST_CASE(speed_does_not_hang_on_the_config_file) {
  // A file with only [chat] host/port gets the scheduler caf-application.conf used to
  // name: the default is set in code. The start line reports what CAF was given...
  temp_config only_chat{"[chat]\nhost=\"127.0.0.1\"\nport=0\n"};
  server_process plain{{"--config-file=" + only_chat.path}};
  BOOST_TEST(plain.output().find("scheduler sharing") != std::string::npos,
             plain.output());
  // ...and a file may still choose another.
  temp_config stealing{"[chat]\nhost=\"127.0.0.1\"\nport=0\n[scheduler]\n"
                       "policy='stealing'\n"};
  server_process other{{"--config-file=" + stealing.path}};
  BOOST_TEST(other.output().find("scheduler stealing") != std::string::npos,
             other.output());
}

BOOST_AUTO_TEST_CASE(scheduler_threads_follow_the_cores_the_process_may_use) {
  // chatd inherits this process's CPU affinity: one allowed core, one worker (CAF alone
  // would count the machine's cores), unless the file names max-threads.
  cpu_set_t before, one;
  BOOST_TEST_REQUIRE(sched_getaffinity(0, sizeof before, &before) == 0);
  CPU_ZERO(&one);
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &before)) {
      CPU_SET(cpu, &one);
      break;
    }
  BOOST_TEST_REQUIRE(sched_setaffinity(0, sizeof one, &one) == 0);
  std::string pinned, named;
  {
    server_process server;
    pinned = server.output();
    temp_config three{"[chat]\nhost=\"127.0.0.1\"\nport=0\n[scheduler]\nmax-threads=3\n"};
    server_process other{{"--config-file=" + three.path}};
    named = other.output();
  }
  sched_setaffinity(0, sizeof before, &before);
  BOOST_TEST(pinned.find("scheduler sharing (1 worker)") != std::string::npos, pinned);
  BOOST_TEST(named.find("scheduler sharing (3 workers)") != std::string::npos, named);
}

BOOST_AUTO_TEST_CASE(unknown_option_is_named_with_a_pointer_to_help) {
  auto r = start_with("[chat]\nport=0\n", {"--chat.x=1"});
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.output.find("unknown option --chat.x=1") != std::string::npos, r.output);
  BOOST_TEST(r.output.find("--help") != std::string::npos, r.output);
  BOOST_TEST(r.output.find("parser_error") == std::string::npos, r.output);
  r = start_with("[chat]\nport=0\n", {"--nonsense"});
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.output.find("unknown option --nonsense") != std::string::npos, r.output);
}

BOOST_AUTO_TEST_CASE(a_policy_close_is_logged_with_its_code_and_reason) {
  server_process server{{"--chat.max-errors-in-row=2"}};
  ws_client c{server.port(), "/ws?name=noisy"};
  c.expect("welcome");
  c.send("not json");
  c.send("not json either");
  BOOST_TEST(c.close_code() == 1008);
  BOOST_TEST(server.wait_for_output("info client noisy closed: 1008 too many protocol "
                                    "errors in a row",
                                    default_wait),
             server.output());
}

BOOST_AUTO_TEST_CASE(log_lines_carry_a_time_and_a_level_and_the_level_filters) {
  // The same event (a client dropped for silence) in two servers: logged at debug only.
  auto run = [](const std::string& level) {
    server_process server{{"--chat.ping-interval=200ms", "--chat.pong-timeout=300ms",
                           "--chat.log-level=\"" + level + "\""}};
    ws_client alive{server.port(), "/ws?name=alive"};
    alive.expect("welcome");
    ws_client silent{server.port(), "/ws?name=silent"};
    silent.expect("welcome");
    BOOST_TEST(expect_presence(alive, "left").user == "silent");
    server.signal(SIGTERM);
    BOOST_TEST(server.wait_exit(std::chrono::seconds(2)) == 0);
    return server.output();
  };
  auto debug = run("debug");
  auto info = run("info");
  BOOST_TEST(debug.find("dropped: no pong within pong-timeout") != std::string::npos,
             debug);
  BOOST_TEST(info.find("dropped") == std::string::npos, info);
  // Every line: an RFC 3339 UTC time, a level, the text.
  static const std::regex line{
      R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z (error|warning|info|debug) \S.*)"};
  std::istringstream lines{info};
  std::string l;
  int n = 0;
  while (std::getline(lines, l)) {
    BOOST_TEST(std::regex_match(l, line), l);
    ++n;
  }
  BOOST_TEST(n >= 4); // starting, listening, the signal, stopped
  BOOST_TEST(info.find("info chatd stopped") != std::string::npos, info);
}
