#!/usr/bin/env bash
# Throughput and latency of the ordering API under `carte serve` (embedded SQLite store).
#
#   bench/api.sh                      32 and 64 workers, 10 s each
#   WORKERS="8 32 64" SECONDS_EACH=20 bench/api.sh
#
# Builds the release binaries, serves a fresh copy of the demo restaurant (its
# shops opened around the clock, so the result does not depend on the hour) on
# a free loopback port, and runs examples/loadgen.rs against POST /api/orders
# with a dine-in cart: 2 × dan dan noodles (required spice level, one add-on)
# at table 7 of Chunxi Road. Every request is a new order (fresh
# Idempotency-Key), so every one is a durable SQLite commit.
#
# Environment: WORKERS ("32 64"), SECONDS_EACH (10), BENCH_DIR (/tmp/carte-bench-api).
set -euo pipefail

cd "$(dirname "$0")/.."
WORKERS=${WORKERS:-"32 64"}
SECONDS_EACH=${SECONDS_EACH:-10}
WORK=${BENCH_DIR:-/tmp/carte-bench-api}

echo "bench: building release binaries" >&2
cargo build --release --bin carte --example loadgen >&2

rm -rf "$WORK"
mkdir -p "$WORK"
SITE="$WORK/site"
mkdir -p "$SITE"
# A copy of the demo without its build output or store.
tar -C site-content --exclude=./.carte --exclude=./public -cf - . | tar -C "$SITE" -xf -
for location in "$SITE"/locations/*.yaml; do
    awk '
        /^hours:/ { print "hours:\n  - days: daily\n    hours: [\"00:00-24:00\"]"; skip = 1; next }
        skip && /^[ -]/ { next }
        { skip = 0; print }
    ' "$location" >"$location.new"
    mv "$location.new" "$location"
done

target/release/carte serve "$SITE" --port 0 >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do
    BASE=$(grep -o 'http://[0-9.:]*' "$WORK/serve.out" || true)
    [ -n "$BASE" ] && curl -sf "$BASE/api/health" >/dev/null && break
    sleep 0.05
done
[ -n "${BASE:-}" ] || { cat "$WORK/serve.err" >&2; exit 1; }
VERSION=$(curl -sf "$BASE/api/health" | sed 's/.*"version":"\([^"]*\)".*/\1/')

cat >"$WORK/order.json" <<JSON
{"version": "$VERSION",
 "cart": {"location": "chunxi",
          "fulfilment": {"mode": "dine_in", "table": "7"},
          "lines": [{"dish": "dan-dan-noodles", "quantity": 2,
                     "options": [{"group": "spice", "choices": ["mild"]},
                                 {"group": "add-ons", "choices": ["fried-egg"]}]}]},
 "name": "Load"}
JSON
# One order by hand first: the cart must be valid, or every request is an error.
curl -sf -X POST "$BASE/api/orders" -H 'Content-Type: application/json' \
    -H "Idempotency-Key: bench-probe-$$" --data @"$WORK/order.json" >/dev/null

echo "bench: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" >&2
for workers in $WORKERS; do
    target/release/examples/loadgen "$BASE" "$WORK/order.json" "$workers" "$SECONDS_EACH"
done
echo "bench: $(du -h "$SITE/.carte/carte.db" | cut -f1) of orders in $SITE/.carte/carte.db" >&2
