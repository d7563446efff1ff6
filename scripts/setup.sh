#!/usr/bin/env bash
# Installs what the build, the demo and the tests need, and nothing that is already there.
#
# Idempotent and quiet when everything is present. Each step names the missing
# piece when it cannot be installed. Choices that take time to discover (which
# wasm toolchain works here) are made once and cached in .cache/.
#
# Environment:
#   WASM_TOOLCHAIN=rustup|debian  force a wasm toolchain instead of detecting one
#   SKIP_APT=1                    never call apt-get (report what is missing instead)
#   BUILD_ONLY=1                  only what building needs (no Dovecot, Chromium, nginx, socat)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CACHE="$ROOT/.cache"
TOOLS="$ROOT/.tools"
mkdir -p "$CACHE" "$TOOLS"

say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }
fail() {
  printf '\033[1;31msetup: %s\033[0m\n' "$*" >&2
  exit 1
}

# ---------------------------------------------------------------- apt packages
APT_UPDATED=""
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    return 1
  fi
}

apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ -n "${SKIP_APT:-}" ] || ! command -v apt-get >/dev/null 2>&1; then
    fail "missing Debian packages: ${missing[*]} (install them, e.g. apt-get install ${missing[*]})"
  fi
  say "installing ${missing[*]}"
  if [ -z "$APT_UPDATED" ]; then
    as_root apt-get update -qq || fail "apt-get update failed (need root or sudo to install: ${missing[*]})"
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    fail "apt-get install ${missing[*]} failed"
}

# dovecot-imapd: the test server. dovecot-submissiond, dovecot-lmtpd and
# python3-aiosmtpd: the test submission server (Dovecot's submission service relays
# to a small aiosmtpd relay, which delivers over LMTP). chromium(-driver): UI tests.
# nginx: the scale-out example test. socat: the benchmark's physical-limit relay.
# gzip: size reports.
if [ -z "${BUILD_ONLY:-}" ]; then
  apt_install dovecot-core dovecot-imapd dovecot-submissiond dovecot-lmtpd python3-aiosmtpd \
    chromium chromium-driver nginx socat gzip ca-certificates
fi

# ---------------------------------------------------------------- Rust and Node
command -v cargo >/dev/null 2>&1 || fail "cargo is missing: install Rust with rustup (https://rustup.rs)"
command -v node >/dev/null 2>&1 || fail "node is missing: install Node.js 20 or newer with npm"
command -v npm >/dev/null 2>&1 || fail "npm is missing: install it with Node.js"
node -e 'process.exit(parseInt(process.versions.node) >= 18 ? 0 : 1)' || fail "Node.js 18 or newer is needed (found $(node --version))"

# ---------------------------------------------------------------- wasm toolchain
# rustup's target where it is installed or can be added; otherwise Debian's
# rustc-web with -Zbuild-std. The download of the rustup target can hang on
# machines without internet, so that attempt is bounded.
TOOLCHAIN_FILE="$CACHE/wasm-toolchain.env"
write_rustup_choice() {
  cat >"$TOOLCHAIN_FILE" <<EOF
# Chosen by scripts/setup.sh; delete this file to detect again.
WASM_TOOLCHAIN=rustup
WASM_CARGO=cargo
WASM_BUILD_STD=
EOF
}
write_debian_choice() {
  apt_install rustc-web cargo-web rust-web-src lld-22
  local linker
  linker="$(ls /usr/lib/llvm-*/bin/wasm-ld 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$linker" ] || fail "wasm-ld is missing (Debian package lld-22)"
  cat >"$TOOLCHAIN_FILE" <<EOF
# Chosen by scripts/setup.sh; delete this file to detect again.
WASM_TOOLCHAIN=debian
WASM_CARGO=/usr/bin/cargo
WASM_BUILD_STD=1
RUSTC=/usr/bin/rustc
RUSTC_BOOTSTRAP=1
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=$linker
EOF
}
rustup_has_wasm() {
  command -v rustup >/dev/null 2>&1 && rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown
}

