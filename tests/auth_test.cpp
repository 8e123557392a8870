// Login with JWT against real chatd processes: every refusal with its 401 and reason,
// the token's sub as the only name, the rooms a token allows, expiry and refresh during
// a session, RS256 and ES256 keys made with openssl, and the `chatd token` tool.
#define BOOST_TEST_MODULE auth
#include "auth/token_verifier.hpp"
#include "tests/support/events.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <fstream>
#include <sstream>

using namespace chat::test;
namespace json = boost::json;
namespace auth = chat::auth;

namespace {

const std::string secret = "a-secret-of-at-least-32-characters!!";

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A token for `sub`, valid for an hour, signed with the test's secret.
std::string token(const std::string& sub, auth::claims c = {},
                  auth::algorithm alg = auth::algorithm::hs256,
                  const std::string& key = secret) {
  c.sub = sub;
  if (c.iat == 0)
    c.iat = now_s();
  if (c.exp == 0)
    c.exp = now_s() + 3600;
  auto t = auth::sign(c, alg, key);
  BOOST_TEST_REQUIRE(!t.empty());
  return t;
}

std::string base64url(const std::string& in) {
  static const char* abc =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += abc[(acc >> bits) & 63];
    }
  }
  if (bits > 0)
    out += abc[(acc << (6 - bits)) & 63];
  return out;
}

// An upgrade request the server refuses: its status and body (the reason).
http_reply refused_upgrade(unsigned short port, const std::string& target,
                           const std::string& authorization = {}) {
  std::string req =
      "GET " + target +
      " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\n";
  if (!authorization.empty())
    req += "Authorization: " + authorization + "\r\n";
  auto out = raw_exchange(port, req + "\r\n");
  http_reply r;
  if (out.rfind("HTTP/1.1 ", 0) == 0)
    r.status = static_cast<unsigned>(std::stoi(out.substr(9, 3)));
  if (auto at = out.find("\r\n\r\n"); at != std::string::npos)
    r.body = out.substr(at + 4);
  return r;
}

void expect_refused(unsigned short port, const std::string& tok,
                    const std::string& reason) {
  BOOST_TEST_CONTEXT("token " << tok) {
    auto r = refused_upgrade(port, "/ws?token=" + tok);
    BOOST_TEST(r.status == 401u);
    BOOST_TEST(r.body.find(reason) != std::string::npos, r.body);
  }
}

// Connects with a token: the welcome must name `user`.
ws_client login(const server_process& s, const std::string& tok, const std::string& user,
                const std::string& extra = {}) {
  ws_client c{s.port(), "/ws?token=" + tok + extra};
  auto w = next_news(c);
  BOOST_TEST_REQUIRE(type_of(w) == "welcome", json::serialize(w));
  BOOST_TEST(str(payload_of(w).at("user")) == user);
  return c;
}

std::uint64_t metric(unsigned short port, const std::string& line_prefix) {
  std::istringstream lines{http_request(port, "/metrics").body};
  std::string line;
  while (std::getline(lines, line))
    if (line.rfind(line_prefix + " ", 0) == 0)
      return std::stoull(line.substr(line_prefix.size() + 1));
  return 0;
}

