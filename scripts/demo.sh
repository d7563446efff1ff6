#!/usr/bin/env bash
# Starts a private Dovecot with a demo mailbox and the bridge serving the UI.
# Ctrl-C stops both (the harness also stops Dovecot if this script is killed).
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

# The harness runs until its stdin closes: a coprocess pipe closes when this script ends.
coproc HARNESS { exec "$ROOT/target/debug/testkit" dovecot --messages "$MESSAGES" --seed 2024; }
if ! read -r -t 120 info <&"${HARNESS[0]}"; then
  echo "demo: the Dovecot harness did not start (see the messages above)" >&2
  exit 1
fi
field() { python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))" "$info" "$1"; }
imap_port="$(field 'd["imap_port"]')"
imaps_port="$(field 'd["imaps_port"]')"
ca_file="$(field 'd["ca_file"]')"
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

  Press Ctrl-C to stop.

MSG
RUST_LOG="${RUST_LOG:-info}" "$ROOT/target/debug/webmail-bridge" --config "$STATE/bridge.toml"
