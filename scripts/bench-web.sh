#!/usr/bin/env bash
# Dashboard under load: a store of ROWS reports (default 1,000,000), `gavah serve`
# on loopback, then wrk with 64 connections for DURATION seconds against the
# overview page and /api/v1/figures, and the overview's page weight with every
# asset, gzip as a browser asks for it. Bounded in time; stops by itself.
# Needs wrk (Debian package `wrk`). Figures go to docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-1000000}
DURATION=${DURATION:-15}
PORT=${PORT:-18181}
DIR=$(mktemp -d)
trap 'kill "${SERVER:-0}" 2>/dev/null || true; rm -rf "$DIR"' EXIT
cargo build --release --locked --quiet
BIN=target/release/gavah
"$BIN" --quiet bench --rows "$ROWS" --dir "$DIR" --keep --repeat 3 >/dev/null
"$BIN" --quiet --db "$DIR/bench.db" serve --addr "127.0.0.1:$PORT" > "$DIR/serve.out" &
SERVER=$!
for _ in $(seq 1 100); do grep -q serving "$DIR/serve.out" && break; sleep 0.1; done
echo "store: $ROWS reports; machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB; $(date -u +%F)"
for path in /en/ /api/v1/figures; do
  echo "== GET $path (64 connections, ${DURATION}s, 2 wrk threads)"
  wrk -t2 -c64 -d"${DURATION}s" --latency -H 'Accept-Encoding: gzip' "http://127.0.0.1:$PORT$path" \
    | grep -E 'Requests/sec|Latency|50%|99%|requests in'
done
echo "== page weight of /en/ with its assets, as transferred (gzip)"
total=0
for path in /en/ /assets/style.css /assets/app.js /assets/vazirmatn.woff2; do
  n=$(curl -s -H 'Accept-Encoding: gzip' -o /dev/null -w '%{size_download}' "http://127.0.0.1:$PORT$path")
  echo "  $path: $n bytes"
  total=$((total + n))
done
echo "  total: $total bytes"
