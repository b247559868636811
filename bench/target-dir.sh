# Sourced by the bench scripts: cargo's target directory, wherever cargo
# puts its builds (CARGO_TARGET_DIR, a config file), as `cargo metadata`
# gives it.
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
# PROFILE=profiling: the build with symbols (perf, flame graphs).
release="$target_dir/${PROFILE:-release}"
