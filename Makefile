# One command each: `make demo` brings up a working demo, `make test` runs every test.
# Both install what is missing first (scripts/setup.sh) and are fast when nothing changed.
SHELL := /bin/bash
.DEFAULT_GOAL := build
.PHONY: setup build build-rust build-wasm build-web demo test lint bench fuzz clean

setup:
	@scripts/setup.sh

build: setup build-rust build-wasm build-web

build-rust:
	cargo build --workspace --bins --quiet

build-wasm:
	@scripts/build-wasm.sh

build-web:
	@node web/build.mjs

demo: build
	@scripts/demo.sh

test: build
	@scripts/test.sh

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --quiet -- -D warnings
	@# The UI's JSDoc types, checked against the client's generated .d.ts (made by make build).
	@test -f web/pkg/client_wasm.d.ts || { echo "lint: web/pkg/client_wasm.d.ts is missing: run make build first" >&2; exit 1; }
	node_modules/.bin/tsc -p jsconfig.json
	@# The browser bindings only compile for wasm32; lint them where rustup has that target.
	@if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then \
	  cargo clippy -p client-wasm --features bench --target wasm32-unknown-unknown --quiet -- -D warnings; \
	  cargo clippy -p page-socket -p client-compose --target wasm32-unknown-unknown --quiet -- -D warnings; \
	  CC_wasm32_unknown_unknown="$$(sed -n 's/^CC_wasm32_unknown_unknown=//p' .cache/wasm-toolchain.env 2>/dev/null)" \
	    cargo clippy -p client-tls --target wasm32-unknown-unknown --quiet -- -D warnings; \
	fi

bench: build
	@scripts/bench.sh

fuzz:
	@scripts/fuzz.sh

clean:
	cargo clean
	rm -rf web/pkg web/dist .cache
