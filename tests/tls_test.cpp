// The port over TLS (chat.tls-cert-file, chat.tls-key-file): wss:// and https:// with a
// self-signed certificate, from our clients and from curl and node; plain HTTP on that
// port gets no answer; a client that never completes the TLS handshake is closed within
// handshake-timeout; a bad certificate or key stops the start with exit 2.
#define BOOST_TEST_MODULE tls
#include "tests/support/events.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/tls_client.hpp"
#include "tests/support/ws_client.hpp"

#include <boost/asio.hpp>
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <unistd.h>

using namespace chat::test;
using namespace std::chrono_literals;

namespace {

// Self-signed certificates for localhost (and 127.0.0.1) in a temporary folder: the
// server's, and a second key that matches nothing.
struct keys {
  std::string dir;

  keys() {
    char tmpl[] = "/tmp/chatd-tls-XXXXXX";
    BOOST_TEST_REQUIRE(mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    make("server");
    make("other");
  }
  ~keys() { run_program("/bin/rm", {"-rf", dir}, std::chrono::seconds(10)); }

  std::string cert() const { return dir + "/server.pem"; }
  std::string key() const { return dir + "/server.key"; }
  std::string other_key() const { return dir + "/other.key"; }

  // The chatd flags that serve TLS with `cert_file` and `key_file`.
  static std::vector<std::string> flags(const std::string& cert_file,
                                        const std::string& key_file) {
    return {"--chat.tls-cert-file=\"" + cert_file + "\"",
            "--chat.tls-key-file=\"" + key_file + "\""};
  }
  std::vector<std::string> flags() const { return flags(cert(), key()); }

  // A file of `text`, in the folder.
  std::string file(const std::string& name, const std::string& text) const {
    auto path = dir + "/" + name;
    std::ofstream{path} << text;
    return path;
  }

private:
  void make(const std::string& name) {
    auto base = dir + "/" + name;
    auto r = run_program(
        "/usr/bin/openssl",
        {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", base + ".key", "-out", base + ".pem", "-days", "2", "-subj",
         "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"},
        std::chrono::seconds(30));
    BOOST_TEST_REQUIRE(r.status == 0, "openssl failed: " << r.output);
  }
};

// The config file and port of every chatd run to completion here.
std::vector<std::string> with_defaults(std::vector<std::string> args) {
  args.insert(args.begin(), {"--config-file=" + default_config_path(), "--chat.port=0"});
  return args;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// node with a WebSocket client (node 20 --experimental-websocket, or newer).
boost::test_tools::assertion_result node_is_installed(boost::unit_test::test_unit_id) {
  auto r = run_program("/usr/bin/env", {"node", "--experimental-websocket", "-e", ""},
                       std::chrono::seconds(30));
  boost::test_tools::assertion_result ok{r.status == 0};
  ok.message() << "node with --experimental-websocket is not installed";
  return ok;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_wss_client_gets_welcome_and_its_message_back) {
  keys k;
  server_process server{k.flags()};
  BOOST_TEST(contains(server.output(), "listening on 127.0.0.1:" +
                                           std::to_string(server.port()) + " (TLS)"),
             server.output());
  wss_client c{server.port(), k.cert(), "/ws?name=ann"};
  auto w = c.expect("welcome");
  BOOST_TEST(str(payload_of(w).at("user")) == "ann");
  c.send(R"({"type":"send_message","payload":{"message":"hi"}})");
  auto m = c.expect("new_message");
  BOOST_TEST(str(payload_of(m).at("message")) == "hi");
  BOOST_TEST(str(payload_of(m).at("from")) == "ann");
}

// Frames of 1 KiB and more leave from their shared buffer in a gathered write, which
// TLS encrypts piece by piece: mixed with small ones, each arrives whole and in order.
BOOST_AUTO_TEST_CASE(large_and_small_frames_arrive_whole_and_in_order_over_tls) {
  keys k;
  server_process server{k.flags()};
  wss_client c{server.port(), k.cert(), "/ws?name=ann"};
  c.expect("welcome");
  std::vector<std::string> sent;
  for (int i = 0; i < 20; ++i) {
    sent.push_back(i % 2 ? "short " + std::to_string(i)
                         : std::string(1500 + 10 * i, static_cast<char>('a' + i)));
    c.send(R"({"type":"send_message","payload":{"message":")" + sent.back() + R"("}})");
  }
  for (const auto& text : sent) {
    auto m = c.expect("new_message");
    BOOST_TEST_REQUIRE(str(payload_of(m).at("message")) == text);
  }
}

BOOST_AUTO_TEST_CASE(https_serves_healthz_metrics_the_page_and_the_rest_api) {
  keys k;
  server_process server{k.flags()};
  auto h = https_request(server.port(), k.cert(), "/healthz");
  BOOST_TEST(h.status == 200u);
  BOOST_TEST(contains(h.content_type, "application/json"), h.content_type);
  BOOST_TEST(str(boost::json::parse(h.body).at("status")) == "ok", h.body);
  auto metrics = https_request(server.port(), k.cert(), "/metrics");
  BOOST_TEST(metrics.status == 200u);
  BOOST_TEST(!metrics.body.empty());
  auto page = https_request(server.port(), k.cert(), "/");
  BOOST_TEST(page.status == 200u);
  BOOST_TEST(contains(page.body, "<html"));
  // The REST API: a POST reaches a wss client; a GET reads it back.
  wss_client c{server.port(), k.cert(), "/ws?name=ann"};
  c.expect("welcome");
  auto posted = https_request(server.port(), k.cert(), "/api/rooms/general/messages",
                              "POST", R"({"message":"from the api"})");
  BOOST_TEST(posted.status == 201u, posted.body);
  auto m = c.expect("new_message");
  BOOST_TEST(str(payload_of(m).at("message")) == "from the api");
  auto read = https_request(server.port(), k.cert(), "/api/rooms/general/messages");
  BOOST_TEST(read.status == 200u);
  BOOST_TEST(contains(read.body, "from the api"), read.body);
}

BOOST_AUTO_TEST_CASE(curl_gets_healthz_over_tls_1_2_and_1_3_and_nothing_older) {
  keys k;
  server_process server{k.flags()};
  auto url = "https://127.0.0.1:" + std::to_string(server.port()) + "/healthz";
  auto curl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--silent", "--show-error", "--max-time", "5"});
    args.push_back(url);
    return run_program("/usr/bin/curl", args, std::chrono::seconds(10));
  };
  for (std::string version : {"1.2", "1.3"}) {
    auto r = curl({"--cacert", k.cert(), "--tlsv" + version, "--tls-max", version,
                   "--write-out", "\nHTTP %{http_code} verify %{ssl_verify_result}"});
    BOOST_TEST(r.status == 0, "TLS " << version << ": " << r.output);
    BOOST_TEST(contains(r.output, "\"status\":\"ok\""), r.output);
    BOOST_TEST(contains(r.output, "HTTP 200 verify 0"), r.output);
  }
  // TLS 1.1 is refused (35: the handshake failed), even to a client that offers it
  // (SECLEVEL=0 lets this curl).
  auto r = curl({"--cacert", k.cert(), "--tlsv1.1", "--tls-max", "1.1", "--ciphers",
                 "DEFAULT:@SECLEVEL=0"});
  BOOST_TEST(r.status == 35, r.output);
  // Without being told to trust the certificate, curl refuses it (60: not verified).
  r = curl({});
  BOOST_TEST(r.status == 60, r.output);
}

BOOST_AUTO_TEST_CASE(node_chats_over_wss,
                     *boost::unit_test::precondition(node_is_installed)) {
  keys k;
  server_process server{k.flags()};
  auto script = R"(
    const ws = new WebSocket('wss://localhost:' + process.argv[1] + '/ws?name=node');
    ws.onmessage = (e) => {
      const ev = JSON.parse(e.data);
      if (ev.type === 'welcome')
        ws.send(JSON.stringify({type: 'send_message', payload: {message: 'from node'}}));
      else if (ev.type === 'new_message') {
        console.log('got: ' + ev.payload.message);
        process.exit(0);
      }
    };
    ws.onerror = (e) => { console.log('error: ' + (e.message || e.type)); process.exit(1); };
    setTimeout(() => { console.log('no answer'); process.exit(2); }, 5000);
  )";
  auto r = run_program("/usr/bin/env",
                       {"NODE_EXTRA_CA_CERTS=" + k.cert(), "node", "--no-warnings",
                        "--experimental-websocket", "-e", script, "--",
                        std::to_string(server.port())},
                       std::chrono::seconds(20));
  BOOST_TEST(r.status == 0, r.output);
  BOOST_TEST(contains(r.output, "got: from node"), r.output);
}

BOOST_AUTO_TEST_CASE(plain_http_and_ws_on_a_tls_port_get_no_answer) {
  keys k;
  server_process server{k.flags()};
  // The server closes the connection (raw_exchange throws if it does not) without a page.
  auto reply =
      raw_exchange(server.port(), "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  BOOST_TEST(!contains(reply, "HTTP/"), reply);
  BOOST_TEST(!contains(reply, "\"status\""), reply);
  BOOST_CHECK_THROW(ws_client{server.port()}, std::exception);
  // The port still serves TLS.
  BOOST_TEST(https_request(server.port(), k.cert(), "/healthz").status == 200u);
}

BOOST_AUTO_TEST_CASE(a_refused_upgrade_gets_its_503_through_tls) {
  keys k;
  auto flags = k.flags();
  flags.push_back("--chat.max-connections=1");
  server_process server{flags};
  wss_client first{server.port(), k.cert(), "/ws?name=ann"};
  first.expect("welcome");
  // The answer is written under the corked layer: it must still be encrypted.
  BOOST_TEST(wss_client::refused_status(server.port(), k.cert(), "/ws?name=bob") == 503u);
  first.send(say("still here"));
  BOOST_TEST(str(payload_of(first.expect("new_message")).at("message")) == "still here");
}

BOOST_AUTO_TEST_CASE(a_client_that_never_completes_the_tls_handshake_is_closed_on_time) {
  namespace asio = boost::asio;
  keys k;
  auto flags = k.flags();
  flags.push_back("--chat.handshake-timeout=1s");
  server_process server{flags};
  asio::io_context ioc;
  asio::ip::tcp::endpoint at{asio::ip::make_address("127.0.0.1"), server.port()};
  // One sends nothing at all; one stops after the first bytes of a ClientHello.
  asio::ip::tcp::socket silent{ioc}, stalled{ioc};
  silent.connect(at);
  stalled.connect(at);
  auto opened = std::chrono::steady_clock::now();
  asio::write(stalled, asio::buffer(std::string{"\x16\x03\x01\x02\x00", 5}));

  // Meanwhile a TLS client chats.
  wss_client c{server.port(), k.cert(), "/ws?name=ann"};
  c.expect("welcome");
  c.send(say("while two wait"));
  BOOST_TEST(str(payload_of(c.expect("new_message")).at("message")) == "while two wait");

  // Each is closed: its read ends (EOF or reset) without a byte of HTTP.
  std::chrono::steady_clock::duration closed_after[2] = {};
  bool closed[2] = {false, false};
  std::array<char, 512> buf[2];
  std::function<void(int, asio::ip::tcp::socket&)> read_until_closed =
      [&](int i, asio::ip::tcp::socket& s) {
        s.async_read_some(asio::buffer(buf[i]),
                          [&, i](boost::system::error_code ec, std::size_t) {
                            if (!ec)
                              return read_until_closed(i, s);
                            closed[i] = true;
                            closed_after[i] = std::chrono::steady_clock::now() - opened;
                          });
      };
  read_until_closed(0, silent);
  read_until_closed(1, stalled);
  ioc.run_for(5s);
  for (int i = 0; i < 2; ++i) {
    BOOST_TEST_REQUIRE(closed[i], "connection " << i << " still open after 5 s");
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(closed_after[i]);
    BOOST_TEST(ms.count() >= 900, "closed after " << ms.count() << " ms");
    BOOST_TEST(ms.count() < 2500, "closed after " << ms.count() << " ms");
  }
}

BOOST_AUTO_TEST_CASE(a_bad_certificate_or_key_stops_the_start_with_exit_2) {
  keys k;
  auto start = [](const std::vector<std::string>& flags) {
    return run_chatd(with_defaults(flags), std::chrono::seconds(10));
  };
  // Only one of the two.
  auto r = start({"--chat.tls-cert-file=\"" + k.cert() + "\""});
  BOOST_TEST(r.status == 2, r.output);
  BOOST_TEST(contains(r.output, "chat.tls-cert-file and chat.tls-key-file go together"),
             r.output);
  BOOST_TEST(contains(r.output, "only chat.tls-cert-file is set"), r.output);
  r = start({"--chat.tls-key-file=\"" + k.key() + "\""});
  BOOST_TEST(r.status == 2, r.output);
  BOOST_TEST(contains(r.output, "only chat.tls-key-file is set"), r.output);
  // A file that is not there.
  r = start(keys::flags(k.dir + "/missing.pem", k.key()));
  BOOST_TEST(r.status == 2, r.output);
  BOOST_TEST(
      contains(r.output, "chat.tls-cert-file: cannot read \"" + k.dir + "/missing.pem\""),
      r.output);
  r = start(keys::flags(k.cert(), k.dir + "/missing.key"));
  BOOST_TEST(r.status == 2, r.output);
  BOOST_TEST(
      contains(r.output, "chat.tls-key-file: cannot read \"" + k.dir + "/missing.key\""),
      r.output);
  // Files that are not PEM, or not what their key says.
  auto text = k.file("notes.txt", "not a certificate\n");
  r = start(keys::flags(text, k.key()));
  BOOST_TEST(r.status == 2, r.output);
  BOOST_TEST(
      contains(r.output, "chat.tls-cert-file: \"" + text + "\" holds no PEM certificate"),
      r.output);
  r = start(keys::flags(k.cert(), k.cert()));
  BOOST_TEST(r.status == 2, r.output);
  BOOST_TEST(contains(r.output, "chat.tls-key-file: \"" + k.cert() +
                                    "\" holds no unencrypted PEM private key"),
             r.output);
  // A key that does not match the certificate.
  r = start(keys::flags(k.cert(), k.other_key()));
  BOOST_TEST(r.status == 2, r.output);
  BOOST_TEST(contains(r.output, "chat.tls-key-file: the key in \"" + k.other_key() +
                                    "\" does not match the certificate in \"" + k.cert() +
                                    "\""),
             r.output);
}
