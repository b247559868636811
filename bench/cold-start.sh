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
. bench/common.sh

# The Lambda profile (Cargo.toml) for the functions and the reference alike.
PROFILE=${PROFILE:-lambda}
release="$target_dir/$PROFILE"
cargo build --profile "$PROFILE" --quiet -p functions --bins
cargo build --profile "$PROFILE" --quiet -p e2e --bin hello-lambda --bin cold-start

start_moto

"$release/cold-start" "$release" "${RUNS:-20}" "$@"
