#!/usr/bin/env bash
# Runs the benchmark harnesses and prints their tables (for the README).
#
#   scripts/bench.sh [parser|bridge|ui|tls|send|resync|fill|all]  default: all
#
# Benchmarks print figures and ratios against peers measured in the same run;
# they are never timed assertions. Environment: BENCH_MESSAGES (default 50000).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
WHAT="${1:-all}"
OUT="$ROOT/.cache/bench"
mkdir -p "$OUT"

bench_parser() {
  local messages="${BENCH_MESSAGES:-50000}"
  cargo build --release -q -p webmail-bench
  local capture="$OUT/fetch-$messages.imap"
  [ -s "$capture" ] || ./target/release/bench-capture --messages "$messages" --out "$capture"
  scripts/build-wasm.sh --only client-wasm --features bench --out-dir "$OUT/pkg" >/dev/null
  node tests/bench/parse.mjs "$capture" "$OUT/pkg" "$ROOT/target/release/bench-parse" 5
}

# The UI in Chromium on a 100,000-message INBOX (BENCH_UI_MESSAGES); needs `make build`.
bench_ui() {
  cargo build --release -q -p webmail-bridge -p webmail-testkit
  WEBMAIL_BIN_PROFILE=release node tests/bench/ui.mjs --messages "${BENCH_UI_MESSAGES:-100000}"
}

# Sending from the page through the bridge against smtplib direct; needs `make build`.
bench_send() {
  cargo build --release -q -p webmail-bridge -p webmail-testkit
  WEBMAIL_BIN_PROFILE=release node tests/bench/send.mjs
}

# TLS in the page against TLS in the bridge, in Chromium; needs `make build`.
bench_tls() {
  cargo build --release -q -p webmail-bridge -p webmail-testkit
  WEBMAIL_BIN_PROFILE=release node tests/bench/tls.mjs --messages "${BENCH_MESSAGES:-50000}"
}

# A kept copy of a 100,000-message INBOX caught up after changes made elsewhere,
# against reading the folder again, with QRESYNC, with CONDSTORE alone and with neither.
bench_resync() {
  cargo build --release -q -p webmail-bench
  local messages="${BENCH_RESYNC_MESSAGES:-100000}"
  ./target/release/bench-resync --messages "$messages"
  echo
  ./target/release/bench-resync --messages "$messages" --without QRESYNC
  echo
  ./target/release/bench-resync --messages "$messages" --without QRESYNC --without CONDSTORE
}

# The UI keeping a 50,000-message folder on the device, against Dovecot sending the
# same rows to a bare socket; needs `make build`.
bench_fill() {
  cargo build --release -q -p webmail-bridge -p webmail-testkit
  WEBMAIL_BIN_PROFILE=release node tests/bench/fill.mjs --messages "${BENCH_MESSAGES:-50000}"
}

case "$WHAT" in
  parser) bench_parser ;;
  bridge) scripts/bench-bridge.sh ;;
  ui) bench_ui ;;
  tls) bench_tls ;;
  send) bench_send ;;
  resync) bench_resync ;;
  fill) bench_fill ;;
  all)
    bench_parser
    echo
    scripts/bench-bridge.sh
    echo
    bench_ui
    echo
    bench_tls
    echo
    bench_send
    echo
    bench_resync
    echo
    bench_fill
    ;;
  *) echo "bench: unknown benchmark '$WHAT' (parser, bridge, ui, tls, send, resync, fill, all)" >&2; exit 2 ;;
esac
