#!/usr/bin/env bash
# Stop the local PostgreSQL cluster started by postgres-start.sh (no-op if not running).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL_DIR="${MANDATE_LOCAL_DIR:-$REPO/.local}"

log() { echo "postgres-stop: $*" >&2; }

BIN="${PG_BINDIR:-}"
if [[ -z "$BIN" ]]; then
  BIN="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
  if [[ ! -x "$BIN/pg_ctl" ]] && command -v pg_ctl >/dev/null 2>&1; then BIN="$(dirname "$(command -v pg_ctl)")"; fi
fi
if [[ -z "$BIN" || ! -x "$BIN/pg_ctl" ]]; then
  log "PostgreSQL is not installed; nothing to stop"
  exit 0
fi

as_pg() {
  if [[ $EUID -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Same data dir choice as postgres-start.sh.
DATA="$LOCAL_DIR/postgres"
if [[ $EUID -eq 0 && -d "$LOCAL_DIR" ]] && ! runuser -u postgres -- test -x "$LOCAL_DIR"; then
  DATA="/var/lib/postgresql/mandate-$(printf '%s' "$LOCAL_DIR" | md5sum | cut -c1-12)"
fi

if [[ ! -f "$DATA/PG_VERSION" ]] || ! as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
  log "not running"
  exit 0
fi

as_pg "$BIN/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null
log "stopped"
