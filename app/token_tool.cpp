#include "app/token_tool.hpp"

#include "app/config.hpp"
#include "auth/token_verifier.hpp"
#include "base/age.hpp"
#include "base/timestamp.hpp"
#include "messages/names.hpp"

#include <chrono>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace chat {

namespace {

constexpr const char* usage =
    "usage: chatd token --user NAME [--ttl 1h] [--rooms a,b,team-*] [--config-file=PATH] "
    "[--chat.KEY=VALUE ...]\n"
    "Prints a token for NAME signed with [chat] jwt-secret (HS256), valid for --ttl\n"
    "(s, min, h or d; default 1h), allowing --rooms (default: every room).\n";

int fail(const std::string& why) {
  std::cerr << "chatd token: " << why << "\n" << usage;
  return 2;
}

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> xs;
  std::size_t at = 0;
  while (at <= list.size()) {
    auto comma = list.find(',', at);
    if (comma == std::string::npos)
      comma = list.size();
    if (comma > at)
      xs.push_back(list.substr(at, comma - at));
    at = comma + 1;
  }
  return xs;
}

} // namespace

int run_token_tool(int argc, char** argv) {
  std::string user, ttl = "1h";
  std::optional<std::vector<std::string>> rooms;
  std::vector<char*> rest{argv[0]};
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    auto take = [&](const char* flag, std::string& out) {
      auto n = std::strlen(flag);
      if (arg == flag) {
        if (i + 1 >= argc)
          return false;
        out = argv[++i];
        return true;
      }
      if (arg.size() > n && arg.compare(0, n, flag) == 0 && arg[n] == '=') {
        out = arg.substr(n + 1);
        return true;
      }
      return false;
    };
    std::string list;
    if (arg == "--help" || arg == "-h") {
      std::cout << usage;
      return 0;
    }
    if (take("--user", user) || take("--ttl", ttl))
      continue;
    if (take("--rooms", list)) {
      rooms = split(list);
      continue;
    }
    rest.push_back(argv[i]);
  }
  if (!valid_user_name(user))
    return fail("--user must be a name of 1..32 characters without control characters");
  auto life = parse_age(ttl);
  if (!life || life->count() <= 0)
    return fail("--ttl must be a whole number with a unit s, min, h or d, e.g. 1h");
  if (rooms && rooms->empty())
    return fail("--rooms must name at least one room");
  chat_config cfg;
  auto n = static_cast<int>(rest.size());
  if (auto err = cfg.command_line_error(n, rest.data()); !err.empty())
    return fail(err);
  if (auto err = cfg.parse(n, rest.data()))
    return fail(cfg.describe(err));
  if (auto err = cfg.validate(); !err.empty())
    return fail(err);
  if (cfg.settings.jwt_secret.empty())
    return fail("[chat] jwt-secret is not set: the tool signs HS256 tokens with it");
  std::string err;
  if (!auth::token_verifier::make({cfg.settings.jwt_secret, {}, {}, {}}, err))
    return fail(err);
  auto now = unix_now_s();
  auth::claims c;
  c.sub = user;
  c.iat = now;
  c.exp = now + std::chrono::duration_cast<std::chrono::seconds>(*life).count();
  c.rooms = rooms;
  c.aud = cfg.settings.jwt_audience;
  c.iss = cfg.settings.jwt_issuer;
  auto token = auth::sign(c, auth::algorithm::hs256, cfg.settings.jwt_secret);
  if (token.empty())
    return fail("signing failed");
  std::cout << token << "\n";
  return 0;
}

} // namespace chat
