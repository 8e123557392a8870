#!/usr/bin/env bash
# Runs the browser test against a freshly started server.
#   tests/browser/run.sh PATH/TO/chatd [extra server options...]
# Env: SCREENSHOT (default build/chat-page.png), STARTUP_TIMEOUT (seconds, default 30),
#      CHROMIUM (default /usr/bin/chromium), BROWSER_TEST (default chat.test.mjs).
# Exits with the test's status; the server is stopped (SIGTERM) on every exit path.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

if [[ $# -lt 1 ]]; then
  echo "usage: $0 PATH/TO/chatd [server options...]" >&2
  exit 2
fi
server="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
shift
[[ -x "$server" ]] || { echo "run.sh: server binary not found or not executable: $server" >&2; exit 2; }
command -v node >/dev/null || { echo "run.sh: node is not installed" >&2; exit 2; }
[[ -x "${CHROMIUM:-/usr/bin/chromium}" ]] || { echo "run.sh: no Chromium at ${CHROMIUM:-/usr/bin/chromium}" >&2; exit 2; }

# Dependencies: install when node_modules is missing or older than the lock file.
if [[ ! -f "$here/node_modules/.package-lock.json" || "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" \
      || ! -d "$here/node_modules/playwright-core" ]]; then
  echo "run.sh: installing test dependencies (npm ci)"
  (cd "$here" && npm ci --no-audit --no-fund --silent)
fi

workdir="$(mktemp -d "${TMPDIR:-/tmp}/actor-chat-browser.XXXXXX")"
log="$workdir/server.log"
server_pid=""

cleanup() {
  local status=$?
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$server_pid" 2>/dev/null; then
      echo "run.sh: server did not stop after SIGTERM within 5 s; sending SIGKILL" >&2
      kill -KILL "$server_pid" 2>/dev/null || true
    fi
    wait "$server_pid" 2>/dev/null || true
  fi
  if [[ $status -ne 0 && -s "$log" ]]; then
    echo "run.sh: last lines of the server log ($log):" >&2
    tail -n 40 "$log" >&2
  else
    rm -rf "$workdir"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

args=(--chat.port=0 --chat.host=127.0.0.1 "--chat.web-root=$repo/web"
      "--chat.history-db=$workdir/history.db")
if [[ -f "$repo/caf-application.conf" ]]; then
  args+=("--config-file=$repo/caf-application.conf")
fi

# Start from the repository root; the server writes "... listening on 127.0.0.1:PORT ...".
(cd "$repo" && exec "$server" "${args[@]}" "$@") >"$log" 2>&1 &
server_pid=$!

timeout_s="${STARTUP_TIMEOUT:-30}"
deadline=$((SECONDS + timeout_s))
port=""
while [[ -z "$port" ]]; do
  port="$(grep -aoE 'listening on 127\.0\.0\.1:[0-9]+' "$log" 2>/dev/null | head -n 1 | sed 's/.*://' || true)"
  [[ -n "$port" ]] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "run.sh: the server exited before it was listening" >&2
    exit 1
  fi
  if (( SECONDS >= deadline )); then
    echo "run.sh: no 'listening on 127.0.0.1:PORT' line from the server within ${timeout_s} s" >&2
    exit 1
  fi
  sleep 0.1
done
echo "run.sh: server pid $server_pid listening on 127.0.0.1:$port"

export CHAT_URL="http://127.0.0.1:$port/"
export SCREENSHOT="${SCREENSHOT:-$repo/build/chat-page.png}"
set +e
(cd "$here" && node --test "${BROWSER_TEST:-chat.test.mjs}")
status=$?
set -e
exit "$status"
