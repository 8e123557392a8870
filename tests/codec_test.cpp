#define BOOST_TEST_MODULE codec
#include "messages/codec.hpp"
#include "messages/names.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

using namespace chat;
namespace json = boost::json;

namespace {

// A message of at most 10 characters; history limits as the protocol says.
const chat::limits test_limits = [] {
  chat::limits l;
  l.max_message_chars = 10;
  return l;
}();

// An error as the client sees it: the code's wire name, the message, the ref.
struct wire_error {
  std::string code;
  std::string message;
  std::string ref;
};

client_event ok(std::string_view text) {
  auto d = decode(text, test_limits);
  BOOST_TEST_REQUIRE(std::holds_alternative<client_event>(d),
                     "expected success for " << text);
  return std::get<client_event>(d);
}

wire_error bad(std::string_view text) {
  auto d = decode(text, test_limits);
  BOOST_TEST_REQUIRE(std::holds_alternative<protocol_error>(d),
                     "expected an error for " << text);
  const auto& e = std::get<protocol_error>(d);
  return {std::string{to_string(e.code)}, e.message, e.ref};
}

json::object parse(const std::string& s) {
  return json::parse(s).as_object();
}

} // namespace

BOOST_AUTO_TEST_SUITE(decoding)

BOOST_AUTO_TEST_CASE(seed_send_message) {
  auto ev =
      ok(R"({"type":"send_message","payload":{"message":"sdfsdf","from":"percy"}})");
  auto& m = std::get<send_message>(ev.body);
  BOOST_TEST(m.message == "sdfsdf");
  BOOST_TEST(m.from == "percy");
  BOOST_TEST(ev.ref.empty());
}

BOOST_AUTO_TEST_CASE(send_message_without_from_and_with_ref) {
  auto ev = ok(R"({"type":"send_message","ref":"r-1","payload":{"message":"hi"}})");
  BOOST_TEST(std::get<send_message>(ev.body).from.empty());
  BOOST_TEST(ev.ref == "r-1");
}

BOOST_AUTO_TEST_CASE(message_length_counts_characters_not_bytes) {
  // ten characters, twenty bytes
  ok(R"({"type":"send_message","payload":{"message":"éééééééééé"}})");
  auto e = bad(R"({"type":"send_message","payload":{"message":"éééééééééée"}})");
  BOOST_TEST(e.code == "invalid_payload");
}

BOOST_AUTO_TEST_CASE(send_message_invalid_payloads) {
  for (
      auto text :
      {R"({"type":"send_message"})", R"({"type":"send_message","payload":{}})",
       R"({"type":"send_message","payload":{"message":""}})",
       R"({"type":"send_message","payload":{"message":5}})",
       R"({"type":"send_message","payload":{"message":"x","from":7}})",
       R"({"type":"send_message","payload":{"message":"x","from":""}})",
       R"({"type":"send_message","payload":{"message":"x","from":"a\u0007b"}})",
       R"({"type":"send_message","payload":{"message":"x","from":"0123456789012345678901234567890123"}})",
       R"({"type":"send_message","payload":"text"})"}) {
    BOOST_TEST_CONTEXT(text) {
      BOOST_TEST(bad(text).code == "invalid_payload");
    }
  }
}

BOOST_AUTO_TEST_CASE(change_room) {
  BOOST_TEST(std::get<chat::change_room>(
                 ok(R"({"type":"change_room","payload":{"name":"lobby-2.x_y"}})").body)
                 .name == "lobby-2.x_y");
  for (auto text : {R"({"type":"change_room","payload":{"name":""}})",
                    R"({"type":"change_room","payload":{"name":"a b"}})",
                    R"({"type":"change_room","payload":{"name":"ü"}})",
                    R"({"type":"change_room","payload":{}})"})
    BOOST_TEST(bad(text).code == "invalid_payload");
  std::string long_name(65, 'a');
  BOOST_TEST(
      bad(R"({"type":"change_room","payload":{"name":")" + long_name + "\"}}").code ==
      "invalid_payload");
}

BOOST_AUTO_TEST_CASE(send_direct) {
  auto m = std::get<chat::send_direct>(
      ok(R"({"type":"send_direct","payload":{"to":"bob","message":"psst"}})").body);
  BOOST_TEST(m.to == "bob");
  BOOST_TEST(m.message == "psst");
  BOOST_TEST(bad(R"({"type":"send_direct","payload":{"message":"psst"}})").code ==
             "invalid_payload");
  BOOST_TEST(bad(R"({"type":"send_direct","payload":{"to":"bob"}})").code ==
             "invalid_payload");
}

