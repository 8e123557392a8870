// Verifies the JWTs that log clients in (libjwt for the signatures) and signs them for
// `chatd token` and the tests. One verifier per process, built at start from [chat]
// jwt-*; verify() is const and safe from any thread.
#pragma once

#include "messages/identity.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chat::auth {

enum class algorithm { hs256, rs256, es256 };

std::string_view to_string(algorithm alg);

struct verifier_settings {
  std::string secret;          // HS256
  std::string public_key_file; // RS256 or ES256, by the key's type (PEM)
  std::string audience;        // when set, `aud` must name it
  std::string issuer;          // when set, `iss` must be it
};

// Either a verified identity or why the token was refused.
struct verdict {
  std::optional<identity> who;
  auth_refusal why = auth_refusal::missing;
};

class token_verifier {
public:
  // nullptr and `error` (naming the key or file) when the settings cannot work.
  static std::shared_ptr<const token_verifier> make(const verifier_settings& s,
                                                    std::string& error);

  verdict verify(std::string_view token, std::int64_t now_s) const;
  algorithm alg() const { return alg_; }

private:
  token_verifier() = default;
  algorithm alg_ = algorithm::hs256;
  std::string key_; // the secret, or the public key's PEM
  std::string audience_;
  std::string issuer_;
};

// The claims `chatd token` and the tests sign.
struct claims {
  std::string sub;
  std::int64_t iat = 0;
  std::int64_t exp = 0; // 0: none
  std::int64_t nbf = 0; // 0: none
  std::optional<std::vector<std::string>> rooms;
  std::string aud;
  std::string iss;
};

// A signed JWT; `key` is the HS256 secret or a PEM private key. Empty on failure.
std::string sign(const claims& c, algorithm alg, const std::string& key);

// The token of an upgrade: ?token=, else `Authorization: Bearer <token>`.
std::string token_of(std::string_view query_token, std::string_view authorization);

} // namespace chat::auth
