#include "auth/token_verifier.hpp"

#include "messages/names.hpp"

#include <boost/json.hpp>
#include <cerrno>
#include <fstream>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sstream>

namespace chat::auth {

namespace {

struct jwt_deleter {
  void operator()(jwt_t* p) const { jwt_free(p); }
};
using jwt_ptr = std::unique_ptr<jwt_t, jwt_deleter>;

jwt_alg_t to_jwt(algorithm alg) {
  switch (alg) {
  case algorithm::rs256:
    return JWT_ALG_RS256;
  case algorithm::es256:
    return JWT_ALG_ES256;
  default:
    return JWT_ALG_HS256;
  }
}

// RS256 for an RSA key, ES256 for an EC key; nullopt for anything else.
std::optional<algorithm> algorithm_of_public_key(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio{
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free};
  if (!bio)
    return std::nullopt;
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key{
      PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free};
  if (!key)
    return std::nullopt;
  switch (EVP_PKEY_base_id(key.get())) {
  case EVP_PKEY_RSA:
    return algorithm::rs256;
  case EVP_PKEY_EC:
    return algorithm::es256;
  default:
    return std::nullopt;
  }
}

// `aud` may be one string or an array of them.
bool audience_matches(jwt_t* jwt, const std::string& wanted) {
  std::unique_ptr<char, decltype(&free)> json{jwt_get_grants_json(jwt, "aud"), &free};
  if (!json)
    return false;
  boost::json::error_code ec;
  auto v = boost::json::parse(json.get(), ec);
  if (ec)
    return false;
  if (v.is_string())
    return v.get_string() == wanted;
  if (v.is_array())
    for (const auto& x : v.get_array())
      if (x.is_string() && x.get_string() == wanted)
        return true;
  return false;
}

// A numeric claim, when present; false when present but not a number.
bool numeric_claim(jwt_t* jwt, const char* name, std::optional<std::int64_t>& out) {
  std::unique_ptr<char, decltype(&free)> json{jwt_get_grants_json(jwt, name), &free};
  if (!json)
    return true;
  boost::json::error_code ec;
  auto v = boost::json::parse(json.get(), ec);
  if (ec)
    return false;
  if (v.is_int64())
    out = v.get_int64();
  else if (v.is_uint64())
    out = static_cast<std::int64_t>(v.get_uint64());
  else if (v.is_double())
    out = static_cast<std::int64_t>(v.get_double());
  else
    return false;
  return true;
}

bool valid_room_pattern(const std::string& p) {
  if (p.empty())
    return false;
  if (p.back() == '*')
    return p.size() == 1 || valid_room_name(p.substr(0, p.size() - 1));
  return valid_room_name(p);
}

} // namespace

std::string_view to_string(algorithm alg) {
  switch (alg) {
  case algorithm::rs256:
    return "RS256";
  case algorithm::es256:
    return "ES256";
  default:
    return "HS256";
  }
}

std::shared_ptr<const token_verifier> token_verifier::make(const verifier_settings& s,
                                                           std::string& error) {
  std::shared_ptr<token_verifier> v{new token_verifier};
  v->audience_ = s.audience;
  v->issuer_ = s.issuer;
  if (!s.secret.empty() && !s.public_key_file.empty()) {
    error = "chat.jwt-secret and chat.jwt-public-key-file exclude each other: HS256 or "
            "RS256/ES256, not both";
    return nullptr;
  }
  if (!s.secret.empty()) {
    // Below 32 bytes an HS256 secret can be guessed offline from any token it signed.
    if (s.secret.size() < 32) {
      error = "chat.jwt-secret must be at least 32 characters";
      return nullptr;
    }
    v->alg_ = algorithm::hs256;
    v->key_ = s.secret;
    return v;
  }
  std::ifstream in{s.public_key_file, std::ios::binary};
  if (!in) {
    error = "chat.jwt-public-key-file: cannot read \"" + s.public_key_file + "\"";
    return nullptr;
  }
  std::ostringstream text;
  text << in.rdbuf();
  v->key_ = text.str();
  auto alg = algorithm_of_public_key(v->key_);
  if (!alg) {
    error = "chat.jwt-public-key-file \"" + s.public_key_file +
            "\": not an RSA or EC public key in PEM";
    return nullptr;
  }
  v->alg_ = *alg;
  return v;
}

verdict token_verifier::verify(std::string_view token, std::int64_t now_s) const {
  auto refuse = [](auth_refusal why) { return verdict{std::nullopt, why}; };
  if (token.empty())
    return refuse(auth_refusal::missing);
  std::string text{token};
  // First without the key: is it a JWT at all, and signed the way we expect? (libjwt
  // verifies with whatever algorithm the token names: an HS256 token "signed" with the
  // public key's PEM would pass; `none` is refused here too.)
  jwt_t* raw = nullptr;
  if (jwt_decode(&raw, text.c_str(), nullptr, 0) != 0 || !raw)
    return refuse(auth_refusal::malformed);
  jwt_ptr unverified{raw};
  // Its header's `alg` (decoding without a key leaves jwt_get_alg() at none).
  const char* named = jwt_get_header(unverified.get(), "alg");
  if (!named || to_string(alg_) != named)
    return refuse(auth_refusal::wrong_algorithm);
  raw = nullptr;
  if (jwt_decode(&raw, text.c_str(), reinterpret_cast<const unsigned char*>(key_.data()),
                 static_cast<int>(key_.size())) != 0 ||
      !raw)
    return refuse(auth_refusal::bad_signature);
  jwt_ptr jwt{raw};
  if (jwt_get_alg(jwt.get()) != to_jwt(alg_))
    return refuse(auth_refusal::wrong_algorithm);
  // libjwt 1.10 checks none of the registered claims: we do.
  std::optional<std::int64_t> exp, nbf;
  if (!numeric_claim(jwt.get(), "exp", exp) || !numeric_claim(jwt.get(), "nbf", nbf))
    return refuse(auth_refusal::malformed);
  if (exp && *exp <= now_s)
    return refuse(auth_refusal::expired);
  if (nbf && *nbf > now_s)
    return refuse(auth_refusal::not_yet_valid);
  if (!audience_.empty() && !audience_matches(jwt.get(), audience_))
    return refuse(auth_refusal::wrong_audience);
  if (!issuer_.empty()) {
    const char* iss = jwt_get_grant(jwt.get(), "iss");
    if (!iss || issuer_ != iss)
      return refuse(auth_refusal::wrong_issuer);
  }
  const char* sub = jwt_get_grant(jwt.get(), "sub");
  if (!sub || !valid_user_name(sub))
    return refuse(auth_refusal::bad_subject);
  identity who;
  who.user = sub;
  who.exp_s = exp.value_or(0);
  std::unique_ptr<char, decltype(&free)> rooms{jwt_get_grants_json(jwt.get(), "rooms"),
                                               &free};
  if (rooms) {
    boost::json::error_code ec;
    auto v = boost::json::parse(rooms.get(), ec);
    if (ec || !v.is_array())
      return refuse(auth_refusal::bad_rooms);
    who.rooms.limited = true;
    for (const auto& x : v.get_array()) {
      if (!x.is_string() || !valid_room_pattern(std::string{x.get_string()}))
        return refuse(auth_refusal::bad_rooms);
      who.rooms.patterns.emplace_back(x.get_string());
    }
  }
  return verdict{std::move(who), auth_refusal::missing};
}

std::string sign(const claims& c, algorithm alg, const std::string& key) {
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0)
    return {};
  jwt_ptr jwt{raw};
  boost::json::object grants{{"sub", c.sub}};
  if (c.iat)
    grants["iat"] = c.iat;
  if (c.exp)
    grants["exp"] = c.exp;
  if (c.nbf)
    grants["nbf"] = c.nbf;
  if (!c.aud.empty())
    grants["aud"] = c.aud;
  if (!c.iss.empty())
    grants["iss"] = c.iss;
  if (c.rooms) {
    boost::json::array xs;
    for (const auto& r : *c.rooms)
      xs.emplace_back(r);
    grants["rooms"] = std::move(xs);
  }
  if (jwt_add_grants_json(jwt.get(), boost::json::serialize(grants).c_str()) != 0 ||
      jwt_set_alg(jwt.get(), to_jwt(alg),
                  reinterpret_cast<const unsigned char*>(key.data()),
                  static_cast<int>(key.size())) != 0)
    return {};
  std::unique_ptr<char, decltype(&free)> out{jwt_encode_str(jwt.get()), &free};
  return out ? std::string{out.get()} : std::string{};
}

std::string token_of(std::string_view query_token, std::string_view authorization) {
  if (!query_token.empty())
    return std::string{query_token};
  constexpr std::string_view bearer = "Bearer ";
  if (authorization.size() > bearer.size() &&
      authorization.substr(0, bearer.size()) == bearer)
    return std::string{authorization.substr(bearer.size())};
  return {};
}

} // namespace chat::auth
