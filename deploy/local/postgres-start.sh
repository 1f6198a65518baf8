#!/usr/bin/env bash
# Start a local PostgreSQL cluster on 127.0.0.1 (idempotent).
# Prints DATABASE_URL=... on stdout; progress goes to stderr, so
# `eval "$(deploy/local/postgres-start.sh)"` works.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL_DIR="${MANDATE_LOCAL_DIR:-$REPO/.local}"
PORT="${PGPORT:-54329}"
URL="postgres://mandate:mandate@127.0.0.1:${PORT}/mandate"
START_TIMEOUT="${PG_START_TIMEOUT:-60}"

log() { echo "postgres-start: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

find_bindir() {
  if [[ -n "${PG_BINDIR:-}" ]]; then echo "$PG_BINDIR"; return; fi
  local d
  d="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
  if [[ -n "$d" && -x "$d/initdb" ]]; then echo "$d"; return; fi
  if command -v pg_ctl >/dev/null 2>&1; then dirname "$(command -v pg_ctl)"; fi
}

# Fast path: already answering on the port with our credentials.
BIN="$(find_bindir)"
if [[ -n "$BIN" ]] && "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -t 1 2>/dev/null; then
  if PGCONNECT_TIMEOUT=3 "$BIN/psql" "$URL" -Atqc 'select 1' >/dev/null 2>&1; then
    echo "DATABASE_URL=$URL"
    exit 0
  fi
fi

SUDO=()
[[ $EUID -eq 0 ]] || SUDO=(sudo)

if [[ -z "$BIN" ]]; then
  command -v apt-get >/dev/null 2>&1 || die "PostgreSQL not found and apt-get unavailable; install it or set PG_BINDIR"
  log "installing PostgreSQL from Debian packages"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  BIN="$(find_bindir)"
  [[ -n "$BIN" ]] || die "PostgreSQL binaries still not found after install"
fi

# initdb/postgres refuse to run as root: use the postgres OS user then.
as_pg() {
  if [[ $EUID -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

mkdir -p "$LOCAL_DIR"
DATA="$LOCAL_DIR/postgres"
# If the checkout sits under a directory the postgres user cannot enter
# (e.g. /root), keep the cluster in a per-checkout dir it can reach.
if [[ $EUID -eq 0 ]] && ! runuser -u postgres -- test -x "$LOCAL_DIR"; then
  DATA="/var/lib/postgresql/mandate-$(printf '%s' "$LOCAL_DIR" | md5sum | cut -c1-12)"
  log "postgres user cannot reach $LOCAL_DIR; using $DATA"
fi

exec 9>"$LOCAL_DIR/.postgres.lock"
flock 9

if [[ ! -f "$DATA/PG_VERSION" ]]; then
  log "initialising cluster in $DATA"
  mkdir -p "$DATA"
  chmod 700 "$DATA"
  [[ $EUID -ne 0 ]] || chown postgres:postgres "$DATA"
  pwfile="$(mktemp)"
  trap 'rm -f "$pwfile"' EXIT
  echo mandate >"$pwfile"
  chmod 644 "$pwfile"
  # Bootstrap superuser is "mandate" itself; explicit locale so the cluster
  # does not depend on the caller's LANG (unset LANG would give SQL_ASCII).
  as_pg "$BIN/initdb" -D "$DATA" -U mandate --pwfile="$pwfile" \
    --auth=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >"$LOCAL_DIR/postgres-initdb.log" 2>&1 \
    || { cat "$LOCAL_DIR/postgres-initdb.log" >&2; die "initdb failed"; }
  rm -f "$pwfile"
  echo "include = 'mandate.conf'" | as_pg tee -a "$DATA/postgresql.conf" >/dev/null
fi

# Rewritten on every start so PGPORT changes take effect.
as_pg tee "$DATA/mandate.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
port = $PORT
# TCP only: Debian's default socket dir (/var/run/postgresql) may not exist.
unix_socket_directories = ''
max_connections = 200
shared_buffers = 256MB
fsync = on
EOF
as_pg tee "$DATA/pg_hba.conf" >/dev/null <<EOF
host all         all 127.0.0.1/32 scram-sha-256
host replication all 127.0.0.1/32 scram-sha-256
EOF

if as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
  log "server already running from $DATA, waiting for it to accept connections"
else
  log "starting server on 127.0.0.1:$PORT"
  # 9>&- so the server does not inherit (and hold) the lock.
  as_pg "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t "$START_TIMEOUT" start >/dev/null 9>&- \
    || { tail -n 30 "$DATA/server.log" >&2 || true; die "pg_ctl start failed (log: $DATA/server.log)"; }
fi

deadline=$((SECONDS + START_TIMEOUT))
until "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -t 1; do
  if ((SECONDS >= deadline)); then
    tail -n 30 "$DATA/server.log" >&2 || true
    die "server not ready on port $PORT after ${START_TIMEOUT}s"
  fi
  sleep 0.2
done

export PGPASSWORD=mandate
psql_admin=("$BIN/psql" -h 127.0.0.1 -p "$PORT" -U mandate -d postgres -v ON_ERROR_STOP=1 -Atq)
if [[ -z "$("${psql_admin[@]}" -c "select 1 from pg_database where datname = 'mandate'")" ]]; then
  "${psql_admin[@]}" -c 'create database mandate'
fi

echo "DATABASE_URL=$URL"
