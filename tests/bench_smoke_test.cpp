// Keeps the load generator working: one second of fanout against a test server.
// (Figures are measured by bench/run, never asserted here.)
#define BOOST_TEST_MODULE bench_smoke
#include "tests/support/server_process.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <sstream>

using namespace chat::test;
namespace json = boost::json;

BOOST_AUTO_TEST_CASE(loadgen_fanout_for_one_second) {
  server_process server;
  auto r = run_program(CHAT_LOADGEN_PATH,
                       {"fanout", "--host=127.0.0.1",
                        "--port=" + std::to_string(server.port()), "--clients=20",
                        "--senders=2", "--rate=20", "--duration=1", "--max-lost=0",
                        "--server-pid=" + std::to_string(server.pid())},
                       std::chrono::seconds(60));
  BOOST_TEST_REQUIRE(r.status == 0, r.output);
  // stdout carries one JSON line; progress lines (stderr) are interleaved in r.output.
  std::istringstream lines{r.output};
  std::string line, report;
  while (std::getline(lines, line))
    if (line.rfind("{\"mode\"", 0) == 0)
      report = line;
  BOOST_TEST_REQUIRE(!report.empty(), r.output);
  auto o = json::parse(report).as_object();
  BOOST_TEST(o.at("mode").as_string() == "fanout");
  BOOST_TEST(o.at("welcomed").to_number<int>() == 20);
  BOOST_TEST(o.at("expected").to_number<long>() > 0);
  BOOST_TEST(o.at("received").to_number<long>() == o.at("expected").to_number<long>());
  BOOST_TEST(o.at("lost").to_number<long>() == 0);
  BOOST_TEST(o.at("duplicates").to_number<long>() == 0);
  BOOST_TEST(o.at("server_cpu_s").is_number()); // the /proc reading worked
}
