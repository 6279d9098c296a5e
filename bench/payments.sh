#!/usr/bin/env bash
# How fast `carte serve` applies payment notifications (embedded SQLite store).
#
#   bench/payments.sh                 1000 orders, 16 workers
#   N=2000 WORKERS=32 bench/payments.sh
#
# Builds the release binaries, serves a fresh copy of the demo restaurant (its shops
# opened around the clock) with Stripe set up (webhooks only: its API is never called),
# places N orders, has Stripe's npm library sign one checkout.session.completed per order
# (`npm ci` first), then runs examples/webhook_load.rs: every event delivered once (each
# appends one ledger entry, a durable commit), then all again (each a repeat that
# appends nothing).
#
# Environment: N (1000), WORKERS (16), BENCH_DIR (/tmp/carte-bench-payments).
set -euo pipefail

cd "$(dirname "$0")/.."
N=${N:-1000}
WORKERS=${WORKERS:-16}
WORK=${BENCH_DIR:-/tmp/carte-bench-payments}
SECRET=whsec_carte_bench

echo "bench: building release binaries" >&2
cargo build --release --bin carte --example webhook_load >&2

NAME=Bench
SERVE_ENV="STRIPE_SECRET_KEY=sk_test_carte_bench STRIPE_WEBHOOK_SECRET=$SECRET STRIPE_API_BASE=http://127.0.0.1:9"
# shellcheck source=bench/serve_demo.sh
. bench/serve_demo.sh

echo "bench: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" >&2
target/release/examples/webhook_load "$BASE" "$WORK/order.json" "$SECRET" "$N" "$WORKERS"
