#!/usr/bin/env bash
# Builds the browser packages into web/pkg/ and prints their gzip sizes: client-wasm
# (the IMAP client, always loaded), client-tls (TLS in the page, loaded only for
# end-to-end upstreams) and client-compose (SMTP and the message builder, loaded on
# the first "New message").
#
# The crates are rlibs for native users; the browser build asks cargo for a cdylib
# on the command line (docs/decisions/0002-wasm-size.md). Uses the toolchain that
# scripts/setup.sh chose and cached (with a clang for ring's C code).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TOOLCHAIN_FILE=".cache/wasm-toolchain.env"
[ -f "$TOOLCHAIN_FILE" ] || { echo "build-wasm: run scripts/setup.sh first (no $TOOLCHAIN_FILE)" >&2; exit 1; }
set -a
# shellcheck source=/dev/null
. "$TOOLCHAIN_FILE"
set +a

# Options: --features LIST (client-wasm's, e.g. bench), --out-dir DIR (default web/pkg),
# --only CRATE (client-wasm, client-tls or client-compose; default all).
FEATURES=""
OUT="$ROOT/web/pkg"
ONLY=""
while [ $# -gt 0 ]; do
  case "$1" in
    --features) FEATURES="$2"; shift 2 ;;
    --out-dir) OUT="$2"; shift 2 ;;
    --only) ONLY="$2"; shift 2 ;;
    *) echo "build-wasm: unknown option $1" >&2; exit 2 ;;
  esac
done

PROFILE=wasm-release
TARGET_DIR="$ROOT/target/wasm"
# Debian's binaryen 108 miscompiles wasm-bindgen 0.2.130 output, so only npm's is used.
WASM_OPT="$ROOT/node_modules/.bin/wasm-opt"
gz() { gzip -9 -c "$1" | wc -c; }
mkdir -p "$OUT"

# Builds one crate as a cdylib, runs wasm-bindgen and wasm-opt, prints gzip sizes.
package() {
  local crate="$1" name="${1//-/_}" features="$2"
  local args=(rustc -p "$crate" --lib --profile "$PROFILE" --target wasm32-unknown-unknown
    --target-dir "$TARGET_DIR" --crate-type cdylib)
  [ -n "$features" ] && args+=(--features "$features")
  [ -n "${WASM_BUILD_STD:-}" ] && args+=(-Zbuild-std=std,panic_abort)
  "$WASM_CARGO" "${args[@]}" -q
  "$ROOT/.tools/bin/wasm-bindgen" --target web --out-dir "$OUT" "$TARGET_DIR/wasm32-unknown-unknown/$PROFILE/$name.wasm"
  if [ -x "$WASM_OPT" ]; then
    # Exactly the features rustc's wasm32 target emits; --all-features would let
    # wasm-opt use proposals (stringref) that browsers and Node do not ship.
    # --low-memory-unused: rustc places no data below 1 KiB (the stack comes first).
    "$WASM_OPT" -Oz --converge --low-memory-unused --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
      --enable-mutable-globals --enable-reference-types --enable-multivalue --strip-debug --strip-producers \
      "$OUT/${name}_bg.wasm" -o "$OUT/${name}_bg.wasm.opt"
    mv "$OUT/${name}_bg.wasm.opt" "$OUT/${name}_bg.wasm"
  fi
  # The glue wasm-bindgen writes is readable and unminified: a third of its
  # bytes are names and comments. Its exports (and the .d.ts) stay as they are.
  "$ROOT/node_modules/.bin/esbuild" "$OUT/$name.js" --minify --format=esm --log-level=warning --outfile="$OUT/$name.min.js"
  mv "$OUT/$name.min.js" "$OUT/$name.js"
  local wasm_gz js_gz
  wasm_gz=$(gz "$OUT/${name}_bg.wasm")
  js_gz=$(gz "$OUT/$name.js")
  printf 'build-wasm: %s/%s_bg.wasm %s bytes gzip, %s.js %s bytes gzip, together %s KiB gzip\n' \
    "${OUT#"$ROOT"/}" "$name" "$wasm_gz" "$name" "$js_gz" "$(( (wasm_gz + js_gz + 1023) / 1024 ))"
}

# The base client, always loaded; the TLS add-on, loaded only for end-to-end upstreams.
[ -z "$ONLY" ] || [ "$ONLY" = client-wasm ] && package client-wasm "$FEATURES"
[ -z "$ONLY" ] || [ "$ONLY" = client-tls ] && package client-tls ""
[ -z "$ONLY" ] || [ "$ONLY" = client-compose ] && package client-compose ""
exit 0
