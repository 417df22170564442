# Shared by scripts/serve and scripts/test: install what is missing, build the static site.
# Downloads come only from package registries (crates.io, npm, Debian) and rustup targets.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "error: '$*' needs root; install it yourself or run with sudo available" >&2; return 1
  fi
}

ensure_wasm_target() {
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    say "Adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

# The wasm-bindgen CLI must match the crate version pinned in Cargo.toml exactly.
wasm_bindgen_version() {
  sed -n 's/^wasm-bindgen = "=\([0-9.]*\)".*/\1/p' Cargo.toml
}

ensure_wasm_bindgen() {
  local want have
  want="$(wasm_bindgen_version)"
  have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
  if [ "$have" != "$want" ]; then
    say "Installing wasm-bindgen-cli $want (one-off, about 10 minutes on 2 cores)"
    cargo install wasm-bindgen-cli --version "$want"
  fi
}

ensure_chromium() {
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    say "Installing Chromium and ChromeDriver from Debian"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
}

# dist/pkg/package.json: makes dist/pkg/ an npm package (`npm install path/to/dist/pkg`, or a
# copy) for other projects' tests; name, version and description come from Cargo.toml.
write_package_json() {
  local version description
  version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)"
  description="$(sed -n 's/^description = "\(.*\)"$/\1/p' Cargo.toml | head -n1)"
  cat >dist/pkg/package.json <<EOF
{
  "name": "cmk-playground",
  "version": "$version",
  "description": "$description. The engine as WasmEngine (REST requests, virtual clock, snapshots), for tests.",
  "license": "MIT",
  "private": true,
  "type": "module",
  "main": "cmk_playground.js",
  "module": "cmk_playground.js",
  "types": "cmk_playground.d.ts",
  "exports": {
    ".": { "types": "./cmk_playground.d.ts", "default": "./cmk_playground.js" },
    "./cmk_playground_bg.wasm": "./cmk_playground_bg.wasm",
    "./package.json": "./package.json"
  },
  "files": ["cmk_playground.js", "cmk_playground.d.ts", "cmk_playground_bg.wasm", "cmk_playground_bg.wasm.d.ts"],
  "sideEffects": false
}
EOF
}

# Builds the static site into dist/: index.html, style.css, worker.js, pkg/ (wasm + glue, its
# TypeScript types and package.json).
build_site() {
  ensure_wasm_target
  ensure_wasm_bindgen
  say "Building the playground (release, wasm32)"
  cargo build --release --lib --target wasm32-unknown-unknown
  rm -rf dist
  mkdir -p dist
  wasm-bindgen --target web --remove-name-section --remove-producers-section \
    --out-dir dist/pkg "${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/release/cmk_playground.wasm"
  write_package_json
  cp index.html dist/
  cp -r www/. dist/
  local raw gz
  raw=$(stat -c %s dist/pkg/cmk_playground_bg.wasm)
  gz=$(gzip -9 -c dist/pkg/cmk_playground_bg.wasm | wc -c)
  say "dist/ ready: wasm $((raw / 1024)) KiB raw, $((gz / 1024)) KiB gzipped"
}
