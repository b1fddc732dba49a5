#!/usr/bin/env bash
# The web example (examples/web/, docs/integrate.md) from a fresh clone: installs Debian's
# postgresql and chromium when missing, builds the Node addon when it is not built yet
# (scripts/test-node.sh builds it in the full run), installs the example's pinned npm
# packages with `npm ci`, checks openapi.json is fresh, starts a throwaway PostgreSQL
# cluster on 127.0.0.1 (always stopped on exit) and runs the tests with `node --test`:
# the API against openapi.json, a real browser, two racing processes, SIGKILL and restart.
# Screenshots go to examples/web/artifacts/ (ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

step() { printf '\n==> %s\n' "$*"; }

# shellcheck source=scripts/pg-throwaway.sh
source "$root/scripts/pg-throwaway.sh"
if ! command -v chromium >/dev/null; then
    step "installing chromium (Debian)"
    apt_install chromium fonts-dejavu-core
fi
chromium --version

if ! ls "$root"/bindings-node/*.node >/dev/null 2>&1; then
    step "building the Node addon (bindings-node, debug)"
    (cd "$root/bindings-node" && npm ci --no-audit --no-fund \
        && npx napi build --platform --no-const-enum --package clinic-portal-node)
fi

cd "$root/examples/web"
step "npm ci (examples/web, pinned)"
npm ci --no-audit --no-fund

step "openapi.json is fresh"
node scripts/gen-openapi.mjs --check

step "node --test (PostgreSQL on 127.0.0.1:$PGPORT)"
RUST_BACKTRACE=0 node --test --test-concurrency=1 test/*.test.mjs

printf '\nweb tests passed\n'
