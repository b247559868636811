//! The web team's publishing, measured (issue #17): with N actualités in
//! the embedded store (5,000 by default), the time from "Publier" (the
//! change committed, the local site rebuilt and swapped in) to the new
//! page served by the local portal; then, with moto's S3 at
//! `EF_BENCH_MOTO_URL`, the files uploaded by the `site` function's
//! upload-by-hash for a first publication, a one-item edit and a new item.
//!
//!   bench/publish.sh            # 5,000 actualités, 10 publications
//!   bench/publish.sh 1000 5

shared::allocator!();

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{Duration, NaiveDate, Utc};
use shared::App;
use shared::access::AgentAccess;
use shared::accounts::{Account, Kind, Service, Status};
use shared::clock::SystemClock;
use shared::config::Config;
use shared::publishing::rules::{CheckedNews, Choice};
use shared::publishing::{self, ImageChange, News, Seed, Status as NewsStatus};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;
use tower::ServiceExt;

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median_max(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[v.len() - 1])
}

fn checked(title: &str, body: &str) -> CheckedNews {
    CheckedNews {
        titre: title.into(),
        date: NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(),
        resume: "Une nouvelle publiée pour la mesure.".into(),
        corps: body.into(),
        image_alt: None,
        choice: Choice::Publish,
        scheduled_at: None,
    }
}

#[tokio::main]
async fn main() {
    // RUST_LOG=info shows each build's time ("site reconstruit").
    if std::env::var_os("RUST_LOG").is_some() {
        shared::telemetry::init();
    }
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(5000);
    let runs: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(10);
    let dir = std::env::temp_dir().join(format!("publish-bench-{}", ulid::Ulid::new()));
    let vars: HashMap<&str, String> = HashMap::from([
        (
            "EF_SQLITE_PATH",
            dir.join("portal.db").display().to_string(),
        ),
        ("EF_FILES_DIR", dir.join("files").display().to_string()),
        ("EF_SITE_DIR", dir.join("site").display().to_string()),
        ("EF_OUTBOX_DIR", dir.join("outbox").display().to_string()),
        ("EF_PUBLIC_URL", "https://famille.example.org".into()),
    ]);
    let config = Config::from_lookup(|k| vars.get(k).cloned()).expect("configuration");
    let site_dir = config.site_dir.clone();
    let app = App::from_config(config, Arc::new(SystemClock))
        .await
        .expect("app");

    // N published actualités, a few paragraphs each.
    let now = Utc::now();
    let body = "Premier paragraphe avec **du gras** et [un lien](https://example.org).\n\n\
                ## Intertitre\n\n- un point\n- un autre point\n\nDernier paragraphe.";
    let news = (0..n)
        .map(|i| {
            let date =
                NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + Duration::days((i % 2000) as i64);
            News {
                slug: format!("{date}-actualite-{i}"),
                titre: format!("Actualité numéro {i}"),
                date,
                resume: format!("Le résumé de l'actualité {i}."),
                corps: body.into(),
                image: None,
                statut: NewsStatus::Publiee,
                modifiee_le: now,
                modifiee_par: "mesure".into(),
            }
        })
        .collect();
    let started = Instant::now();
    publishing::seed_once(&app, || {
        Ok(Seed {
            news,
            files: vec![],
            categories: vec!["Menus".into()],
            documents: vec![],
        })
    })
    .await
    .expect("seed");
    println!(
        "{n} actualités écrites dans le stockage en {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let (app, site, builds) = functions::with_local_builds(app, &site_dir);
    let started = Instant::now();
    builds.rebuild(&app).await.expect("first build");
    println!(
        "première construction complète : {:.0} ms",
        ms(started.elapsed())
    );
    let router = functions::local_portal_with(app.clone(), site);

    let mut account = Account::new(
        Kind::Agent,
        ("Julie", "Moreau"),
        "web@ville.example.org",
        "web@ville.example.org",
        now,
    );
    account.statut = Status::Active;
    account.service = Some(Service::Communication);
    let publisher = AgentAccess::of(account).unwrap().publisher().unwrap();

    let mut times = Vec::new();
    for run in 0..runs {
        let started = Instant::now();
        let slug = publishing::create_news(
            &app,
            &publisher,
            checked(&format!("Publication mesurée {run}"), body),
            None,
        )
        .await
        .expect("publish");
        let response = router
            .clone()
            .oneshot(
                Request::get(format!("/actualites/{slug}/"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{slug}");
        times.push(ms(started.elapsed()));
    }
    let (median, max) = median_max(times);
    println!(
        "« Publier » → page servie, {} actualités, {runs} publications : médiane {median:.0} ms, max {max:.0} ms",
        n + 1
    );

    let Ok(moto) = std::env::var("EF_BENCH_MOTO_URL") else {
        println!("(EF_BENCH_MOTO_URL absent : pas de mesure d'envoi vers S3)");
        return;
    };
    let sdk = shared::app::aws_sdk_config("eu-west-3").await;
    let (s3, bucket) = e2e::moto_bucket(&sdk, &moto, "site").await;
    let target = site::publish::Bucket {
        s3,
        bucket,
        cdn: None,
    };
    let sync = |what: &'static str| {
        let target = target.clone();
        let site_dir = site_dir.clone();
        async move {
            let started = Instant::now();
            let synced = target.sync(&site_dir).await.expect("sync");
            println!(
                "S3 (moto), {what} : {} fichier(s) envoyé(s), {} supprimé(s), {} inchangé(s), {:.1} s",
                synced.uploaded.len(),
                synced.deleted.len(),
                synced.unchanged,
                started.elapsed().as_secs_f64()
            );
        }
    };
    sync("première publication").await;
    let (item, version) = publishing::news(app.store.as_ref(), "2020-01-01-actualite-0")
        .await
        .unwrap()
        .unwrap();
    publishing::update_news(
        &app,
        &publisher,
        &item.slug,
        version,
        CheckedNews {
            date: item.date,
            resume: item.resume.clone(),
            ..checked(&item.titre, "Texte corrigé.")
        },
        ImageChange::Keep,
    )
    .await
    .expect("edit");
    sync("texte d'une actualité corrigé").await;
    publishing::create_news(&app, &publisher, checked("Une de plus", body), None)
        .await
        .expect("publish");
    sync("une actualité de plus (les pages de la liste décalées d'un rang)").await;
    let _ = std::fs::remove_dir_all(&dir);
}
