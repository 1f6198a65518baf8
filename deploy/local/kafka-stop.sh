#!/usr/bin/env bash
# Stop the local Kafka broker started by kafka-start.sh (no-op if not running).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL_DIR="${MANDATE_LOCAL_DIR:-$REPO/.local}"
KDIR="$LOCAL_DIR/kafka"
PIDFILE="$KDIR/kafka.pid"
STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"

log() { echo "kafka-stop: $*" >&2; }

pid="$(cat "$PIDFILE" 2>/dev/null || true)"
# Only signal the pid if it still is our broker (pids get reused).
if [[ -z "$pid" || ! -r "/proc/$pid/cmdline" ]] \
  || ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'kafka\.Kafka'; then
  rm -f "$PIDFILE" "$KDIR/kafka.ready"
  log "not running"
  exit 0
fi

kill -TERM "$pid" 2>/dev/null || true
deadline=$((SECONDS + STOP_TIMEOUT))
while kill -0 "$pid" 2>/dev/null; do
  if ((SECONDS >= deadline)); then
    log "still running after ${STOP_TIMEOUT}s, sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
    break
  fi
  sleep 0.2
done
rm -f "$PIDFILE" "$KDIR/kafka.ready"
log "stopped"
