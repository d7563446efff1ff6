#!/usr/bin/env bash
# Builds the browser package of client-wasm into web/pkg/ and prints its gzip sizes.
#
# The crate is an rlib for native users; the browser build asks cargo for a cdylib
# on the command line (docs/decisions/0002-wasm-size.md). Uses the toolchain that
# scripts/setup.sh chose and cached.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TOOLCHAIN_FILE=".cache/wasm-toolchain.env"
[ -f "$TOOLCHAIN_FILE" ] || { echo "build-wasm: run scripts/setup.sh first (no $TOOLCHAIN_FILE)" >&2; exit 1; }
set -a
# shellcheck source=/dev/null
. "$TOOLCHAIN_FILE"
set +a

# Options: --features LIST (e.g. bench), --out-dir DIR (default web/pkg).
FEATURES=""
OUT="$ROOT/web/pkg"
while [ $# -gt 0 ]; do
  case "$1" in
    --features) FEATURES="$2"; shift 2 ;;
    --out-dir) OUT="$2"; shift 2 ;;
    *) echo "build-wasm: unknown option $1" >&2; exit 2 ;;
  esac
done

PROFILE=wasm-release
TARGET_DIR="$ROOT/target/wasm"
args=(rustc -p client-wasm --lib --profile "$PROFILE" --target wasm32-unknown-unknown
  --target-dir "$TARGET_DIR" --crate-type cdylib)
if [ -n "$FEATURES" ]; then
  args+=(--features "$FEATURES")
fi
if [ -n "${WASM_BUILD_STD:-}" ]; then
  args+=(-Zbuild-std=std,panic_abort)
fi
"$WASM_CARGO" "${args[@]}" -q

WASM="$TARGET_DIR/wasm32-unknown-unknown/$PROFILE/client_wasm.wasm"
mkdir -p "$OUT"
"$ROOT/.tools/bin/wasm-bindgen" --target web --out-dir "$OUT" "$WASM"

# Debian's binaryen 108 miscompiles wasm-bindgen 0.2.130 output, so only npm's is used.
WASM_OPT="$ROOT/node_modules/.bin/wasm-opt"
if [ -x "$WASM_OPT" ]; then
  # Exactly the features rustc's wasm32 target emits; --all-features would let
  # wasm-opt use proposals (stringref) that browsers and Node do not ship.
  # --low-memory-unused: rustc places no data below 1 KiB (the stack comes first).
  "$WASM_OPT" -Oz --converge --low-memory-unused --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue --strip-debug --strip-producers \
    "$OUT/client_wasm_bg.wasm" -o "$OUT/client_wasm_bg.wasm.opt"
  mv "$OUT/client_wasm_bg.wasm.opt" "$OUT/client_wasm_bg.wasm"
fi

gz() { gzip -9 -c "$1" | wc -c; }
wasm_gz=$(gz "$OUT/client_wasm_bg.wasm")
js_gz=$(gz "$OUT/client_wasm.js")
printf 'build-wasm: %s/client_wasm_bg.wasm %s bytes gzip, client_wasm.js %s bytes gzip, together %s KiB gzip\n' \
  "${OUT#"$ROOT"/}" "$wasm_gz" "$js_gz" "$(( (wasm_gz + js_gz + 1023) / 1024 ))"
