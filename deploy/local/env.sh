#!/usr/bin/env bash
# Source me: `. deploy/local/env.sh` — exports the URLs of the local services.
# No `set -euo pipefail` here: it would leak into the sourcing shell.
export DATABASE_URL="postgres://mandate:mandate@127.0.0.1:${PGPORT:-54329}/mandate"
export KAFKA_BROKERS="127.0.0.1:${KAFKA_PORT:-59092}"
