#!/usr/bin/env bash
# SCIM compliance: starts a standalone Mandate from dist/ (run `npm run build` first) on a fresh data
# directory, and runs scim2-tester (pinned in requirements.txt, installed from PyPI into a venv) against
# a new SCIM directory. Exits non-zero on any ERROR or CRITICAL check.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=".local/scim-compliance-venv"
if [[ ! -x "$venv/bin/python" ]] || ! cmp -s tools/scim-compliance/requirements.txt "$venv/requirements.txt"; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tools/scim-compliance/requirements.txt
  cp tools/scim-compliance/requirements.txt "$venv/requirements.txt"
fi

data=$(mktemp -d)
port=${SCIM_COMPLIANCE_PORT:-18180}
admin_key="mandate_admin_$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
PORT=$port MANDATE_DATA_DIR="$data" MANDATE_ADMIN_KEY="$admin_key" LOG_LEVEL=warn \
  node_modules/.bin/node dist/apps/standalone/src/main.js >"$data/mandate.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 300); do
  if curl -fs "http://127.0.0.1:$port/ready" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$server" 2>/dev/null; then cat "$data/mandate.log"; exit 1; fi
  sleep 0.2
done
"$venv/bin/python" tools/scim-compliance/check.py --mandate "http://127.0.0.1:$port" "$admin_key"
