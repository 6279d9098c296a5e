# Sourced by the API benchmarks (bench/api.sh, bench/payments.sh): serves a fresh copy of
# the demo restaurant, its shops opened around the clock, with the release `carte`, and
# writes the order the benchmarks place. Needs WORK (a scratch folder) and NAME (the
# order's name); sets SITE, SERVER, BASE and VERSION, writes "$WORK/order.json", and
# stops the server on exit. Extra environment for `carte serve` goes in SERVE_ENV.

rm -rf "$WORK"
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

env ${SERVE_ENV:-} target/release/carte serve "$SITE" --port 0 >"$WORK/serve.out" 2>"$WORK/serve.err" &
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
 "name": "$NAME"}
JSON
