#!/usr/bin/env bash
# Runs a fuzz target of the IMAP engine with cargo-fuzz (needs rustup's nightly toolchain).
#
#   scripts/fuzz.sh [TARGET] [SECONDS]     default: framer_parser for 600 seconds
#   targets: framer_parser, engine_input
#
# Crashes land in fuzz/artifacts/TARGET/; each becomes a regression test in
# client-wasm/tests/fuzz_regressions.rs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="${1:-framer_parser}"
SECONDS_TO_RUN="${2:-600}"
command -v rustup >/dev/null || { echo "fuzz: rustup is needed for the nightly toolchain" >&2; exit 1; }
rustup run nightly rustc --version >/dev/null 2>&1 || rustup toolchain install nightly --profile minimal
cargo +nightly fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked || cargo install cargo-fuzz
cd "$ROOT/fuzz"
mkdir -p "corpus/$TARGET"
# Seed with the real-server transcripts and the hostile shapes kept for this target.
cp "$ROOT"/tests/fixtures/imap-quirks/*.txt "corpus/$TARGET/" 2>/dev/null || true
cp "$ROOT"/fuzz/seeds/"$TARGET"/* "corpus/$TARGET/" 2>/dev/null || true
cargo +nightly fuzz run "$TARGET" "corpus/$TARGET" -- -max_total_time="$SECONDS_TO_RUN" -rss_limit_mb=2048