BOOST_AUTO_TEST_CASE(history) {
  auto q = std::get<history_query>(ok(R"({"type":"history"})").body);
  BOOST_TEST(q.room.empty());
  BOOST_TEST(!q.before);
  BOOST_TEST(q.limit == 50u);
  q = std::get<history_query>(
      ok(R"({"type":"history","payload":{"room":"r","before":17,"limit":200}})").body);
  BOOST_TEST(q.room == "r");
  BOOST_TEST(*q.before == 17u);
  BOOST_TEST(q.limit == 200u);
  for (auto text : {R"({"type":"history","payload":{"limit":0}})",
                    R"({"type":"history","payload":{"limit":201}})",
                    R"({"type":"history","payload":{"limit":1.5}})",
                    R"({"type":"history","payload":{"before":-1}})",
                    R"({"type":"history","payload":{"room":"no spaces"}})"})
    BOOST_TEST(bad(text).code == "invalid_payload");
}

BOOST_AUTO_TEST_CASE(list_users) {
  BOOST_TEST(
      std::get<chat::list_users>(ok(R"({"type":"list_users"})").body).room.empty());
  BOOST_TEST(std::get<chat::list_users>(
                 ok(R"({"type":"list_users","payload":{"room":"x"}})").body)
                 .room == "x");
  BOOST_TEST(bad(R"({"type":"list_users","payload":{"room":""}})").code ==
             "invalid_payload");
}

BOOST_AUTO_TEST_CASE(bad_json) {
  for (auto text : {"", "not json", "[1,2]", "\"str\"", "{}", R"({"type":5})",
                    R"({"payload":{}})", "{\"type\":\"send_message\""})
    BOOST_TEST(bad(text).code == "bad_json");
}

BOOST_AUTO_TEST_CASE(unknown_type_echoes_ref) {
  auto e = bad(R"({"type":"dance","ref":"abc"})");
  BOOST_TEST(e.code == "unknown_type");
  BOOST_TEST(e.ref == "abc");
  BOOST_TEST(e.message.find("dance") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_ref) {
  BOOST_TEST(bad(R"({"type":"list_users","ref":5})").code == "invalid_payload");
  BOOST_TEST(bad(R"({"type":"list_users","ref":")" + std::string(65, 'r') + "\"}").code ==
             "invalid_payload");
}

