#!/usr/bin/env bash
# Cold start of every Lambda binary: each one started 20 times against the
# local Runtime API (tests/runtime_api.rs), as Lambda starts it, with the
# template's variables on a moto table; the time from exec to its first
# `invocation/next` (init) and to its first response, beside the
# `hello-lambda` reference (tests/bench/hello_lambda.rs) built with the
# same profile.
#
#   bench/cold-start.sh               # the `lambda` profile, 20 runs each
#   PROFILE=release bench/cold-start.sh
#   RUNS=5 bench/cold-start.sh account planning
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/target-dir.sh
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=eu-west-3 AWS_EC2_METADATA_DISABLED=true
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The Lambda profile (Cargo.toml) for the functions and the reference alike.
PROFILE=${PROFILE:-lambda}
release="$target_dir/$PROFILE"
cargo build --profile "$PROFILE" --quiet -p functions --bins
cargo build --profile "$PROFILE" --quiet -p e2e --bin hello-lambda --bin cold-start

moto_port=$(free_port)
python3 tests/moto_serial.py -H 127.0.0.1 -p "$moto_port" >"$tmp/moto.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$moto_port/moto-api/data.json" && break; sleep 0.1; done
export EF_BENCH_MOTO_URL="http://127.0.0.1:$moto_port"

"$release/cold-start" "$release" "${RUNS:-20}" "$@"
