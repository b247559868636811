#!/usr/bin/env bash
# Import of 20,000 dossiers with 35,000 children (generated), timed with peak
# memory, on the embedded store and on DynamoDB (moto, far slower than the
# real service: every transaction is an HTTP round trip to a Python server).
#
#   bench/import.sh               # DOSSIERS=20000 CHILDREN=35000
#   SKIP_MOTO=1 bench/import.sh   # the embedded store only
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
dossiers=${DOSSIERS:-20000}
children=${CHILDREN:-35000}
cargo build --release --quiet --bin portal

python3 - "$tmp/dossiers.csv" "$dossiers" "$children" <<'PY'
import sys, random
path, n, kids = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
random.seed(7)
names = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Lefèvre", "Nguyen"]
first = ["Léa", "Hugo", "Emma", "Louis", "Jade", "Gabriel", "Chloé", "Noé", "Inès", "Jules", "Zoé", "Adam"]
header = ["numero_dossier", "responsable1_nom", "responsable1_prenom", "responsable1_courriel", "adresse", "quotient_familial", "date_qf", "factures"]
for i in range(1, 4):
    header += [f"enfant{i}_{c}" for c in ["nom", "prenom", "naissance", "ecole", "classe", "regime", "pai"]]
# Spread the children: every dossier has one, some two or three.
counts = [1] * n
extra = kids - n
i = 0
while extra > 0:
    if counts[i % n] < 3:
        counts[i % n] += 1
        extra -= 1
    i += 7
with open(path, "w", encoding="utf-8") as f:
    f.write(";".join(header) + "\n")
    for d in range(n):
        nom = random.choice(names)
        row = [f"D{d:06d}", nom, random.choice(first), f"famille{d}@example.org", f"{d % 200} rue des Tilleuls", str(random.randint(300, 2500)), "01/09/2026", f"F2026-10-{d:06d}"]
        for c in range(3):
            if c < counts[d]:
                row += [nom, first[(d + c) % len(first)] + str(c), f"{1 + c}/0{1 + (d % 9)}/201{5 + c}", "École Jean-Jaurès", "CE1", "", "non"]
            else:
                row += [""] * 7
        f.write(";".join(row) + "\n")
PY

run() {
  local label=$1; shift
  /usr/bin/time -f "%e s, peak memory %M KiB" -o "$tmp/time" env "$@" "$release"/portal import dossiers "$tmp/dossiers.csv" >"$tmp/out" 2>&1
  echo "$label: $(tail -1 "$tmp/out") — $(cat "$tmp/time")"
}

run "embedded store (SQLite)" EF_SQLITE_PATH="$tmp/portal.db"

if [ -z "${SKIP_MOTO:-}" ]; then
  pybin=$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$pybin/moto_server" -H 127.0.0.1 -p "$port" >"$tmp/moto.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$port/moto-api/data.json" && break; sleep 0.2; done
  AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test python3 - "$port" <<'PY'
import boto3, sys
c = boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}", region_name="eu-west-3")
s = lambda n: {"AttributeName": n, "AttributeType": "S"}
c.create_table(TableName="portail", BillingMode="PAY_PER_REQUEST",
  AttributeDefinitions=[s("pk"), s("sk"), s("gsi1pk"), s("gsi1sk")],
  KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
  GlobalSecondaryIndexes=[{"IndexName": "GSI1", "KeySchema": [{"AttributeName": "gsi1pk", "KeyType": "HASH"}, {"AttributeName": "gsi1sk", "KeyType": "RANGE"}], "Projection": {"ProjectionType": "ALL"}}])
PY
  run "DynamoDB on moto" EF_STORE=dynamodb EF_DYNAMODB_TABLE=portail EF_DYNAMODB_ENDPOINT="http://127.0.0.1:$port" \
    AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_EC2_METADATA_DISABLED=true
fi
