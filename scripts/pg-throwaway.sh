# Sourced by scripts/test-web.sh and scripts/web.sh: installs Debian's postgresql when
# missing and starts a throwaway cluster in a temp dir on 127.0.0.1, on a free port, with
# its unix socket in the same dir. Sets PGTMP, PGPORT and DATABASE_URL, and pg_stop (also
# run on exit). As root the server runs as the `postgres` user (it refuses to run as root).

# The newest server installation (a client-only package has no initdb).
pg_bin_dir() {
    local initdb
    initdb=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1)
    if [ -n "$initdb" ]; then dirname "$initdb"; fi
}

apt_install() {
    local sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "$@"
}

if [ -z "$(pg_bin_dir)" ]; then
    printf '\n==> installing postgresql (Debian)\n'
    apt_install postgresql
fi
PGBIN=$(pg_bin_dir)

as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

PGTMP=$(mktemp -d /tmp/clinic-portal-pg.XXXXXX)
chmod 755 "$PGTMP"
if [ "$(id -u)" = 0 ]; then chown postgres "$PGTMP"; fi
PGPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

pg_stop() {
    if [ -n "${PGTMP:-}" ] && [ -d "$PGTMP" ]; then
        as_pg "$PGBIN/pg_ctl" -D "$PGTMP/data" -m immediate stop >/dev/null 2>&1 || true
        rm -rf "$PGTMP"
    fi
}
trap pg_stop EXIT

as_pg "$PGBIN/initdb" -D "$PGTMP/data" -U portal --auth=trust -E UTF8 --locale=C.UTF-8 >"$PGTMP/initdb.log" 2>&1 \
    || { cat "$PGTMP/initdb.log"; exit 1; }
as_pg "$PGBIN/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGTMP -c fsync=on -c max_connections=100" start >/dev/null \
    || { cat "$PGTMP/server.log"; exit 1; }
as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U portal portal
export PGPORT
export DATABASE_URL="postgres://portal@127.0.0.1:$PGPORT/portal"
