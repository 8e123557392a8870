// Keeps the soak mode of the load generator working: five seconds of every kind of churn
// against a test server, and the server's log afterwards. (The 10-minute soak is
// bench/soak; its figures are never asserted here.)
#define BOOST_TEST_MODULE soak_smoke
#include "tests/support/server_process.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <csignal>
#include <sstream>

using namespace chat::test;
namespace json = boost::json;

namespace {

long num(const json::object& o, const char* key) {
  return o.at(key).to_number<long>();
}

} // namespace

BOOST_AUTO_TEST_CASE(soak_for_five_seconds_with_fifty_clients) {
  server_process server;
  // Small rooms and rates that stay inside the default token bucket (20/s per client).
  auto r =
      run_program(CHAT_LOADGEN_PATH,
                  {"soak", "--host=127.0.0.1", "--port=" + std::to_string(server.port()),
                   "--server-pid=" + std::to_string(server.pid()), "--clients=50",
                   "--duration=5", "--sample=1", "--room-size=10", "--busy-rooms=1",
                   "--busy-rate=50", "--busy-size=500", "--slow=2", "--pause-min=1",
                   "--pause-max=2", "--connect-rate=10", "--drain=10"},
                  std::chrono::seconds(90));
  BOOST_TEST_REQUIRE(r.status == 0, r.output);
  std::istringstream lines{r.output};
  std::string line, report;
  while (std::getline(lines, line))
    if (line.rfind("{\"mode\":\"soak\"", 0) == 0)
      report = line;
  BOOST_TEST_REQUIRE(!report.empty(), r.output);
  auto o = json::parse(report).as_object();
  BOOST_TEST(o.at("verdict").as_string() == "pass");
  BOOST_TEST(o.at("failures").as_array().empty());
  // Every role did something, and the exact accounting held.
  BOOST_TEST(num(o, "stable_ready") == 25);
  BOOST_TEST(num(o, "expected") > 0);
  BOOST_TEST(num(o, "unique") == num(o, "expected"));
  BOOST_TEST(num(o, "lost") == 0);
  BOOST_TEST(num(o, "duplicates") == 0);
  BOOST_TEST(num(o, "changes_asked") > 0);
  BOOST_TEST(num(o, "changes_ok") ==
             num(o, "changes_asked") - num(o, "changes_abandoned"));
  BOOST_TEST(num(o, "wrong_room") == 0);
  BOOST_TEST(num(o, "churn_connects") > 0);
  BOOST_TEST(num(o, "slow_pauses") > 0);
  // One sample a second, each with the server's RSS and its /healthz count.
  const auto& samples = o.at("samples").as_array();
  BOOST_TEST_REQUIRE(samples.size() >= 5u);
  for (const auto& s : samples) {
    BOOST_TEST(s.as_object().at("rss_kib").is_number());
    BOOST_TEST(s.as_object().at("connections").is_number());
  }
  BOOST_TEST(samples.back().as_object().at("deliveries_per_s").to_number<double>() > 0);

  // The server took it without a warning or an error in its log.
  server.signal(SIGTERM);
  BOOST_TEST_REQUIRE(server.wait_exit(std::chrono::seconds(10)) == 0);
  std::istringstream log{server.output()};
  while (std::getline(log, line)) {
    BOOST_TEST(line.find(" warning ") == std::string::npos, line);
    BOOST_TEST(line.find(" error ") == std::string::npos, line);
  }
}
