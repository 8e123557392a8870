#include "net/tls_context.hpp"

#include "net/server.hpp"

#include <fstream>
#include <memory>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

namespace chat::net {

namespace {

// An encrypted key would make OpenSSL ask for its passphrase on the terminal; a server
// has nobody to ask, so it is refused instead.
int no_passphrase(char*, int, int, void*) {
  return -1;
}

std::string quoted(const std::string& path) {
  return "\"" + path + "\"";
}

} // namespace

std::shared_ptr<tls_context> load_tls_context(const std::string& cert_file,
                                              const std::string& key_file,
                                              std::string& error) {
  auto fail = [&error](std::string why) {
    ERR_clear_error(); // what OpenSSL queued is said in `why` or does not matter
    error = std::move(why);
    return nullptr;
  };
  if (!std::ifstream{cert_file})
    return fail("chat.tls-cert-file: cannot read " + quoted(cert_file));
  if (!std::ifstream{key_file})
    return fail("chat.tls-key-file: cannot read " + quoted(key_file));
  auto tls = std::make_shared<tls_context>();
  auto* ctx = tls->ssl.native_handle();
  // TLS 1.2 and 1.3 only: the older versions have known attacks, and no browser
  // still offers them.
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  tls->ssl.set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                       ssl::context::single_dh_use);
  beast::error_code ec;
  tls->ssl.use_certificate_chain_file(cert_file, ec);
  if (ec)
    return fail("chat.tls-cert-file: " + quoted(cert_file) +
                " holds no PEM certificate (" + ec.message() + ")");
  std::unique_ptr<BIO, decltype(&BIO_free)> in{BIO_new_file(key_file.c_str(), "r"),
                                               &BIO_free};
  if (!in)
    return fail("chat.tls-key-file: cannot read " + quoted(key_file));
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key{
      PEM_read_bio_PrivateKey(in.get(), nullptr, no_passphrase, nullptr), &EVP_PKEY_free};
  if (!key)
    return fail("chat.tls-key-file: " + quoted(key_file) +
                " holds no unencrypted PEM private key");
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1)
    return fail("chat.tls-key-file: the key in " + quoted(key_file) +
                " does not match the certificate in " + quoted(cert_file) +
                " (chat.tls-cert-file)");
  return tls;
}

} // namespace chat::net
