#!/usr/bin/env bash
# Planning benchmarks: server time of a month saved for two children and of
# the daily counts of 1,500 children (shared/benches/planning.rs, SQLite and,
# for the saves, DynamoDB on moto), then the planning page of a family of
# three children on the local portal with wrk.
#
#   bench/planning.sh                 # everything (needs moto_server, wrk, nginx)
#   SKIP_MOTO=1 bench/planning.sh
#   PAGES_ONLY=1 bench/planning.sh    # only the pages beside nginx (no cargo bench)
#   DURATION=8s                       # wrk's duration per row
#   HOLD=1                            # set up, print the page's URL and cookie, keep serving (perf)
#   BASELINE=path/to/portal           # also an earlier build of the portal, on the same database, row by row
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh

if [ -z "${SKIP_MOTO:-}${PAGES_ONLY:-}" ]; then
  start_moto
fi
[ -n "${PAGES_ONLY:-}" ] || cargo bench -p shared --bench planning

# The page: a family of three children (an imported dossier), each
# registered to the canteen and validated, a month reserved.
cargo build --profile "${PROFILE:-release}" --quiet --bin portal
port=$(free_port)
base="http://127.0.0.1:$port"
env_vars=(EF_BIND="127.0.0.1:$port" EF_SQLITE_PATH="$tmp/portal.db" EF_OUTBOX_DIR="$tmp/outbox"
  EF_FILES_DIR="$tmp/files" EF_SITE_DIR="$tmp/site" EF_PUBLIC_URL="$base" RUST_LOG=warn)
cat >"$tmp/dossier.csv" <<'CSV'
numero_dossier;responsable1_nom;responsable1_prenom;adresse;quotient_familial;factures;enfant1_nom;enfant1_prenom;enfant1_naissance;enfant1_classe;enfant2_nom;enfant2_prenom;enfant2_naissance;enfant2_classe;enfant3_nom;enfant3_prenom;enfant3_naissance;enfant3_classe
D2026-0999;Banc;Marc;1 rue des Tilleuls;845;F2026-10-000999;Banc;Ana;10/01/2016;CM2;Banc;Bo;10/01/2018;CE2;Banc;Cy;10/01/2020;CP
CSV
env "${env_vars[@]}" "$release"/portal import dossiers "$tmp/dossier.csv" >/dev/null
env "${env_vars[@]}" "$release"/portal >"$tmp/portal.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -fs -o /dev/null "$base/sante" && break; sleep 0.1; done
agent_link=$(env "${env_vars[@]}" "$release"/portal agent add --name "Banc Agent" --email banc@ville.example.org --service enfance \
  | grep -o 'http[^ ]*jeton=[A-Za-z0-9_-]*')

fam="$tmp/family" ag="$tmp/agent"
csrf() { curl -fs -b "$1" -c "$1" "$base$2" | grep -o 'name="_csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//'; }
post() { local jar=$1 path=$2; shift 2; curl -s -o "$tmp/last.html" -w '%{http_code}' -b "$jar" -c "$jar" -X POST "$base$path" "$@"; }

pw='Grenadine-tulipe-42-velo'
t=$(csrf "$fam" /compte/inscription)
post "$fam" /compte/inscription/etape-1 --data-urlencode "_csrf=$t" -d nom=Banc -d prenom=Marc \
  -d courriel=banc@example.org -d courriel_confirmation=banc@example.org -d identifiant=banc \
  --data-urlencode "mot_de_passe=$pw" --data-urlencode "mot_de_passe_confirmation=$pw" >/dev/null
post "$fam" /compte/inscription/etape-2 --data-urlencode "_csrf=$t" -d action=verifier -d numero=D2026-0999 \
  -d responsable=Banc -d chiffres=999 >/dev/null