cached_choice=""
[ -f "$TOOLCHAIN_FILE" ] && cached_choice="$(sed -n 's/^WASM_TOOLCHAIN=//p' "$TOOLCHAIN_FILE")"
wanted="${WASM_TOOLCHAIN:-$cached_choice}"
case "$wanted" in
  rustup)
    rustup_has_wasm || timeout 60 rustup target add wasm32-unknown-unknown >/dev/null 2>&1 ||
      fail "WASM_TOOLCHAIN=rustup but 'rustup target add wasm32-unknown-unknown' failed"
    write_rustup_choice
    ;;
  debian) write_debian_choice ;;
  "")
    if rustup_has_wasm; then
      write_rustup_choice
    elif command -v rustup >/dev/null 2>&1 && timeout 15 rustup target add wasm32-unknown-unknown >/dev/null 2>&1; then
      write_rustup_choice
    else
      say "rustup cannot add wasm32-unknown-unknown here; using Debian's rustc-web with -Zbuild-std"
      write_debian_choice
    fi
    ;;
  *) fail "WASM_TOOLCHAIN must be 'rustup' or 'debian', not '$wanted'" ;;
esac
choice="$(sed -n 's/^WASM_TOOLCHAIN=//p' "$TOOLCHAIN_FILE")"
[ "$choice" = "$cached_choice" ] || say "wasm toolchain: $choice (cached in .cache/wasm-toolchain.env)"

# ring (TLS in the page: client-tls) compiles some C for wasm32, which clang can and gcc cannot.
wasm_cc() {
  local cc
  for cc in clang-22 clang; do
    if command -v "$cc" >/dev/null 2>&1; then command -v "$cc"; return; fi
  done
}
# Debian's newest clang where the release has it (clang-22 here), else its default clang.
if [ -z "$(wasm_cc)" ]; then
  if apt-cache show clang-22 >/dev/null 2>&1; then apt_install clang-22; else apt_install clang; fi
fi
WASM_CC="$(wasm_cc)"
[ -n "$WASM_CC" ] || fail "clang is missing (Debian package clang-22): it compiles ring for the TLS module"
sed -i '/^CC_wasm32_unknown_unknown=/d' "$TOOLCHAIN_FILE"
echo "CC_wasm32_unknown_unknown=$WASM_CC" >>"$TOOLCHAIN_FILE"

# ---------------------------------------------------------------- wasm-bindgen CLI
# It must be exactly the version of the wasm-bindgen crate in Cargo.lock.
[ -f Cargo.lock ] || cargo generate-lockfile -q
BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
[ -n "$BINDGEN_VERSION" ] || fail "cannot find the wasm-bindgen version in Cargo.lock"
if [ "$("$TOOLS/bin/wasm-bindgen" --version 2>/dev/null | awk '{print $2}')" != "$BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $BINDGEN_VERSION into .tools/ (a few minutes, once)"
  cargo install -q --root "$TOOLS" wasm-bindgen-cli --version "$BINDGEN_VERSION" --locked 2>/dev/null ||
    cargo install -q --root "$TOOLS" wasm-bindgen-cli --version "$BINDGEN_VERSION" ||
    fail "cannot install wasm-bindgen-cli $BINDGEN_VERSION"
fi

# ---------------------------------------------------------------- npm packages
# playwright-core drives Debian's Chromium; binaryen provides wasm-opt; esbuild bundles the UI;
# typescript checks the UI's JSDoc types (make lint); fake-indexeddb runs the mail cache's unit tests in Node.
if [ ! -f node_modules/.setup-stamp ] || [ package-lock.json -nt node_modules/.setup-stamp ]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error || fail "npm ci failed"
  touch node_modules/.setup-stamp
fi

touch "$CACHE/setup-done"
