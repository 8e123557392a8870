// The REST API beside /ws: post into a room, read its history and its members.
#define BOOST_TEST_MODULE api
#include "tests/support/events.hpp"

#include <boost/test/unit_test.hpp>

using namespace chat::test;
namespace json = boost::json;

namespace {

struct api_fixture {
  server_process server;
  std::string url(const std::string& room, const std::string& what) {
    return "/api/rooms/" + room + "/" + what;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(api, api_fixture)

BOOST_AUTO_TEST_CASE(post_broadcasts_like_a_client_and_answers_201_with_the_payload) {
  auto alice = join(server, "alice");
  auto r = http_request(server.port(), url("general", "messages"), "POST",
                        R"({"message":"deploy done","from":"ci-bot"})");
  BOOST_TEST(r.status == 201u, r.body);
  BOOST_TEST(r.content_type == "application/json");
  auto p = json::parse(r.body).as_object();
  BOOST_TEST(str(p.at("message")) == "deploy done");
  BOOST_TEST(str(p.at("from")) == "ci-bot");
  BOOST_TEST(str(p.at("room")) == "general");
  auto ev = next_message(alice, "deploy done");
  BOOST_TEST(payload_of(ev).at("id") == p.at("id"));
  BOOST_TEST(str(payload_of(ev).at("sent")) == str(p.at("sent")));
}

BOOST_AUTO_TEST_CASE(post_without_from_is_signed_api) {
  auto r = http_request(server.port(), url("general", "messages"), "POST",
                        R"({"message":"hello"})");
  BOOST_TEST(r.status == 201u, r.body);
  BOOST_TEST(str(json::parse(r.body).at("from")) == "api");
}

BOOST_AUTO_TEST_CASE(history_and_users) {
  auto alice = join(server, "alice");
  for (auto text : {"one", "two", "three"})
    BOOST_TEST(http_request(server.port(), url("general", "messages"), "POST",
                            json::serialize(json::object{{"message", text}}))
                   .status == 201u);
  auto h = http_request(server.port(), url("general", "messages") + "?limit=2");
  BOOST_TEST(h.status == 200u, h.body);
  auto hp = json::parse(h.body).as_object();
  BOOST_TEST(str(hp.at("room")) == "general");
  auto& msgs = hp.at("messages").as_array();
  BOOST_TEST_REQUIRE(msgs.size() == 2u);
  BOOST_TEST(str(msgs[0].at("message")) == "two");
  BOOST_TEST(str(msgs[1].at("message")) == "three");
  auto before = msgs[0].at("id").to_number<long>();
  auto older =
      json::parse(http_request(server.port(), url("general", "messages") +
                                                  "?before=" + std::to_string(before))
                      .body);
  BOOST_TEST(older.at("messages").as_array().size() == 1u);
  auto u = http_request(server.port(), url("general", "users"));
  BOOST_TEST(u.status == 200u);
  BOOST_TEST(json::parse(u.body).at("users").as_array() == json::array{"alice"});
}

BOOST_AUTO_TEST_CASE(posting_to_a_new_room_creates_it) {
  auto r = http_request(server.port(), url("announcements", "messages"), "POST",
                        R"({"message":"first"})");
  BOOST_TEST(r.status == 201u, r.body);
  auto h =
      json::parse(http_request(server.port(), url("announcements", "messages")).body);
  BOOST_TEST(h.at("messages").as_array().size() == 1u);
}

BOOST_AUTO_TEST_CASE(bad_requests_get_clear_errors) {
  auto bad = [&](const std::string& target, const std::string& method,
                 const std::string& body, unsigned status, const std::string& code) {
    auto r = http_request(server.port(), target, method, body);
    BOOST_TEST(r.status == status, target << " " << r.body);
    if (!code.empty())
      BOOST_TEST(str(json::parse(r.body).at("code")) == code, r.body);
  };
  bad(url("general", "messages"), "POST", "not json", 400, "bad_json");
  bad(url("general", "messages"), "POST", R"({"message":""})", 400, "invalid_payload");
  bad(url("general", "messages"), "POST", R"({"message":"x","from":""})", 400,
      "invalid_payload");
  bad(url("no%20spaces", "messages"), "POST", R"({"message":"x"})", 400,
      "invalid_payload");
  bad(url("general", "messages") + "?limit=0", "GET", "", 400, "invalid_payload");
  bad(url("general", "users"), "POST", "{}", 405, "method_not_allowed");
  bad(url("general", "messages"), "DELETE", "", 405, "method_not_allowed");
  bad(url("general", "nothing"), "GET", "", 404, "");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(api_key_is_required_when_set) {
  server_process server{{"--chat.api-key=s3cret"}};
  auto target = "/api/rooms/general/messages";
  auto body = R"({"message":"hi"})";
  BOOST_TEST(http_request(server.port(), target, "POST", body).status == 401u);
  BOOST_TEST(http_request(server.port(), target, "POST", body, "Bearer wrong").status ==
             401u);
  BOOST_TEST(http_request(server.port(), target).status == 401u);
  BOOST_TEST(http_request(server.port(), target, "POST", body, "Bearer s3cret").status ==
             201u);
  // the rest of the server does not need it
  BOOST_TEST(http_request(server.port(), "/healthz").status == 200u);
}
