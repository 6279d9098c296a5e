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

NAME=Load
# shellcheck source=bench/serve_demo.sh
. bench/serve_demo.sh
# One order by hand first: the cart must be valid, or every request is an error.
curl -sf -X POST "$BASE/api/orders" -H 'Content-Type: application/json' \
    -H "Idempotency-Key: bench-probe-$$" --data @"$WORK/order.json" >/dev/null

echo "bench: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" >&2
for workers in $WORKERS; do
    target/release/examples/loadgen "$BASE" "$WORK/order.json" "$workers" "$SECONDS_EACH"
done
echo "bench: $(du -h "$SITE/.carte/carte.db" | cut -f1) of orders in $SITE/.carte/carte.db" >&2
