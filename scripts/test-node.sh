#!/usr/bin/env bash
# The Node package (bindings-node/, docs/node.md) from a fresh clone: installs Node.js and
# npm from Debian when missing, the pinned npm dev dependencies with `npm ci`, builds the
# addon with `napi build` (debug), checks that the committed index.js / index.d.ts (napi
# generated) and lib/types.d.ts (from schema/) are fresh, type-checks the tests, bench and
# example with `tsc --strict`, runs `node --test` (API, errors, parity, every shared
# vector) and the example.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

step() { printf '\n==> %s\n' "$*"; }

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    step "installing nodejs and npm (Debian)"
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -q
    $sudo apt-get install -y -q nodejs npm
fi
node --version

cd "$root/bindings-node"
step "npm ci (pinned dev dependencies)"
npm ci --no-audit --no-fund

step "napi build (debug)"
npx napi build --platform --no-const-enum --package clinic-portal-node

step "generated files are fresh"
git -C "$root" diff --exit-code -- bindings-node/index.js bindings-node/index.d.ts \
    || { echo "index.js / index.d.ts differ from what napi build generates: commit them"; exit 1; }
node scripts/gen-types.mjs --check

# The example imports the package by name, as a host would after `npm install`.
mkdir -p "$root/examples/node/node_modules"
ln -sfn ../../../bindings-node "$root/examples/node/node_modules/clinic-portal"

step "tsc --noEmit --strict"
npx tsc --noEmit --strict -p .

step "node --test"
RUST_BACKTRACE=0 node --test test/

step "example"
node "$root/examples/node/booking.mjs"

printf '\nnode tests passed\n'
