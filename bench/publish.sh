#!/usr/bin/env bash
# The web team's publishing (tests/bench/publish.rs): N actualités (5,000 by
# default) in the embedded store, the time from "Publier" to the new page
# served by the local portal (the site rebuilt and swapped in), then the
# files uploaded to a bucket on moto's S3 for a first publication, a
# one-item edit and one more item.
#
#   bench/publish.sh            # 5,000 actualités, 10 publications
#   bench/publish.sh 1000 5
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
cargo build --release --quiet -p e2e --bin publish-bench
start_moto
"$release/publish-bench" "${1:-5000}" "${2:-10}"