post "$fam" /compte/inscription/etape-3 --data-urlencode "_csrf=$t" -d cgu=1 -d reglement=1 >/dev/null
post "$fam" /compte/inscription/etape-4 --data-urlencode "_csrf=$t" -d action=valider >/dev/null
link=$(cat "$tmp"/outbox/*.eml | sed -e ':a' -e '/=\r$/N; s/=\r\n//; ta' | sed 's/=3D/=/g' \
  | grep -o "$base/compte/activation?jeton=[A-Za-z0-9_-]*" | head -1)
curl -fs -o /dev/null -b "$fam" -c "$fam" "$link"

# Registrations: the first one with the attestation, the others hold it.
printf '%%PDF-1.4 attestation\n' >"$tmp/attestation.pdf"
children=$(curl -fs -b "$fam" "$base/inscriptions/nouvelle" | grep -o 'name="enfant" value="[^"]*"' | sed 's/.*value="//; s/"$//')
first=1
for c in $children; do
  t=$(csrf "$fam" "/inscriptions/nouvelle?enfant=$c&activite=restauration")
  start=$(curl -fs -b "$fam" "$base/inscriptions/nouvelle?enfant=$c&activite=restauration" | grep -o 'name="debut" type="date" value="[^"]*"' | sed 's/.*value="//; s/"$//')
  files=()
  if [ $first = 1 ]; then files=(-F "piece_1=@$tmp/attestation.pdf"); first=0; fi
  code=$(post "$fam" /inscriptions/nouvelle -F "_csrf=$t" -F "enfant=$c" -F activite=restauration -F "debut=$start" \
    -F jours=lundi -F jours=mardi -F jours=jeudi -F jours=vendredi "${files[@]}")
  [ "$code" = 303 ] || { echo "inscription refusée ($code)"; exit 1; }
done

# The agent validates them.
t=$(csrf "$ag" "$(echo "$agent_link" | sed "s#^http://[^/]*##")")
jeton=${agent_link##*jeton=}
post "$ag" /agents/mot-de-passe --data-urlencode "_csrf=$t" -d "jeton=$jeton" \
  --data-urlencode "mot_de_passe=$pw" --data-urlencode "mot_de_passe_confirmation=$pw" >/dev/null
t=$(csrf "$ag" /agents/connexion)
post "$ag" /agents/connexion --data-urlencode "_csrf=$t" -d identifiant=banc@ville.example.org --data-urlencode "mot_de_passe=$pw" >/dev/null
for path in $(curl -fs -b "$ag" "$base/agents/inscriptions" | grep -o 'href="/agents/inscriptions/[^"]*"' | sed 's/href="//; s/"$//' | sort -u); do
  page=$(curl -fs -b "$ag" -c "$ag" "$base$path")
  t=$(echo "$page" | grep -o 'name="_csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')
  v=$(echo "$page" | grep -o 'name="version" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')
  post "$ag" "$path/decision" --data-urlencode "_csrf=$t" -d "version=$v" -d decision=valider >/dev/null
done

# January 2027 reserved for the three.
month=2027-01-01
edit=$(curl -fs -b "$fam" "$base/planning?vue=mois&date=$month&modifier=1")
args=(--data-urlencode "_csrf=$(echo "$edit" | grep -o 'name="_csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')" -d vue=mois -d "date=$month")
for v in $(echo "$edit" | grep -o 'name="v" value="[^"]*"' | sed 's/.*value="//; s/"$//'); do args+=(--data-urlencode "v=$v"); done
for c in $(echo "$edit" | grep -o 'name="c" value="[^"]*"' | sed 's/.*value="//; s/"$//'); do args+=(--data-urlencode "c=$c"); done
code=$(post "$fam" /planning "${args[@]}")
[ "$code" = 303 ] || { echo "planning refusé ($code)"; exit 1; }
reserved=$(curl -fs -b "$fam" "$base/planning?vue=mois&date=$month" | grep -o 'Repas, [^<]* : réservé<' | wc -l)
echo "planning: $reserved cells reserved for 3 children in January 2027"

cookie=$(awk '$6 == "ef_session" {print "ef_session=" $7}' "$fam")
planning="$base/planning?vue=mois&date=$month"

# Side by side, in one run: each page from the portal, then the same bytes
# as a static file from nginx (Debian's package), at 1, 8 and 64
# connections (wrk, 2 threads, DURATION each).
mkdir -p "$tmp/static/compte"
curl -fs -H "Cookie: $cookie" "$planning" >"$tmp/static/planning.html"
echo "planning page: $(wc -c <"$tmp/static/planning.html") bytes"
curl -fs "$base/" >"$tmp/static/index.html"
curl -fs "$base/compte/connexion" >"$tmp/static/compte/connexion.html"
nginx_port=$(free_port)
cat >"$tmp/nginx.conf" <<NGINX
worker_processes auto;
daemon off;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  keepalive_requests 1000000;
  types { text/html html; }
  server { listen 127.0.0.1:$nginx_port; root $tmp/static; }
}
NGINX
nginx -c "$tmp/nginx.conf" &
pids+=($!)
for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$nginx_port/index.html" && break; sleep 0.1; done
nginx_url="http://127.0.0.1:$nginx_port"
if [ -n "${HOLD:-}" ]; then
  echo "portal: $planning"; echo "cookie: $cookie"; echo "nginx: $nginx_url/planning.html"
  wait
fi

# One row: requests/s, p50 and p99 of wrk's latency distribution.
row() {
  local label=$1 connections=$2; shift 2
  local threads=2; [ "$connections" -lt 2 ] && threads=1
  local out; out=$(wrk -t$threads -c"$connections" -d"${DURATION:-8s}" --latency "$@")
  local rps p50 p99
  rps=$(echo "$out" | awk '/^Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  echo "| $label | $connections | $rps | $p50 | $p99 |"
}
echo "| page | connections | requests/s | p50 | p99 |"
echo "|---|---|---|---|---|"
# An earlier build, on the same database (SQLite lets both open it), so
# that before and after are measured in one run.
if [ -n "${BASELINE:-}" ]; then
  baseline_port=$(free_port)
  env "${env_vars[@]}" EF_BIND="127.0.0.1:$baseline_port" "$BASELINE" >"$tmp/baseline.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$baseline_port/sante" && break; sleep 0.1; done
fi
for c in 1 8 64; do
  row "/planning month, 3 children (portal)" $c -H "Cookie: $cookie" "$planning"
  if [ -n "${BASELINE:-}" ]; then
    row "the same page (baseline build)" $c -H "Cookie: $cookie" "${planning/:$port/:$baseline_port}"
  fi
  row "the same bytes (nginx)" $c "$nginx_url/planning.html"
done
for c in 1 8 64; do
  row "/ home, static (portal)" $c "$base/"
  row "/compte/connexion login (portal)" $c "$base/compte/connexion"
  row "home, the same bytes (nginx)" $c "$nginx_url/index.html"
done
