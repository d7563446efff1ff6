#!/usr/bin/env bash
# Runs every test of the project: lint, Rust unit and cross-component tests
# (against a real Dovecot), and the JavaScript tests (Node and headless Chromium).
# Ends with one line: "tests: N passed, N failed".
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
LOG_DIR="$ROOT/.cache/test-logs"
mkdir -p "$LOG_DIR"
passed=0
failed=0
status=0

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "lint: rustfmt and clippy"
if ! make --no-print-directory lint; then
  status=1
  failed=$((failed + 1))
fi

step "Rust tests (unit, transcript and against a real Dovecot)"
cargo test --workspace 2>&1 | tee "$LOG_DIR/cargo-test.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
while read -r p f; do
  passed=$((passed + p))
  failed=$((failed + f))
done < <(sed -n 's/^test result: [A-Za-z]*\. \([0-9]*\) passed; \([0-9]*\) failed.*/\1 \2/p' "$LOG_DIR/cargo-test.log")

step "JavaScript tests (UI units in Node; UI and API in headless Chromium)"
node --test --test-concurrency=1 web/src/*/*.test.js tests/js/*.test.mjs 2>&1 | tee "$LOG_DIR/node-test.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
p=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$LOG_DIR/node-test.log" | tail -n 1)
f=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$LOG_DIR/node-test.log" | tail -n 1)
passed=$((passed + ${p:-0}))
failed=$((failed + ${f:-0}))

if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1
fi
printf '\ntests: %d passed, %d failed\n' "$passed" "$failed"
exit "$status"
