#!/usr/bin/env bash
# The bridge benchmark: webmail-bridge against websocat, websockify and socat on
# loopback, in one run (tests/bench/src/bin/bridge.rs). Installs the peers on first use:
# websocat from crates.io and websockify (with numpy) from PyPI, into .tools/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TOOLS="$ROOT/.tools"
[ -x "$TOOLS/bin/websocat" ] || cargo install -q websocat --version 1.14.0 --root "$TOOLS"
if [ ! -x "$TOOLS/venv/bin/websockify" ]; then
  python3 -m venv "$TOOLS/venv"
  "$TOOLS/venv/bin/pip" install -q websockify==0.13.0 numpy
fi
command -v socat >/dev/null || { echo "bench-bridge: socat is missing (make setup installs it)" >&2; exit 1; }
cargo build --release -q -p webmail-bridge -p webmail-bench
./target/release/bench-bridge run \
  --bridge target/release/webmail-bridge \
  --socat "$(command -v socat)" \
  --websocat "$TOOLS/bin/websocat" \
  --websockify "$TOOLS/venv/bin/websockify" \
  "$@"
