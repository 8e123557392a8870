// Node links over TLS (CAF's OpenSSL module, mutual authentication): nodes with a
// certificate from the cluster's CA join; a node without one does not.
#define BOOST_TEST_MODULE cluster_tls
#include "tests/support/cluster_node.hpp"
#include "tests/support/events.hpp"

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <unistd.h>

using namespace chat::test;

namespace {

// A throwaway PKI in a temporary folder: two CAs, each signing node certificates.
struct pki {
  std::string dir;

  pki() {
    char tmpl[] = "/tmp/chatd-pki-XXXXXX";
    BOOST_TEST_REQUIRE(mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    make_ca("ca");
    make_ca("other-ca");
  }
  ~pki() { run_program("/bin/rm", {"-rf", dir}, std::chrono::seconds(10)); }

  static void openssl(const std::vector<std::string>& args) {
    auto r = run_program("/usr/bin/openssl", args, std::chrono::seconds(30));
    BOOST_TEST_REQUIRE(r.status == 0, "openssl failed: " << r.output);
  }

  void make_ca(const std::string& ca) {
    openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", dir + "/" + ca + ".key", "-out",
             dir + "/" + ca + ".pem", "-days", "2", "-subj", "/CN=" + ca});
  }

  // A certificate for `node` signed by `ca`; returns the chatd flags that use it.
  std::vector<std::string> node(const std::string& node, const std::string& ca) {
    auto base = dir + "/" + node;
    openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", base + ".key", "-out", base + ".csr", "-subj", "/CN=" + node});
    openssl({"x509", "-req", "-in", base + ".csr", "-CA", dir + "/" + ca + ".pem",
             "-CAkey", dir + "/" + ca + ".key", "-CAcreateserial", "-out", base + ".pem",
             "-days", "2"});
    return {"--chat.cluster-cert-file=\"" + base + ".pem\"",
            "--chat.cluster-key-file=\"" + base + ".key\"",
            "--chat.cluster-ca-file=\"" + dir + "/ca.pem\""};
  }
};

} // namespace

BOOST_AUTO_TEST_CASE(nodes_with_certificates_from_the_ca_form_a_cluster_over_tls) {
  pki keys;
  cluster_node a{"node-a", {}, keys.node("node-a", "ca")};
  cluster_node b{"node-b", {a.address()}, keys.node("node-b", "ca")};
  BOOST_TEST(a.server().output().find("(TLS)") != std::string::npos, a.server().output());
  BOOST_TEST_REQUIRE(wait_for_mesh({&a, &b}));
  auto ann = join(a.server(), "ann");
  auto ben = join(b.server(), "ben");
  ann.send(say("over TLS"));
  for (;;) {
    auto ev = next_news(ben);
    if (type_of(ev) == "new_message") {
      BOOST_TEST(str(payload_of(ev).at("message")) == "over TLS");
      break;
    }
  }
}

BOOST_AUTO_TEST_CASE(a_node_without_a_certificate_from_the_ca_cannot_join) {
  pki keys;
  cluster_node a{"node-a", {}, keys.node("node-a", "ca")};
  // Signed by another CA, but told to trust the cluster's CA: a refuses its certificate.
  auto outsider_flags = keys.node("outsider", "other-ca");
  outsider_flags.push_back("--chat.log-level=\"debug\"");
  cluster_node outsider{"outsider", {a.address()}, outsider_flags};
  BOOST_TEST(outsider.server().wait_for_output("cluster: cannot reach " + a.address(),
                                               std::chrono::seconds(10)),
             outsider.server().output());
  // Without TLS at all: it cannot speak to a either.
  cluster_node plain{"plain", {a.address()}, {"--chat.log-level=\"debug\""}};
  BOOST_TEST(plain.server().wait_for_output("cluster: cannot reach " + a.address(),
                                            std::chrono::seconds(10)),
             plain.server().output());
  BOOST_TEST(a.peers_up().empty());
  BOOST_TEST(outsider.peers_up().empty());
  BOOST_TEST(plain.peers_up().empty());
}

BOOST_AUTO_TEST_CASE(tls_settings_go_together_and_their_files_must_be_readable) {
  auto r = run_chatd({"--config-file=" + default_config_path(), "--chat.port=0",
                      "--chat.cluster-port=1", "--chat.cluster-cert-file=\"/x.pem\""},
                     std::chrono::seconds(10));
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.output.find("go together") != std::string::npos, r.output);
  r = run_chatd({"--config-file=" + default_config_path(), "--chat.port=0",
                 "--chat.cluster-port=1", "--chat.cluster-cert-file=\"/nonexistent.pem\"",
                 "--chat.cluster-key-file=\"/nonexistent.key\"",
                 "--chat.cluster-ca-file=\"/nonexistent-ca.pem\""},
                std::chrono::seconds(10));
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.output.find("chat.cluster-cert-file: cannot read \"/nonexistent.pem\"") !=
                 std::string::npos,
             r.output);
  r = run_chatd({"--config-file=" + default_config_path(), "--chat.port=0",
                 "--chat.cluster-join=[\"127.0.0.1:4000\"]"},
                std::chrono::seconds(10));
  BOOST_TEST(r.status == 2);
  BOOST_TEST(r.output.find("chat.cluster-join needs chat.cluster-port") !=
                 std::string::npos,
             r.output);
}
