#!/usr/bin/env bash
# Starts the web example (examples/web/) on the embedded sample practice, on loopback:
# installs Debian's postgresql and Node.js when missing, builds the Node addon (release)
# and the example's pinned npm packages, starts a throwaway PostgreSQL cluster in a temp
# dir and the server on 127.0.0.1, prints the URL and the demo logins, and stops both on
# Ctrl-C. PORT picks the port (default 8080); CLOCK_START the server's clock (default: the
# sample data's week, 2027-03-08 15:00 in Toronto; "now" for the real clock).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

step() { printf '\n==> %s\n' "$*"; }

# shellcheck source=scripts/pg-throwaway.sh
source "$root/scripts/pg-throwaway.sh"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    step "installing nodejs and npm (Debian)"
    apt_install nodejs npm
fi

step "building the Node addon (release)"
(cd "$root/bindings-node" && npm ci --no-audit --no-fund --silent \
    && npx napi build --platform --release --no-const-enum --package clinic-portal-node)

cd "$root/examples/web"
step "npm ci (examples/web)"
npm ci --no-audit --no-fund --silent

clock=${CLOCK_START:-2027-03-08T20:00:00Z}
if [ "$clock" = now ]; then clock=""; fi
port=${PORT:-8080}
staff_password=${STAFF_PASSWORD:-front desk demo}
cat <<INFO

==> the web example on http://127.0.0.1:$port/ (staff page: http://127.0.0.1:$port/staff)
    patient (guardian of Ben): ana.souza@example.com / correct horse battery
    patient:                   chloe.m@example.com / chloe demo password
    staff:                     frontdesk / $staff_password
    PostgreSQL:                $DATABASE_URL (thrown away on exit)
    Ctrl-C stops it.

INFO
DATABASE_URL=$DATABASE_URL PORT=$port CLOCK_START=$clock STAFF_PASSWORD=$staff_password \
    SESSION_SECRET=$(head -c 32 /dev/urandom | base64) node server.mjs
