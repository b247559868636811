#!/usr/bin/env bash
# Static site build time: the demo content, then the same 5,000 generated
# Markdown news items built by our builder and by Hugo (Debian package
# `hugo`) with a minimal theme of comparable output (a page per item, a list
# paginated by 10, an Atom/RSS feed, a home page with the latest three).
#
#   bench/site-vs-hugo.sh          # N=5000 items, 5 runs each, median
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
n=${N:-5000}
runs=${RUNS:-5}
command -v hugo >/dev/null || { echo "hugo manque : apt-get install hugo" >&2; exit 1; }
cargo build --release --quiet -p site --bin site-build

python3 - "$tmp" "$n" <<'PY'
import os, sys, datetime, random
root, n = sys.argv[1], int(sys.argv[2])
random.seed(1)
words = "cantine accueil mercredi vacances inscription famille école enfant repas menu tarif mairie service périscolaire loisirs".split()
ours = os.path.join(root, "content", "actualites"); os.makedirs(ours)
hugo = os.path.join(root, "hugo", "content", "actualites"); os.makedirs(hugo)
start = datetime.date(2010, 1, 1)
for i in range(n):
    d = start + datetime.timedelta(days=i)
    title = f"Actualité {i} : " + " ".join(random.choice(words) for _ in range(4))
    summary = " ".join(random.choice(words) for _ in range(18)) + "."
    body = "\n\n".join(" ".join(random.choice(words) for _ in range(60)) + "." for _ in range(4))
    body = f"## Informations\n\n{body}\n\n- point **important**\n- autre point\n"
    name = f"{d.isoformat()}-actualite-{i}.md"
    front = f'+++\ntitre = "{title}"\ndate = {d.isoformat()}\nresume = "{summary}"\n+++\n'
    open(os.path.join(ours, name), "w").write(front + body)
    # Hugo reads the same file with its own key names for title and date.
    open(os.path.join(hugo, name), "w").write(front.replace("titre =", "title =").replace("resume =", "summary =") + body)
PY

site="$tmp/hugo"
mkdir -p "$site/layouts/_default" "$site/static"
cat >"$site/hugo.toml" <<'TOML'
baseURL = "https://famille.example.org/"
languageCode = "fr"
title = "Espace Famille"
disableKinds = ["taxonomy", "term"]
[pagination]
pagerSize = 10
[outputs]
home = ["HTML"]
section = ["HTML", "RSS"]
TOML
cat >"$site/layouts/_default/baseof.html" <<'HTML'
<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{{ .Title }} — Espace Famille</title><link rel="stylesheet" href="/assets/portail.css"></head>
<body><a href="#contenu">Aller au contenu</a><header><a href="/">Espace Famille</a><nav><ul><li><a href="/">Accueil</a></li><li><a href="/actualites/">Actualités</a></li></ul></nav></header>
<main id="contenu"><h1>{{ .Title }}</h1>{{ block "main" . }}{{ end }}</main><footer><ul><li><a href="/accessibilite/">Accessibilité</a></li></ul></footer></body></html>
HTML
cat >"$site/layouts/_default/single.html" <<'HTML'
{{ define "main" }}<p>Publié le <time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2 January 2006" }}</time></p><p>{{ .Summary }}</p>{{ .Content }}<p><a href="/actualites/">Toutes les actualités</a></p>{{ end }}
HTML
cat >"$site/layouts/_default/list.html" <<'HTML'
{{ define "main" }}<ul>{{ range .Paginator.Pages }}<li><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2><p><time>{{ .Date.Format "2006-01-02" }}</time></p><p>{{ .Summary }}</p></li>{{ end }}</ul>
{{ with .Paginator }}<nav>{{ if .HasPrev }}<a href="{{ .Prev.URL }}">Page précédente</a>{{ end }} Page {{ .PageNumber }} sur {{ .TotalPages }} {{ if .HasNext }}<a href="{{ .Next.URL }}">Page suivante</a>{{ end }}</nav>{{ end }}{{ end }}
HTML
cat >"$site/layouts/index.html" <<'HTML'
{{ define "main" }}<ul>{{ range first 3 (where .Site.RegularPages "Section" "actualites") }}<li><h3><a href="{{ .RelPermalink }}">{{ .Title }}</a></h3></li>{{ end }}</ul>{{ end }}
HTML

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_runs() {
  for _ in $(seq 1 "$runs"); do
    local start end
    start=$(date +%s%N); "$@" >/dev/null; end=$(date +%s%N)
    echo $(( (end - start) / 1000000 ))
  done | median
}

demo=$(time_runs "$release"/site-build "$tmp/out-demo")
ours=$(time_runs "$release"/site-build "$tmp/out-ours" --content "$tmp/content")
theirs=$(time_runs hugo --quiet --source "$site" --destination "$tmp/out-hugo" --cleanDestinationDir)
pages_ours=$(find "$tmp/out-ours" -name '*.html' | wc -l)
pages_hugo=$(find "$tmp/out-hugo" -name '*.html' | wc -l)
echo "demo content: ${demo} ms (median of $runs)"
echo "$n items, ours: ${ours} ms, $pages_ours HTML files"
echo "$n items, hugo $(hugo version | awk '{print $2}'): ${theirs} ms, $pages_hugo HTML files"
awk -v a="$theirs" -v b="$ours" 'BEGIN { printf "ratio hugo / ours: %.2f\n", a / b }'
