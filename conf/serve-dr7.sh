#!/usr/bin/env bash
# `make serve-dr7`: the DASCH-DR7-shaped demo (mosaics in a bucket, DASCH's plates table
# in DynamoDB) on a moto server of its own, on a free port of 127.0.0.1, ingested and
# served like `make serve`. moto keeps everything in memory: the archive is written
# anew at each start, and the server and moto stop together.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
mkdir -p var
port=$("$BIN/python" -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
"$BIN/python" -m moto.server -H 127.0.0.1 -p "$port" > var/moto-dr7.log 2>&1 &
moto=$!
trap 'kill "$moto" 2>/dev/null || true' EXIT INT TERM
endpoint="http://127.0.0.1:$port"
for _ in $(seq 100); do
  "$BIN/python" -c "import urllib.request; urllib.request.urlopen('$endpoint/moto-api/', timeout=1)" 2>/dev/null && break
  sleep 0.2
done
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-demo}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-demo}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export PLATECUT_ARCHIVE_LAYOUT=dasch-dr7
export PLATECUT_ARCHIVE_ROOT="${PLATECUT_ARCHIVE_ROOT:-s3://dasch-prod-user}"
export PLATECUT_STORAGE_S3_ENDPOINT_URL="$endpoint" PLATECUT_CATALOG_DYNAMODB_ENDPOINT_URL="$endpoint"
export PLATECUT_CATALOG_SQLITE_PATH="${PLATECUT_CATALOG_SQLITE_PATH:-var/dr7-catalog.sqlite}"
export PLATECUT_CACHE_DIR="${PLATECUT_CACHE_DIR:-var/dr7-cache}"
"$BIN/platecut" demo-archive
"$BIN/platecut" ingest --force
"$BIN/gunicorn" -c conf/gunicorn.conf.py 'service.app:create_app()' &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; kill "$moto" 2>/dev/null || true' EXIT INT TERM
wait "$server"
