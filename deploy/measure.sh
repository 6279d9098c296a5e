#!/usr/bin/env bash
# Builds the seven function binaries with cargo-lambda (profile release-small) for arm64
# (into target/lambda, where deploy/template.yaml's CodeUri points) and x86_64 (into
# target/lambda-x86_64), prints each binary's and zip's size, then measures cold init
# (spawn to the first Runtime API `next` call) of the x86_64 builds against the Runtime
# API emulator of functions/tests/lambda_runtime.rs. Figures go to BENCHMARKS.md "Lambda".
# Needs: pip install cargo-lambda; rustup target add aarch64-unknown-linux-gnu
# The functions are built without the crate's default features (`sqlite`, `aws-config`):
# no bundled SQLite, no SSO/STS credential chain, one TLS stack (rustls on ring).
set -euo pipefail
cd "$(dirname "$0")/.."
bins=(-p functions --no-default-features --bin quote --bin orders --bin members --bin staff --bin marketing --bin payments)
# Passkeys in a command of their own: the feature (WebAuthn, OpenSSL) reaches no other binary.
passkeys=(-p functions --no-default-features --features passkeys --bin passkeys)
runs="${RUNS:-5}"

for set in bins passkeys; do
  declare -n args=$set
  cargo lambda build --profile release-small --arm64 "${args[@]}"
  cargo lambda build --profile release-small --x86-64 "${args[@]}" --lambda-dir target/lambda-x86_64
done

zipped() {
  python3 - "$1" <<'PY'
import io, sys, zipfile
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    info = zipfile.ZipInfo("bootstrap")
    info.external_attr = 0o755 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    z.writestr(info, open(sys.argv[1], "rb").read())
print(len(buf.getvalue()))
PY
}

printf '%-8s %-8s %12s %12s\n' function arch binary zip
for dir in target/lambda target/lambda-x86_64; do
  arch=arm64; [ "$dir" = target/lambda-x86_64 ] && arch=x86_64
  for name in quote orders members passkeys staff marketing payments; do
    bin="$dir/$name/bootstrap"
    printf '%-8s %-8s %12s %12s\n' "$name" "$arch" "$(stat -c %s "$bin")" "$(zipped "$bin")"
  done
done

echo
echo "cold init of the x86_64 builds, $runs runs (ms, spawn to first next):"
for _ in $(seq "$runs"); do
  CARTE_LAMBDA_BIN_DIR="$PWD/target/lambda-x86_64" cargo test -q -p functions --test lambda_runtime \
    -- --nocapture --test-threads 1 every_binary orders_binary 2>&1 | grep -E 'init|first invocation'
done
