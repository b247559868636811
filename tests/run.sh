#!/usr/bin/env bash
# The test command: installs what the tests need on a fresh machine, starts
# moto (DynamoDB + SES) and the local portal on free 127.0.0.1 ports, runs
# every check, then stops what it started.
#
#   tests/run.sh
#
# Checks, in order: cargo fmt --check, cargo clippy -D warnings, cargo test
# --workspace (store conformance on SQLite and on DynamoDB/moto, SES on moto,
# HTTP), cfn-lint on infra/template.yaml, and the browser smoke test
# (headless Chromium + axe-core against the running portal).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

step() { printf '\n==> %s\n' "$*"; }

# Never let the AWS SDK look for instance metadata; moto takes any key.
export AWS_EC2_METADATA_DISABLED=true
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=eu-west-3
export CARGO_TERM_COLOR=never

# ---------------------------------------------------------------- installs
step "Installation des outils de test"
if ! python3 -c 'import moto.server, flask, flask_cors, cfnlint' 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check 'moto[server]' cfn-lint
fi
pybin=$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')
if [ ! -x /usr/bin/chromium ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
if ! command -v pdftoppm >/dev/null; then
  # A real PDF reader for the invoices' PDFs (pdftotext, pdffonts, pdftoppm).
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq poppler-utils >/dev/null
fi
if ! command -v xmllint >/dev/null; then
  # Validates the SEPA direct debit file against the official XSD.
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq libxml2-utils >/dev/null
fi
# The official pain.008.001.02 XSD, as the PyPI package sepaxml ships it.
xsd_dir="$PWD/target/xsd"
if [ ! -f "$xsd_dir/pain.008.001.02.xsd" ]; then
  mkdir -p "$xsd_dir"
  python3 -m pip download --quiet --disable-pip-version-check --no-deps 'sepaxml==2.7.0' -d "$xsd_dir/wheel"
  python3 - "$xsd_dir" <<'PY'
import sys, zipfile, glob
out = sys.argv[1]
wheel = glob.glob(out + "/wheel/sepaxml-*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    data = z.read("sepaxml/schemas/pain.008.001.02.xsd")
open(out + "/pain.008.001.02.xsd", "wb").write(data)
PY
fi
export EF_TEST_PAIN008_XSD="$xsd_dir/pain.008.001.02.xsd"
if ! command -v java >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq default-jre-headless >/dev/null
fi
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
rustup component add rustfmt clippy >/dev/null 2>&1 || true

# ---------------------------------------------------------------- services
pids=()
tmp=$(mktemp -d)
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Waits until a URL answers, or fails naming the service and its log.
wait_for() {
  local name=$1 url=$2 log=$3
  for _ in $(seq 1 300); do
    if curl -fsS -o /dev/null "$url" 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "ERREUR : $name ne répond pas sur $url ; son journal :" >&2
  tail -n 30 "$log" >&2
  exit 1
}

step "Démarrage de moto (DynamoDB, SES)"
moto_port=$(free_port)
python3 tests/moto_serial.py -H 127.0.0.1 -p "$moto_port" >"$tmp/moto.log" 2>&1 &
pids+=($!)
export EF_TEST_MOTO_URL="http://127.0.0.1:$moto_port"
wait_for moto "$EF_TEST_MOTO_URL/moto-api/data.json" "$tmp/moto.log"

# ---------------------------------------------------------------- checks
step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "cargo test --workspace"
# Wherever cargo puts its builds (CARGO_TARGET_DIR, a config file): the
# binaries are found through cargo's own answer.
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
# The Lambda binaries, which the suite runs against its local Runtime API.
cargo build --workspace --bins --quiet
export EF_TEST_LAMBDA_DIR="$target_dir/debug"
cargo test --workspace 2>&1 | tee "$tmp/cargo-test.log"

step "cfn-lint infra/template.yaml"
"$pybin/cfn-lint" infra/template.yaml

step "Test navigateur (Chromium headless + axe-core)"
cargo run --quiet -p site --bin simulation-cases >"$tmp/simulation-cases.json"
export EF_SIMULATION_CASES="$tmp/simulation-cases.json"
portal_port=$(free_port)
EF_BIND="127.0.0.1:$portal_port" \
EF_SQLITE_PATH="$tmp/portal/portal.db" \
EF_OUTBOX_DIR="$tmp/portal/outbox" \
EF_SITE_DIR="$tmp/portal/site" \
  "$target_dir/debug/portal" >"$tmp/portal.log" 2>&1 &
pids+=($!)
export EF_TEST_PORTAL_URL="http://127.0.0.1:$portal_port"
export EF_TEST_OUTBOX="$tmp/portal/outbox"
wait_for "le portail local" "$EF_TEST_PORTAL_URL/sante" "$tmp/portal.log"
# The operator's commands, on the portal's database.
portal_cmd() {
  EF_BIND="127.0.0.1:$portal_port" EF_SQLITE_PATH="$tmp/portal/portal.db" \
    EF_OUTBOX_DIR="$tmp/portal/outbox" EF_SITE_DIR="$tmp/portal/site" \
    "$target_dir/debug/portal" "$@"
}
# The same commands for the browser tests (e.g. `paiements verifier`).
printf '#!/bin/sh\nEF_BIND=%s EF_SQLITE_PATH=%s EF_OUTBOX_DIR=%s EF_SITE_DIR=%s exec %s "$@"\n' \
  "127.0.0.1:$portal_port" "$tmp/portal/portal.db" "$tmp/portal/outbox" "$tmp/portal/site" \
  "$target_dir/debug/portal" >"$tmp/portal-cmd"
chmod +x "$tmp/portal-cmd"
export EF_TEST_PORTAL_CMD="$tmp/portal-cmd"
# An agent's invitation link: agent_link NAME EMAIL SERVICE.
agent_link() {
  portal_cmd agent add --name "$1" --email "$2" --service "$3" | grep -o 'http[^ ]*jeton=[A-Za-z0-9_-]*'
}
EF_TEST_AGENT_LINK=$(agent_link "Claire Martin" claire.martin@ville.example.org enfance)
EF_TEST_VALIDATOR_LINK=$(agent_link "Paul Durand" validation@ville.example.org enfance)
EF_TEST_PLANNER_LINK=$(agent_link "Inès Roux" planning@ville.example.org enfance)
# The billing journey: the régie's agent and an agent who points.
EF_TEST_REGIE_LINK=$(agent_link "Luc Bernard" regie@ville.example.org regie)
EF_TEST_POINTER_LINK=$(agent_link "Sarah Petit" pointage@ville.example.org enfance)
EF_TEST_INBOX_LINK=$(agent_link "Nadia Benali" messagerie.regie@ville.example.org regie)
# The web team (actualités and documents of the site).
EF_TEST_WEB_LINK=$(agent_link "Julie Moreau" web@ville.example.org communication)
export EF_TEST_AGENT_LINK EF_TEST_VALIDATOR_LINK EF_TEST_PLANNER_LINK EF_TEST_REGIE_LINK EF_TEST_POINTER_LINK EF_TEST_INBOX_LINK EF_TEST_WEB_LINK
# The example dossiers, imported as an operator would (the planning journey
# signs up as the Martin family), and last month's canteen for the Petit
# family (the billing journey).
portal_cmd import dossiers import/exemple-dossiers.csv >/dev/null
portal_cmd demo mois-passe --dossier D2022-0031 >/dev/null
EF_TEST_BILLED_MONTH=$(python3 -c 'import datetime as d; t=d.date.today().replace(day=1)-d.timedelta(days=1); print(t.strftime("%Y-%m"))')
export EF_TEST_BILLED_MONTH
# Every page the browser tests visit is kept for the Nu HTML Checker.
export EF_TEST_HTML_DIR="$tmp/visited"
mkdir -p "$EF_TEST_HTML_DIR"
(cd tests/browser && node --test) 2>&1 | tee "$tmp/browser.log"

step "Nu HTML Checker (vnu) : site statique et pages dynamiques"
mkdir -p "$tmp/dynamic"
for page in /compte/connexion /compte/inscription /compte/mot-de-passe-oublie /agents/connexion /sante-absente; do
  curl -s -o "$tmp/dynamic/$(echo "$page" | tr / _).html" "$EF_TEST_PORTAL_URL$page"
done
curl -s -o "$tmp/dynamic/_compte_connexion_refus.html" -X POST -d "identifiant=x" "$EF_TEST_PORTAL_URL/compte/connexion"
java -jar tests/browser/node_modules/vnu-jar/build/dist/vnu.jar --errors-only --skip-non-html \
  "$tmp/portal/site" "$tmp/dynamic" "$EF_TEST_HTML_DIR"
echo "vnu : aucune erreur"

# One closing line for the whole run (everything above stopped on failure).
rust=$(awk '/^test result:/ {n += $4} END {print n+0}' "$tmp/cargo-test.log")
browser=$(awk '/^# pass / {n += $3} END {print n+0}' "$tmp/browser.log")
step "Tous les tests sont passés : $rust en Rust, $browser dans le navigateur."
echo "total: $((rust + browser)) passed, 0 failed"
