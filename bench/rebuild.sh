#!/usr/bin/env bash
# Edit-to-reload latency of `carte serve`: the time from saving a one-dish price
# edit to the `reload` event on /__carte/events, as an open page hears it.
#
#   bench/rebuild.sh                  medium synthetic site, 10 edits
#   EDITS=20 SCALE=large bench/rebuild.sh
#   SITE=site-content bench/rebuild.sh   (a copy of an existing site instead)
#
# Builds the release binaries, writes the synthetic site of examples/synth.rs
# (medium: 1,280 dishes, 2,605 HTML pages), serves it, subscribes to the event
# stream, then EDITS times: rewrites one dish price in a menu file, waits for
# `reload`, and pauses 300 ms. Prints every latency and the median, and the
# server's own "Rebuilt in N ms" lines (build time without the 10 ms debounce
# and the file-watch delay).
#
# Environment: EDITS (10), SCALE (medium), SITE (unset: synthesize),
# BENCH_DIR (/tmp/carte-bench-rebuild).
set -euo pipefail

cd "$(dirname "$0")/.."
EDITS=${EDITS:-10}
SCALE=${SCALE:-medium}
WORK=${BENCH_DIR:-/tmp/carte-bench-rebuild}

echo "bench: building release binaries" >&2
cargo build --release --bin carte --example synth >&2

rm -rf "$WORK"
mkdir -p "$WORK"
if [ -n "${SITE:-}" ]; then
    mkdir -p "$WORK/site"
    tar -C "$SITE" --exclude=./.carte --exclude=./public -cf - . | tar -C "$WORK/site" -xf -
else
    target/release/examples/synth --scale "$SCALE" "$WORK/site" >&2
fi
SITE_DIR="$WORK/site"

target/release/carte serve "$SITE_DIR" --port 0 >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 1200); do
    BASE=$(grep -o 'http://[0-9.:]*' "$WORK/serve.out" || true)
    [ -n "$BASE" ] && curl -sf "$BASE/api/health" >/dev/null && break
    sleep 0.05
done
[ -n "${BASE:-}" ] || { cat "$WORK/serve.err" >&2; exit 1; }
head -1 "$WORK/serve.out" >&2
echo "bench: $(find "$SITE_DIR/.carte/serve" -name '*.html' | wc -l) HTML pages served" >&2

python3 - "$BASE" "$SITE_DIR" "$EDITS" <<'PY'
import http.client, pathlib, re, statistics, sys, time, urllib.parse

base, site, edits = sys.argv[1], pathlib.Path(sys.argv[2]), int(sys.argv[3])
url = urllib.parse.urlparse(base)
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
conn.request("GET", "/__carte/events", headers={"Accept": "text/event-stream"})
events = conn.getresponse()
assert events.status == 200, events.status

menu = sorted((site / "menus").glob("*.yaml"))[0]
text = menu.read_text()
# The first dish price written as a block line: `price: "12.50"`.
found = re.search(r'^(\s+price: )"([0-9]+(?:\.[0-9]+)?)"$', text, re.M)
assert found, f"no dish price in {menu}"
start, end = found.span(2)
old = found.group(2)
variants = [f"{float(old) + 1:.2f}", old]

def wait_for(name):
    while True:
        line = events.readline()
        if not line:
            sys.exit("the event stream ended")
        line = line.decode().rstrip("\r\n")
        if line == f"event: {name}":
            return
        if line == "event: content-error":
            sys.exit("the edit made a content error")

latencies = []
for i in range(edits):
    new_text = text[:start] + variants[i % 2] + text[end:]
    sent = time.perf_counter()
    menu.write_text(new_text)
    wait_for("reload")
    latencies.append((time.perf_counter() - sent) * 1e3)
    time.sleep(0.3)

print(f"edit -> reload on {menu.relative_to(site)} ({edits} edits): "
      + ", ".join(f"{l:.0f}" for l in latencies) + " ms")
print(f"median {statistics.median(latencies):.0f} ms, min {min(latencies):.0f} ms, max {max(latencies):.0f} ms")
PY
echo "server: $(grep 'Rebuilt in' "$WORK/serve.out" | sed 's/Rebuilt in \([0-9]*\) ms.*/\1/' | tr '\n' ' ')ms" >&2
