#!/usr/bin/env bash
# Starts a private Dovecot with a demo mailbox and the bridge serving the UI.
# Ctrl-C (or SIGTERM, or closing the terminal) stops both and leaves no server behind.
#
# Environment: DEMO_PORT (default 8080), DEMO_MESSAGES (default 300).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PORT="${DEMO_PORT:-8080}"
MESSAGES="${DEMO_MESSAGES:-300}"
STATE="$ROOT/.cache/demo"
mkdir -p "$STATE"

if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  echo "demo: port $PORT is in use; run with DEMO_PORT=another-port make demo" >&2
  exit 1
fi

# Stops what this script started, in order: the bridge, then the harness, which
# stops Dovecot and removes its files on SIGTERM. Ctrl-C reaches this trap at any
# moment (also while the harness starts), not only once the bridge runs: the
# bridge runs as a background job, which ignores SIGINT in a script, and an
# interrupt during start-up was once lost and the demo went on.
bridge_pid=""
stop_demo() {
  trap - INT TERM HUP EXIT
  if [ -n "$bridge_pid" ]; then
    kill -TERM "$bridge_pid" 2>/dev/null || true
    wait "$bridge_pid" 2>/dev/null || true
  fi
  if [ -n "${HARNESS_PID:-}" ]; then
    # The harness stops Dovecot in order on SIGTERM and then exits. (Closing its
    # stdin from inside a trap that interrupted `read` left the descriptor open.)
    kill -TERM "$HARNESS_PID" 2>/dev/null || true
    wait "$HARNESS_PID" 2>/dev/null || true
  fi
}
trap 'stop_demo; exit 130' INT
trap 'stop_demo; exit 143' TERM HUP
trap stop_demo EXIT

# The harness runs until its stdin closes (this script's death, whatever kills
# it) or a signal (stop_demo's SIGTERM, the terminal's Ctrl-C); either way it
# stops Dovecot in order, and stop_demo returns only once that is done. The
# harness's watchdog covers the harness's own death.
coproc HARNESS { exec "$ROOT/target/debug/testkit" dovecot --messages "$MESSAGES" --seed 2024 --submission; }
if ! read -r -t 120 info <&"${HARNESS[0]}"; then
  echo "demo: the Dovecot harness did not start (see the messages above)" >&2
  exit 1
fi
field() { python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))" "$info" "$1"; }
imap_port="$(field 'd["imap_port"]')"
imaps_port="$(field 'd["imaps_port"]')"
ca_file="$(field 'd["ca_file"]')"
submission_port="$(field 'd["submission"]["port"]')"
user="$(field 'd["users"][0]["username"]')"
password="$(field 'd["users"][0]["password"]')"

cat >"$STATE/bridge.toml" <<TOML
# Written by scripts/demo.sh for this run.
listen = "127.0.0.1:$PORT"
web_root = "$ROOT/web/dist"
# The demo page itself, and a page served by "python3 -m http.server 8000" (the README's API example).
allowed_origins = ["http://127.0.0.1:$PORT", "http://localhost:$PORT", "http://127.0.0.1:8000", "http://localhost:8000"]

[[upstream]]
name = "demo"
label = "Demo mailbox (private Dovecot)"
address = "127.0.0.1:$imap_port"
tls = "starttls"
ca_file = "$ca_file"
server_name = "localhost"
# Sending: Dovecot's submission service, which delivers to the demo's accounts
# (alice and bob, at any domain: bob@mail.test reaches bob).
submission = "localhost:$submission_port"
submission_tls = "starttls"

# The same mailbox with TLS in the page: the bridge relays only ciphertext.
[[upstream]]
name = "demo-e2e"
label = "Demo mailbox, end-to-end TLS from the page"
address = "127.0.0.1:$imaps_port"
tls = "end-to-end"
ca_file = "$ca_file"
server_name = "localhost"
TOML

cat <<MSG

  Webmail demo:  http://127.0.0.1:$PORT/
  Sign in as:    $user / $password   ($MESSAGES generated messages)
  Servers:       "Demo mailbox" (TLS in the bridge) or "... end-to-end TLS from the page"
  Sending:       "New message" in "Demo mailbox"; bob@mail.test reaches the second account (bob / builder)

  Press Ctrl-C to stop.

MSG
# In the background so that `wait` (unlike a foreground command) lets the traps run at once.
RUST_LOG="${RUST_LOG:-info}" "$ROOT/target/debug/webmail-bridge" --config "$STATE/bridge.toml" &
bridge_pid=$!
wait "$bridge_pid"
