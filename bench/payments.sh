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

rm -rf "$WORK"
mkdir -p "$WORK/site"
SITE="$WORK/site"
tar -C site-content --exclude=./.carte --exclude=./public -cf - . | tar -C "$SITE" -xf -
for location in "$SITE"/locations/*.yaml; do
    awk '
        /^hours:/ { print "hours:\n  - days: daily\n    hours: [\"00:00-24:00\"]"; skip = 1; next }
        skip && /^[ -]/ { next }
        { skip = 0; print }
    ' "$location" >"$location.new"
    mv "$location.new" "$location"
done

STRIPE_SECRET_KEY=sk_test_carte_bench STRIPE_WEBHOOK_SECRET=$SECRET STRIPE_API_BASE=http://127.0.0.1:9 \
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
 "name": "Bench"}
JSON

echo "bench: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" >&2
target/release/examples/webhook_load "$BASE" "$WORK/order.json" "$SECRET" "$N" "$WORKERS"