std::string read_file(const std::string& path) {
  std::ifstream in{path};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Key pairs made by the openssl command line, in a folder removed at the end.
struct keys {
  std::string dir = temp_path("keys");
  keys() {
    BOOST_TEST_REQUIRE(run_program("/bin/mkdir", {"-p", dir}, 5s).status == 0);
    openssl({"genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out",
             dir + "/rsa.pem"});
    openssl({"pkey", "-in", dir + "/rsa.pem", "-pubout", "-out", dir + "/rsa.pub"});
    openssl({"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
             dir + "/ec.pem"});
    openssl({"pkey", "-in", dir + "/ec.pem", "-pubout", "-out", dir + "/ec.pub"});
  }
  ~keys() { run_program("/bin/rm", {"-rf", dir}, 5s); }
  static void openssl(std::vector<std::string> args) {
    auto r = run_program("/usr/bin/openssl", args, 30s);
    BOOST_TEST_REQUIRE(r.status == 0, r.output);
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(refusals)

BOOST_AUTO_TEST_CASE(each_bad_token_gets_401_with_its_reason_and_is_counted) {
  server_process server{{"--chat.jwt-secret=" + secret, "--chat.jwt-audience=chat",
                         "--chat.jwt-issuer=the-app"}};
  auto port = server.port();
  auth::claims ok_claims;
  ok_claims.aud = "chat";
  ok_claims.iss = "the-app";
  BOOST_TEST(refused_upgrade(port, "/ws").body.find("missing token") !=
             std::string::npos);
  expect_refused(port, "not-a-jwt", "malformed");
  expect_refused(port,
                 token("ann", ok_claims, auth::algorithm::hs256,
                       "another-secret-of-32-characters-at-least"),
                 "bad token signature");
  // alg none: a header that asks for no signature at all.
  auto none = base64url(R"({"alg":"none","typ":"JWT"})") + "." +
              base64url(R"({"sub":"ann","aud":"chat","iss":"the-app"})") + ".";
  expect_refused(port, none, "another algorithm");
  auto expired = ok_claims;
  expired.iat = now_s() - 7200;
  expired.exp = now_s() - 60;
  expect_refused(port, token("ann", expired), "expired");
  auto early = ok_claims;
  early.nbf = now_s() + 600;
  expect_refused(port, token("ann", early), "not yet valid");
  auto other_aud = ok_claims;
  other_aud.aud = "billing";
  expect_refused(port, token("ann", other_aud), "audience");
  auto other_iss = ok_claims;
  other_iss.iss = "someone-else";
  expect_refused(port, token("ann", other_iss), "issuer");
  expect_refused(port, token("", ok_claims), "sub");
  // The same reasons over Authorization: Bearer, and for a plain GET of /ws (what the
  // web page reads after a failed upgrade).
  auto bearer = refused_upgrade(port, "/ws", "Bearer " + token("ann", expired));
  BOOST_TEST(bearer.status == 401u);
  BOOST_TEST(bearer.body.find("expired") != std::string::npos, bearer.body);
  auto plain = http_request(port, "/ws?token=not-a-jwt");
  BOOST_TEST(plain.status == 401u);
  BOOST_TEST(plain.body.find("malformed") != std::string::npos);
  // Each refusal is counted by its reason.
  BOOST_TEST(metric(port, R"(chat_auth_refusals_total{reason="missing"})") == 1u);
  BOOST_TEST(metric(port, R"(chat_auth_refusals_total{reason="expired"})") == 2u);
  BOOST_TEST(metric(port, R"(chat_auth_refusals_total{reason="wrong_algorithm"})") == 1u);
  // A valid token with the right audience and issuer gets in, through either channel.
  login(server, token("ann", ok_claims), "ann");
  ws_client bearer_client{port, "/ws", "Bearer " + token("ben", ok_claims)};
  BOOST_TEST(str(payload_of(next_news(bearer_client)).at("user")) == "ben");
}

BOOST_AUTO_TEST_CASE(rs256_and_es256_keys_and_no_algorithm_confusion) {
  keys k;
  for (const auto& [name, alg] : {std::pair{"rsa", auth::algorithm::rs256},
                                  std::pair{"ec", auth::algorithm::es256}}) {
    BOOST_TEST_CONTEXT(name) {
      server_process server{
          {std::string{"--chat.jwt-public-key-file="} + k.dir + "/" + name + ".pub"}};
      auto priv = read_file(k.dir + "/" + name + ".pem");
      auto pub = read_file(k.dir + "/" + name + ".pub");
      login(server, token("ann", {}, alg, priv), "ann");
      // HS256 "signed" with the public key (which anyone has) must not pass.
      expect_refused(server.port(), token("mallory", {}, auth::algorithm::hs256, pub),
                     "another algorithm");
      // Signed with another key of the same kind.
      auto other = k.dir + "/other-" + name + ".pem";
      if (alg == auth::algorithm::rs256)
        keys::openssl({"genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                       "-out", other});
      else
        keys::openssl({"genpkey", "-algorithm", "EC", "-pkeyopt",
                       "ec_paramgen_curve:P-256", "-out", other});
      expect_refused(server.port(), token("mallory", {}, alg, read_file(other)),
                     "bad token signature");
    }
  }
}

BOOST_AUTO_TEST_CASE(tokens_from_a_signer_outside_the_project_are_accepted) {
  // node's crypto signs as other JWT libraries do (ES256 as raw R||S, RFC 7518).
  keys k;
  auto script = std::string{CHAT_SOURCE_DIR} + "/tests/auth/sign.mjs";
  auto node_token = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"node", script});
    auto r = run_program("/usr/bin/env", args, 30s);
    BOOST_TEST_REQUIRE(r.status == 0, r.output);
    return r.output.substr(0, r.output.find('\n'));
  };
  {
    server_process server{{"--chat.jwt-secret=" + secret}};
    login(server, node_token({"HS256", secret, "from-node"}), "from-node");
  }
  for (const auto& [alg, name] : {std::pair{"ES256", "ec"}, std::pair{"RS256", "rsa"}}) {
    BOOST_TEST_CONTEXT(alg) {
      server_process server{
          {std::string{"--chat.jwt-public-key-file="} + k.dir + "/" + name + ".pub"}};
      login(server, node_token({alg, k.dir + "/" + name + ".pem", "from-node"}),
            "from-node");
    }
  }
}

BOOST_AUTO_TEST_CASE(a_bad_key_or_secret_stops_the_start_with_exit_2) {
  keys k;
  auto start = [](std::vector<std::string> args) {
    args.insert(args.begin(), {"--config-file=" + default_config_path(), "--chat.port=0",
                               "--chat.host=127.0.0.1", "--chat.history-db=\"\""});
    return run_chatd(args, 10s);
  };
  auto missing = start({"--chat.jwt-public-key-file=/nonexistent/key.pub"});
  BOOST_TEST(missing.status == 2);
  BOOST_TEST(missing.output.find("/nonexistent/key.pub") != std::string::npos,
             missing.output);
  // A private key where the public one belongs is not a public key.
  auto priv = start({"--chat.jwt-public-key-file=" + k.dir + "/rsa.pem"});
  BOOST_TEST(priv.status == 2);
  BOOST_TEST(priv.output.find("not an RSA or EC public key") != std::string::npos,
             priv.output);
  auto short_secret = start({"--chat.jwt-secret=short"});
  BOOST_TEST(short_secret.status == 2);
  BOOST_TEST(short_secret.output.find("chat.jwt-secret") != std::string::npos);
  auto both = start({"--chat.jwt-secret=" + secret,
                     "--chat.jwt-public-key-file=" + k.dir + "/rsa.pub"});
  BOOST_TEST(both.status == 2);
  BOOST_TEST(both.output.find("exclude each other") != std::string::npos, both.output);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(session)

BOOST_AUTO_TEST_CASE(the_tokens_sub_is_the_name_whatever_the_client_says) {
  server_process server{{"--chat.jwt-secret=" + secret}};
  auto ann = login(server, token("ann"), "ann", "&name=mallory");
  auto ben = login(server, token("ben"), "ben");
  ann.send(say("it is me", "mallory"));
  auto m = ben.expect("new_message");
  BOOST_TEST(str(payload_of(m).at("from")) == "ann");
  // No rename happened: nobody left or joined as mallory.
  ben.send(R"({"type":"list_users","payload":{}})");
  BOOST_TEST(json::serialize(payload_of(ben.expect("presence")).at("users")) ==
             R"(["ann","ben"])");
}

BOOST_AUTO_TEST_CASE(the_rooms_claim_limits_change_room_history_and_list_users) {
  server_process server{{"--chat.jwt-secret=" + secret}};
  auth::claims c;
  c.rooms = std::vector<std::string>{"general", "team-*"};
  auto ann = login(server, token("ann", c), "ann");
  ann.send(R"({"type":"change_room","ref":"r1","payload":{"name":"team-blue"}})");
  BOOST_TEST(str(payload_of(ann.expect("room_changed")).at("name")) == "team-blue");
  for (auto frame : {R"({"type":"change_room","ref":"x","payload":{"name":"secret"}})",
                     R"({"type":"history","ref":"x","payload":{"room":"secret"}})",
                     R"({"type":"list_users","ref":"x","payload":{"room":"team"}})"}) {
    BOOST_TEST_CONTEXT(frame) {
      ann.send(frame);
      auto e = next_news(ann);
      BOOST_TEST_REQUIRE(type_of(e) == "error", json::serialize(e));
      BOOST_TEST(str(payload_of(e).at("code")) == "forbidden");
      BOOST_TEST(str(e.at("ref")) == "x");
    }
  }
  // ann is still in team-blue.
  ann.send(say("still here"));
  auto m = ann.expect("new_message");
  BOOST_TEST(str(payload_of(m).at("room")) == "team-blue");
  // A token whose rooms leave out general starts in the first room it names.
  auth::claims only;
  only.rooms = std::vector<std::string>{"team-*", "lobby"};
  ws_client ben{server.port(), "/ws?token=" + token("ben", only)};
  BOOST_TEST(str(payload_of(next_news(ben)).at("room")) == "lobby");
  // Prefixes alone name no room to start in.
  auth::claims prefixes;
  prefixes.rooms = std::vector<std::string>{"team-*"};
  expect_refused(server.port(), token("cat", prefixes), "no room");
}

BOOST_AUTO_TEST_CASE(an_expiring_token_closes_with_1008_unless_refreshed) {
  server_process server{{"--chat.jwt-secret=" + secret}};
  auth::claims brief;
  brief.exp = now_s() + 2;
  auto short_lived = login(server, token("ann", brief), "ann");
  auto refreshed = login(server, token("ben", brief), "ben");
  // ben refreshes before expiry; a token for someone else is refused.
  refreshed.send(R"({"type":"refresh","ref":"r","payload":{"token":")" + token("ben") +
                 R"("}})");
  auto ack = refreshed.expect("ack");
  BOOST_TEST(str(ack.at("ref")) == "r");
  refreshed.send(R"({"type":"refresh","ref":"s","payload":{"token":")" + token("cat") +
                 R"("}})");
  auto e = refreshed.expect("error");
  BOOST_TEST(str(payload_of(e).at("code")) == "forbidden");
  refreshed.send(R"({"type":"refresh","ref":"t","payload":{"token":"nope"}})");
  BOOST_TEST(str(payload_of(refreshed.expect("error")).at("message")).find("malformed") !=
             std::string::npos);
  // ann's token runs out: 1008.
  auto code = short_lived.close_code(std::chrono::seconds(6));
  BOOST_TEST(code == 1008);
  // ben is still connected after his first token's expiry.
  refreshed.send(say("after expiry"));
  auto m = refreshed.expect("new_message");
  BOOST_TEST(str(payload_of(m).at("message")) == "after expiry");
}

BOOST_AUTO_TEST_CASE(the_token_tool_signs_what_the_server_accepts) {
  server_process server{{"--chat.jwt-secret=" + secret}};
  auto r = run_chatd({"token", "--user", "tool-user", "--ttl", "10min", "--rooms",
                      "general,ops-*", "--config-file=" + default_config_path(),
                      "--chat.jwt-secret=" + secret},
                     10s);
  BOOST_TEST_REQUIRE(r.status == 0, r.output);
  auto tok = r.output.substr(0, r.output.find('\n'));
  auto c = login(server, tok, "tool-user");
  c.send(R"({"type":"change_room","payload":{"name":"elsewhere"}})");
  BOOST_TEST(str(payload_of(c.expect("error")).at("code")) == "forbidden");
  // Without a secret it refuses to sign.
  auto none =
      run_chatd({"token", "--user", "x", "--config-file=" + default_config_path()}, 10s);
  BOOST_TEST(none.status == 2);
  BOOST_TEST(none.output.find("jwt-secret") != std::string::npos, none.output);
}

BOOST_AUTO_TEST_SUITE_END()
