// `chatd token --user NAME [--ttl 1h] [--rooms a,b]`: prints a login token signed with
// the configured HS256 secret (like `centrifugo gentoken`), for development and tests.
#pragma once

namespace chat {

// argv[1] is "token"; the other arguments are the tool's and the usual config options
// (--config-file=, --chat.jwt-secret=, ...). Returns the exit code: 0, or 2 with a
// message on stderr.
int run_token_tool(int argc, char** argv);

} // namespace chat
