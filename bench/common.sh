# Sourced by the bench scripts (after `cd` to the repository): cargo's
# target directory wherever cargo puts its builds (CARGO_TARGET_DIR, a
# config file), as `cargo metadata` gives it; test credentials for moto; a
# temporary folder and the processes to stop at exit; free ports; moto.
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
# PROFILE=profiling: the build with symbols (perf, flame graphs).
release="$target_dir/${PROFILE:-release}"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=eu-west-3 AWS_EC2_METADATA_DISABLED=true
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Starts moto (one request at a time, as the tests run it) on a free port
# and exports its address as EF_BENCH_MOTO_URL.
start_moto() {
  local port; port=$(free_port)
  python3 tests/moto_serial.py -H 127.0.0.1 -p "$port" >"$tmp/moto.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$port/moto-api/data.json" && break; sleep 0.1; done
  export EF_BENCH_MOTO_URL="http://127.0.0.1:$port"
}
