#!/usr/bin/env bash
# Benchmarks of the accounts pages on the local portal (release build):
# login POST requests/s (bounded by argon2id) and "Mon espace famille" GET
# requests/s and latency. Needs wrk (apt-get install wrk).
#
#   bench/accounts.sh            # 30 s per run, 64 connections
#   DURATION=10s bench/accounts.sh
#   SEQUENTIAL=1 bench/accounts.sh   # also times 20 logins one after another
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
duration=${DURATION:-30s}
connections=${CONNECTIONS:-64}

cargo build --profile "${PROFILE:-release}" --quiet --bin portal
port=$(free_port)
base="http://127.0.0.1:$port"
EF_BIND="127.0.0.1:$port" EF_SQLITE_PATH="$tmp/portal.db" EF_OUTBOX_DIR="$tmp/outbox" \
  EF_SITE_DIR="$tmp/site" EF_PUBLIC_URL="$base" RUST_LOG=warn \
  "$release"/portal >"$tmp/portal.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -fs -o /dev/null "$base/sante" && break; sleep 0.1; done

jar="$tmp/cookies"
csrf() { curl -fs -b "$jar" -c "$jar" "$base$1" | grep -o 'name="_csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//'; }
post() { local path=$1; shift; curl -fs -o /dev/null -b "$jar" -c "$jar" -X POST "$base$path" "$@"; }

# A family account on the demo dossier, through the real sign-up.
pw='Grenadine-tulipe-42-velo'
t=$(csrf /compte/inscription)
post /compte/inscription/etape-1 --data-urlencode "_csrf=$t" -d nom=Bench -d prenom=Marc \
  -d courriel=bench@example.org -d courriel_confirmation=bench@example.org -d identifiant=bench \
  --data-urlencode "mot_de_passe=$pw" --data-urlencode "mot_de_passe_confirmation=$pw"
post /compte/inscription/etape-2 --data-urlencode "_csrf=$t" -d action=verifier -d numero=D2026-0142 \
  -d responsable=Lefevre -d chiffres=587
post /compte/inscription/etape-3 --data-urlencode "_csrf=$t" -d cgu=1 -d reglement=1
post /compte/inscription/etape-4 --data-urlencode "_csrf=$t" -d action=valider
link=$(cat "$tmp"/outbox/*.eml | sed -e ':a' -e '/=\r$/N; s/=\r\n//; ta' | sed 's/=3D/=/g' \
  | grep -o "$base/compte/activation?jeton=[A-Za-z0-9_-]*" | head -1)
curl -fs -o /dev/null -b "$jar" -c "$jar" "$link"

visitor=$(awk '$6=="ef_visiteur" {print $7}' "$jar")
session=$(awk '$6=="ef_session" {print $7}' "$jar")
token=$(csrf /compte/connexion)

cat >"$tmp/login.lua" <<LUA
wrk.method = "POST"
wrk.body = "_csrf=$token&identifiant=bench&mot_de_passe=$pw"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "ef_visiteur=$visitor"
LUA

echo "== POST /compte/connexion (argon2id verify per request), $connections connections, $duration"
wrk -t2 -c"$connections" -d"$duration" --latency -s "$tmp/login.lua" "$base/compte/connexion"
if [ -n "${SEQUENTIAL:-}" ]; then
  time (for _ in $(seq 1 20); do curl -fs -o /dev/null -b "ef_visiteur=$visitor" -d "_csrf=$token&identifiant=bench&mot_de_passe=$pw" "$base/compte/connexion"; done)
fi
echo
echo "== GET /compte (Mon espace famille, signed in), $connections connections, $duration"
wrk -t2 -c"$connections" -d"$duration" --latency -H "Cookie: ef_session=$session; ef_visiteur=$visitor" "$base/compte"
