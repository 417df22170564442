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

ensure_brotli() {
  if ! command -v brotli >/dev/null; then
    say "Installing brotli from Debian (precompressed .br twins of the site's assets)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq brotli >/dev/null
  fi
}

# Each module's budget, gzipped, in KiB: build_site fails when a module outgrows it (BENCHMARKS.md,
# "Two modules", has the figures they come from).
PAGE_BUDGET_KIB=${PAGE_BUDGET_KIB:-560}
ENGINE_BUDGET_KIB=${ENGINE_BUDGET_KIB:-1250}

# One module of the crate: `wasm_module FEATURES OUT_DIR OUT_NAME [CARGO_ARGS...]`. Both shipped
# modules use the release profile, so they share its compiled dependencies (CI builds each once).
wasm_module() {
  local features=$1 out=$2 name=$3
  shift 3
  cargo build --release --lib --target wasm32-unknown-unknown --no-default-features --features "$features" "$@"
  wasm-bindgen --target web --remove-name-section --remove-producers-section --out-name "$name" \
    --out-dir "$out" "${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/release/cmk_playground.wasm"
}

gz_kib() { echo $(( $(gzip -9 -c "$1" | wc -c) / 1024 )); }

# Builds the static site into dist/: index.html, style.css, worker.js, sealing.js; pkg/ (the
# engine module for the Worker: wasm + glue, its TypeScript types and package.json, also the npm
# package); ui/ (the page's module); and a .gz and .br twin of every text and wasm asset.
build_site() {
  ensure_wasm_target
  ensure_wasm_bindgen
  ensure_brotli
  rm -rf dist
  mkdir -p dist
  say "Building the engine module (release, wasm32, feature worker)"
  wasm_module worker dist/pkg cmk_playground
  write_package_json
  # The page runs no bulk cryptography, so our crate is built for size there ("z"; fat LTO
  # optimises the whole module at the root crate's level); BENCHMARKS.md, "Two modules".
  say "Building the page's module (release, our crate at opt-level z, wasm32, feature page)"
  wasm_module page dist/ui cmk_page --config 'profile.release.package.cmk-playground.opt-level="z"'
  rm -f dist/ui/*.d.ts
  cp index.html dist/
  cp -r www/. dist/
  rm -f dist/bench.html dist/bench.js
  find dist -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' -o -name '*.html' -o -name '*.svg' -o -name '*.json' -o -name '*.ts' \) \
    -exec gzip -9 -k -n {} \; -exec brotli -q 11 -k {} \;
  local page engine
  page=$(gz_kib dist/ui/cmk_page_bg.wasm)
  engine=$(gz_kib dist/pkg/cmk_playground_bg.wasm)
  say "dist/ ready: page module $(( $(stat -c %s dist/ui/cmk_page_bg.wasm) / 1024 )) KiB raw, $page KiB gzipped (budget $PAGE_BUDGET_KIB); engine module $(( $(stat -c %s dist/pkg/cmk_playground_bg.wasm) / 1024 )) KiB raw, $engine KiB gzipped (budget $ENGINE_BUDGET_KIB)"
  if [ "$page" -gt "$PAGE_BUDGET_KIB" ] || [ "$engine" -gt "$ENGINE_BUDGET_KIB" ]; then
    echo "error: a module outgrew its size budget (page $page KiB > $PAGE_BUDGET_KIB, or engine $engine KiB > $ENGINE_BUDGET_KIB, gzipped): see BENCHMARKS.md, \"Two modules\"" >&2
    return 1
  fi
}

# The benchmark page and its module (the engine with the benchmark exports), into dist/: never
# part of the shipped site (scripts/bench only).
build_bench_page() {
  say "Building the benchmark module (release, wasm32, features worker + bench)"
  wasm_module bench dist/bench-pkg cmk_playground
  cp www/bench.html www/bench.js dist/
}