BOOST_AUTO_TEST_CASE(payload_must_be_an_object) {
  BOOST_TEST(bad(R"({"type":"list_users","payload":[1]})").code == "invalid_payload");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(encoding)

BOOST_AUTO_TEST_CASE(new_message_keeps_seed_fields) {
  auto o = parse(encode_new_message(
      {7, "general", "sdfsdf", "percy", "2026-11-25T16:45:43.123456Z"}));
  BOOST_TEST(o.at("type").as_string() == "new_message");
  auto& p = o.at("payload").as_object();
  BOOST_TEST(p.at("message").as_string() == "sdfsdf");
  BOOST_TEST(p.at("from").as_string() == "percy");
  BOOST_TEST(p.at("sent").as_string() == "2026-11-25T16:45:43.123456Z");
  BOOST_TEST(p.at("id").to_number<int>() == 7);
  BOOST_TEST(p.at("room").as_string() == "general");
}

BOOST_AUTO_TEST_CASE(every_server_event) {
  auto type_of = [](const std::string& s) {
    return std::string(parse(s).at("type").as_string());
  };
  BOOST_TEST(type_of(encode_welcome("u", "general", "n", "t")) == "welcome");
  BOOST_TEST(type_of(encode_room_changed("r", {"a", "b"})) == "room_changed");
  auto diff = parse(encode_presence_diff("r", {"a", "b"}, {"c"}));
  BOOST_TEST(diff.at("type").as_string() == "presence_diff");
  BOOST_TEST(json::serialize(diff.at("payload")) ==
             R"({"room":"r","joins":["a","b"],"leaves":["c"]})");
  BOOST_TEST(type_of(encode_presence("r", {})) == "presence");
  BOOST_TEST(type_of(encode_direct("a", "b", "m", "t")) == "direct_message");
  BOOST_TEST(type_of(encode_history("r", {})) == "history");
  auto ack = parse(encode_ack("ref1", 3, "r"));
  BOOST_TEST(ack.at("ref").as_string() == "ref1");
  BOOST_TEST(ack.at("payload").at("id").to_number<int>() == 3);
  auto err = parse(encode_error({protocol_code::rate_limited, "slow down", "q"}));
  BOOST_TEST(err.at("payload").at("code").as_string() == "rate_limited");
  BOOST_TEST(err.at("ref").as_string() == "q");
  BOOST_TEST(!parse(encode_error({protocol_code::bad_json, "x", ""})).contains("ref"));
  auto rc = parse(encode_room_changed("r", {"a", "b"}));
  BOOST_TEST(rc.at("payload").at("users").as_array().size() == 2u);
}

BOOST_AUTO_TEST_CASE(special_characters_are_escaped) {
  auto s = encode_new_message({1, "r", "quote \" backslash \\ newline \n <b>", "x", "t"});
  BOOST_TEST(parse(s).at("payload").at("message").as_string() ==
             "quote \" backslash \\ newline \n <b>");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(name_rules) {
  BOOST_TEST(valid_room_name("general"));
  BOOST_TEST(!valid_room_name(""));
  BOOST_TEST(!valid_room_name("a/b"));
  BOOST_TEST(valid_user_name("Zoë"));
  BOOST_TEST(!valid_user_name("tab\there"));
  BOOST_TEST(!valid_user_name("\xC2\x85"));
  BOOST_TEST(valid_user_name(std::string(32, 'x')));
  BOOST_TEST(!valid_user_name(std::string(33, 'x')));
  // Names from ?name= are percent-decoded bytes: they must be UTF-8 (found by http_fuzz).
  BOOST_TEST(!valid_user_name("Zo\xAB"));
  BOOST_TEST(!valid_user_name("\xFF"));
  BOOST_TEST(!valid_user_name("\xC3"));
}

BOOST_AUTO_TEST_CASE(utf8_rules) {
  BOOST_TEST(valid_utf8(""));
  BOOST_TEST(valid_utf8("Zo\xC3\xAB \xF0\x9F\x91\x8B \xEF\xBF\xBF \xF4\x8F\xBF\xBF"));
  BOOST_TEST(!valid_utf8("\x80"));             // a continuation byte alone
  BOOST_TEST(!valid_utf8("\xC0\xAF"));         // overlong '/'
  BOOST_TEST(!valid_utf8("\xE0\x80\xAF"));     // overlong '/'
  BOOST_TEST(!valid_utf8("\xED\xA0\x80"));     // surrogate U+D800
  BOOST_TEST(!valid_utf8("\xF4\x90\x80\x80")); // above U+10FFFF
  BOOST_TEST(!valid_utf8("\xE2\x82"));         // cut short
}

BOOST_AUTO_TEST_CASE(mutated_frames_never_throw_and_always_get_a_known_answer) {
  // Bounded, seeded mutation of valid frames: every result is an event or an error
  // with a code from the protocol, never an exception.
  const std::vector<std::string> seeds{
      R"({"type":"send_message","payload":{"message":"hi","from":"percy"},"ref":"r1"})",
      R"({"type":"change_room","payload":{"name":"lobby"}})",
      R"({"type":"send_direct","payload":{"to":"bob","message":"psst"}})",
      R"({"type":"history","payload":{"room":"general","before":10,"limit":5}})",
      R"({"type":"list_users","payload":{"room":"general"}})"};
  const std::vector<std::string> codes{"bad_json", "unknown_type", "invalid_payload"};
  std::uint32_t x = 12345; // xorshift: the same inputs on every run
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return x;
  };
  int events = 0, errors = 0;
  for (int i = 0; i < 20000; ++i) {
    auto frame = seeds[next() % seeds.size()];
    for (int edits = 1 + static_cast<int>(next() % 4); edits > 0; --edits) {
      auto at = next() % (frame.size() + 1);
      switch (next() % 3) {
      case 0:
        frame.insert(at, 1, static_cast<char>(next() % 256));
        break;
      case 1:
        if (at < frame.size())
          frame.erase(at, 1);
        break;
      default:
        if (at < frame.size())
          frame[at] = static_cast<char>(next() % 256);
      }
    }
    decoded d;
    BOOST_REQUIRE_NO_THROW(d = decode(frame, test_limits));
    if (auto* e = std::get_if<protocol_error>(&d)) {
      ++errors;
      BOOST_TEST(
          (std::find(codes.begin(), codes.end(), to_string(e->code)) != codes.end()),
          frame);
      BOOST_TEST(!e->message.empty());
    } else {
      ++events;
    }
  }
  BOOST_TEST(events > 0); // the mutations left some frames valid...
  BOOST_TEST(errors > 0); // ...and broke others
}
