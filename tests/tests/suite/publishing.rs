//! The web team's publishing (issue #17): actualités and documents edited
//! from the back-office, the static site rebuilt at once (locally) or
//! uploaded by hash to S3 with its CloudFront paths invalidated (on moto),
//! the scheduled items published by the jobs, bad input refused next to
//! its field with nothing published, and nobody else let in.

use crate::agents::agent_of;
use crate::support::{Browser, TestPortal, aws_config, moto_bucket, moto_url};
use axum::http::StatusCode;
use shared::accounts::Service;
use shared::publishing;
use site::publish::Bucket;
use std::io::Cursor;

const NEWS: &str = "/agents/site/actualites";

/// A PNG picture of `width` × `height`.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let picture = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = Cursor::new(Vec::new());
    picture.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn web_team(portal: &TestPortal) -> Browser {
    agent_of(
        portal,
        "communication@ville.example.org",
        Service::Communication,
    )
    .await
}

/// The fields of a good actualité, with some replaced.
fn fields<'a>(changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("titre", "Fête de l'école"),
        ("date", "2026-11-26"),
        ("resume", "Les photos de la fête sont en ligne."),
        (
            "corps",
            "## Programme\n\nJeux, **goûter** et <script>alert(1)</script> spectacle.",
        ),
        ("image_alt", ""),
        ("statut", "publier"),
        ("programmee_le", ""),
        ("action", "enregistrer"),
    ];
    for (k, v) in changes {
        match f.iter_mut().find(|(name, _)| name == k) {
            Some(field) => field.1 = v,
            None => f.push((k, v)),
        }
    }
    f
}

async fn news_count(portal: &TestPortal) -> usize {
    publishing::all_news(portal.app.store.as_ref())
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn the_web_team_publishes_edits_schedules_and_unpublishes_and_the_site_follows() {
    let portal = TestPortal::sqlite().await;
    let mut web = web_team(&portal).await;
    let mut visitor = portal.browser();

    // The store was seeded from the content folder: the folder's four
    // actualités are the team's to edit.
    let list = web.get(NEWS).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(
        list.body.contains("Mouvement de grève du jeudi 3 décembre"),
        "{}",
        list.body
    );
    assert_eq!(news_count(&portal).await, 4);

    // Write with an image, preview, publish.
    web.get(&format!("{NEWS}/nouvelle")).await;
    let photo = png(1600, 900);
    let preview = web
        .post_files(
            &format!("{NEWS}/nouvelle"),
            &fields(&[
                ("action", "apercu"),
                ("image_alt", "Enfants dansant dans la cour"),
            ]),
            &[("image", "fete.png", &photo)],
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert!(
        preview.body.contains("<h2>Programme</h2>"),
        "the site's Markdown"
    );
    assert!(
        preview
            .body
            .contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "raw HTML as text"
    );
    assert!(!preview.body.contains("<script>alert"), "{}", preview.body);
    assert_eq!(news_count(&portal).await, 4, "a preview saves nothing");
    // The image is kept for the form shown again, and served to the team.
    let kept = preview.input_value("image_gardee").unwrap();
    assert!(
        kept.contains("-480.png") && kept.contains("-960.png"),
        "{kept}"
    );
    let thumb = kept.split(',').next_back().unwrap();
    assert_eq!(
        web.download(&format!("/agents/site/images/{thumb}"))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        visitor
            .download(&format!("/agents/site/images/{thumb}"))
            .await
            .0,
        StatusCode::SEE_OTHER,
        "the preview's images are the team's"
    );
    let published = web
        .post_files(
            &format!("{NEWS}/nouvelle"),
            &fields(&[
                ("image_alt", "Enfants dansant dans la cour"),
                ("image_gardee", &kept),
            ]),
            &[],
        )
        .await;
    assert_eq!(
        published.status,
        StatusCode::SEE_OTHER,
        "{}",
        published.body
    );
    assert_eq!(published.location(), format!("{NEWS}?fait=publiee"));
    let slug = "2026-11-26-fete-de-l-ecole";

    // The static site shows it at once: home page, its page, the feed.
    let home = visitor.get("/").await;
    assert!(
        home.body.contains("Fête de l&#39;école") || home.body.contains("Fête de l'école"),
        "{}",
        home.body
    );
    assert!(
        home.body.contains(
            r#"<link rel="alternate" type="application/atom+xml" href="/actualites/atom.xml""#
        ),
        "the home page announces the feed"
    );
    let page = visitor.get(&format!("/actualites/{slug}/")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("alt=\"Enfants dansant dans la cour\""));
    assert!(
        page.body.contains("-480.png 480w, /actualites/images/"),
        "{}",
        page.body
    );
    assert!(page.body.contains("application/atom+xml"));
    let image_path = page
        .body
        .split("src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let (status, headers, bytes) = visitor.download(&image_path).await;
    assert_eq!(status, StatusCode::OK, "{image_path}");
    assert_eq!(headers["content-type"], "image/png");
    let picture = image::load_from_memory(&bytes).unwrap();
    assert_eq!(
        (picture.width(), picture.height()),
        (960, 540),
        "resized to the site's width"
    );
    let feed = visitor.get("/actualites/atom.xml").await;
    assert!(
        feed.body.contains(&format!("/actualites/{slug}/")),
        "{}",
        feed.body
    );
    let sitemap = visitor.get("/sitemap.xml").await;
    assert!(sitemap.body.contains(&format!("/actualites/{slug}/")));

    // Edit: the address stays, the page changes.
    let form = web.get(&format!("{NEWS}/{slug}")).await;
    let version = form.input_value("version").unwrap();
    let edited = web
        .post_files(
            &format!("{NEWS}/{slug}"),
            &fields(&[
                ("titre", "Fête de l'école : les photos"),
                ("image_alt", "Enfants dansant dans la cour"),
                ("version", &version),
            ]),
            &[],
        )
        .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.body);
    let page = visitor.get(&format!("/actualites/{slug}/")).await;
    assert!(page.body.contains("les photos"), "{}", page.body);
    assert!(page.body.contains("Enfants dansant"), "the image kept");
    // The same form sent again (stale version): refused, nothing lost.
    let stale = web
        .post_files(
            &format!("{NEWS}/{slug}"),
            &fields(&[
                ("titre", "Ancien titre"),
                ("image_alt", "x"),
                ("version", &version),
            ]),
            &[],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(stale.body.contains("modifiée par ailleurs"));
    assert!(
        !visitor
            .get(&format!("/actualites/{slug}/"))
            .await
            .body
            .contains("Ancien titre")
    );

    // Unpublish: gone from the site, kept as a draft.
    let list = web.get(NEWS).await;
    assert!(list.body.contains("Dépublier"));
    let (current, _) = publishing::news(portal.app.store.as_ref(), slug)
        .await
        .unwrap()
        .unwrap();
    let _ = current;
    let version = publishing::news(portal.app.store.as_ref(), slug)
        .await
        .unwrap()
        .unwrap()
        .1
        .to_string();
    let r = web
        .post(
            &format!("{NEWS}/{slug}/depublier"),
            &[("version", &version)],
        )
        .await;
    assert_eq!(r.location(), format!("{NEWS}?fait=depubliee"));
    assert_eq!(
        visitor.get(&format!("/actualites/{slug}/")).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(!visitor.get("/").await.body.contains("les photos"));
    assert!(
        !visitor
            .get("/actualites/atom.xml")
            .await
            .body
            .contains(slug)
    );

    // Schedule: not on the site before its time; the jobs publish it.
    web.get(&format!("{NEWS}/nouvelle")).await;
    let scheduled = web
        .post_files(
            &format!("{NEWS}/nouvelle"),
            &fields(&[
                ("titre", "Inscriptions aux mercredis"),
                ("statut", "programmer"),
                ("programmee_le", "2026-11-26T10:00"),
            ]),
            &[],
        )
        .await;
    assert_eq!(scheduled.location(), format!("{NEWS}?fait=programmee"));
    let later = "/actualites/2026-11-26-inscriptions-aux-mercredis/";
    assert_eq!(visitor.get(later).await.status, StatusCode::NOT_FOUND);
    assert!(
        web.get(NEWS)
            .await
            .body
            .contains("Programmée le 26/11/2026 à 10:00")
    );
    let journal = web.get("/agents/site/journal").await;
    assert!(
        journal.body.contains("actualité programmée"),
        "{}",
        journal.body
    );
    assert!(journal.body.contains("Claire Martin"));
    assert!(journal.body.contains("Le site est à jour."));
    let report = shared::jobs::run(&portal.app, shared::jobs::RUN_BUDGET)
        .await
        .unwrap();
    assert_eq!(report.site, 0, "not yet");
    portal.clock.advance(chrono::Duration::hours(3));
    let report = shared::jobs::run(&portal.app, shared::jobs::RUN_BUDGET)
        .await
        .unwrap();
    assert_eq!(report.site, 1);
    assert_eq!(visitor.get(later).await.status, StatusCode::OK);
    let again = shared::jobs::run(&portal.app, shared::jobs::RUN_BUDGET)
        .await
        .unwrap();
    assert_eq!(again.site, 0, "published once");

    // The audit trail: who, when, what (the team's page; the store for
    // the jobs' line, the team's session having ended meanwhile).
    let trail: Vec<String> = publishing::trail(portal.app.store.as_ref())
        .await
        .unwrap()
        .iter()
        .map(|e| format!("{} {} {}", e.agent_nom, e.action, e.detail))
        .collect();
    for action in [
        "Claire Martin actualité publiée « Fête de l'école »",
        "Claire Martin actualité modifiée",
        "Claire Martin actualité dépubliée",
        "Claire Martin actualité programmée",
        "publication programmée actualité publiée « Inscriptions aux mercredis »",
    ] {
        assert!(
            trail.iter().any(|l| l.starts_with(action)),
            "{action}: {trail:?}"
        );
    }
    let (current, built) = publishing::generations(portal.app.store.as_ref())
        .await
        .unwrap();
    assert_eq!(current, built);
}

#[tokio::test]
async fn bad_input_is_refused_next_to_its_field_and_nothing_is_published() {
    let portal = TestPortal::sqlite().await;
    let mut web = web_team(&portal).await;
    let home_before = portal.browser().get("/").await.body;
    let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00".as_slice();
    let huge = [png(10, 10), vec![0u8; 20 * 1024 * 1024]].concat();
    let photo = png(800, 600);
    let long = "T".repeat(500);
    // (form, image sent, field, message next to it)
    type Case<'a> = (
        Vec<(&'a str, &'a str)>,
        Option<(&'a str, &'a [u8])>,
        &'a str,
        &'a str,
    );
    let cases: Vec<Case> = vec![
        (
            fields(&[("titre", &long)]),
            None,
            "titre",
            "150 caractères au plus",
        ),
        (
            fields(&[("date", "31/02/2026")]),
            None,
            "date",
            "Date invalide",
        ),
        (
            fields(&[]),
            Some(("photo.png", &photo)),
            "image_alt",
            "texte alternatif",
        ),
        (
            fields(&[("image_alt", "Un GIF")]),
            Some(("anim.gif", gif)),
            "image",
            "JPEG ou PNG",
        ),
        (
            fields(&[("image_alt", "Du texte")]),
            Some(("photo.jpg", b"Bonjour, je suis un texte")),
            "image",
            "JPEG ou PNG",
        ),
        (
            fields(&[("image_alt", "Trop grande")]),
            Some(("grande.png", &huge)),
            "image",
            "dépasse 4 Mo",
        ),
        (
            fields(&[
                ("statut", "programmer"),
                ("programmee_le", "2026-11-20T08:00"),
            ]),
            None,
            "programmee_le",
            "passée",
        ),
    ];
    for (form, file, field, message) in cases {
        web.get(&format!("{NEWS}/nouvelle")).await;
        let files: Vec<(&str, &str, &[u8])> = file
            .iter()
            .map(|(name, bytes)| ("image", *name, *bytes))
            .collect();
        let r = web
            .post_files(&format!("{NEWS}/nouvelle"), &form, &files)
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            r.body
        );
        let error = format!("id=\"{field}-erreur\"");
        let at = r
            .body
            .find(&error)
            .unwrap_or_else(|| panic!("{field}: no error next to it: {}", r.body));
        assert!(r.body[at..].contains(message), "{field}: {message}");
        assert!(
            r.body.contains("role=\"alert\""),
            "the summary is announced"
        );
        // The rest of the form is kept.
        assert!(
            r.body.contains("Les photos de la fête sont en ligne."),
            "{field}"
        );
        assert_eq!(news_count(&portal).await, 4, "{field}: nothing stored");
    }
    assert_eq!(
        portal.browser().get("/").await.body,
        home_before,
        "nothing published"
    );

    // Documents: a PDF that is not one, an unknown category.
    let mut page = web.get("/agents/site/documents").await;
    assert!(page.body.contains("Règlement intérieur"), "{}", page.body);
    for (category, bytes, field) in [
        ("Menus", b"<html>pas un PDF</html>".as_slice(), "fichier"),
        ("Piscine", crate::inscriptions::PDF, "categorie"),
    ] {
        page = web
            .post_files(
                "/agents/site/documents",
                &[
                    ("titre", "Menus de janvier"),
                    ("categorie", category),
                    ("date", "2026-12-20"),
                ],
                &[("fichier", "menus.pdf", bytes)],
            )
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert!(
            page.body.contains(&format!("id=\"{field}-erreur\"")),
            "{field}: {}",
            page.body
        );
        assert!(page.body.contains("Menus de janvier"), "the title kept");
    }
    assert_eq!(
        publishing::documents(portal.app.store.as_ref())
            .await
            .unwrap()
            .len(),
        3
    );
}

#[tokio::test]
async fn documents_are_published_replaced_at_the_same_address_and_removed() {
    let portal = TestPortal::sqlite().await;
    let mut web = web_team(&portal).await;
    let mut visitor = portal.browser();
    web.get("/agents/site/documents").await;
    let first = [crate::inscriptions::PDF, b"\n% janvier\n"].concat();
    let r = web
        .post_files(
            "/agents/site/documents",
            &[
                ("titre", "Menus de janvier 2027"),
                ("categorie", "Menus"),
                ("date", "2026-12-20"),
            ],
            &[("fichier", "menus.pdf", &first)],
        )
        .await;
    assert_eq!(
        r.location(),
        "/agents/site/documents?fait=document",
        "{}",
        r.body
    );
    let address = "/documents/menus-de-janvier-2027.pdf";
    assert_eq!(visitor.download(address).await.2, first);
    let docs = visitor.get("/documents/").await;
    assert!(docs.body.contains("Menus de janvier 2027"), "{}", docs.body);

    let (_, version) = publishing::document(portal.app.store.as_ref(), "menus-de-janvier-2027.pdf")
        .await
        .unwrap()
        .unwrap();
    web.get("/agents/site/documents").await;
    let second = [crate::inscriptions::PDF, b"\n% janvier, corrige\n"].concat();
    let r = web
        .post_files(
            "/agents/site/documents/menus-de-janvier-2027.pdf/remplacer",
            &[("version", &version.to_string())],
            &[("fichier", "menus-v2.pdf", &second)],
        )
        .await;
    assert_eq!(
        r.location(),
        "/agents/site/documents?fait=remplace",
        "{}",
        r.body
    );
    assert_eq!(
        visitor.download(address).await.2,
        second,
        "same address, new file"
    );

    let (_, version) = publishing::document(portal.app.store.as_ref(), "menus-de-janvier-2027.pdf")
        .await
        .unwrap()
        .unwrap();
    web.get("/agents/site/documents").await;
    let r = web
        .post(
            "/agents/site/documents/menus-de-janvier-2027.pdf/supprimer",
            &[("version", &version.to_string())],
        )
        .await;
    assert_eq!(r.location(), "/agents/site/documents?fait=retire");
    assert_eq!(visitor.download(address).await.0, StatusCode::NOT_FOUND);
    let journal = web.get("/agents/site/journal").await;
    for action in ["document publié", "document remplacé", "document retiré"] {
        assert!(journal.body.contains(action), "{action}");
    }
}

#[tokio::test]
async fn other_agents_get_403_and_families_never_reach_the_web_teams_pages() {
    let portal = TestPortal::sqlite().await;
    let mut enfance = agent_of(&portal, "enfance@ville.example.org", Service::Enfance).await;
    let mut regie = agent_of(&portal, "regie@ville.example.org", Service::Regie).await;
    let mut family = crate::inscriptions::emilie(&portal).await;
    let before = news_count(&portal).await;
    let table = functions::all_route_groups();
    let routes: Vec<_> = table
        .table()
        .iter()
        .filter(|r| r.path.starts_with("/agents/site"))
        .collect();
    assert_eq!(routes.len(), 10, "{routes:?}");
    for route in routes {
        let path = route
            .path
            .replace("{slug}", "2026-11-23-greve-jeudi")
            .replace("{fichier}", "menus-decembre-2026.pdf")
            .replace("{image}", "x.png");
        for agent in [&mut enfance, &mut regie] {
            agent.get("/agents").await;
            let get = agent.get(&path).await;
            assert!(
                get.status == StatusCode::FORBIDDEN || get.status == StatusCode::METHOD_NOT_ALLOWED,
                "GET {path}: {}",
                get.status
            );
            let post = agent.post(&path, &[("version", "1"), ("titre", "x")]).await;
            assert!(
                post.status == StatusCode::FORBIDDEN
                    || post.status == StatusCode::METHOD_NOT_ALLOWED
                    || post.status == StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "POST {path}: {}",
                post.status
            );
        }
        let get = family.get(&path).await;
        assert!(
            get.location().starts_with("/agents/connexion")
                || get.status == StatusCode::METHOD_NOT_ALLOWED,
            "famille sur {path}: {}",
            get.status
        );
    }
    // A multipart post of another service is refused before anything is kept.
    enfance.get("/agents").await;
    let r = enfance
        .post_files(
            &format!("{NEWS}/nouvelle"),
            &fields(&[]),
            &[("image", "x.png", &png(100, 100))],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(news_count(&portal).await, before);
}

#[tokio::test]
async fn two_changes_at_once_leave_a_whole_site_showing_both() {
    let portal = TestPortal::sqlite().await;
    let mut a = web_team(&portal).await;
    let mut b = agent_of(&portal, "web2@ville.example.org", Service::Communication).await;
    a.get(&format!("{NEWS}/nouvelle")).await;
    b.get(&format!("{NEWS}/nouvelle")).await;
    let fa = fields(&[("titre", "Première nouvelle")]);
    let fb = fields(&[("titre", "Seconde nouvelle")]);
    let path = format!("{NEWS}/nouvelle");
    let (ra, rb) = tokio::join!(a.post_files(&path, &fa, &[]), b.post_files(&path, &fb, &[]),);
    assert_eq!(ra.status, StatusCode::SEE_OTHER);
    assert_eq!(rb.status, StatusCode::SEE_OTHER);
    // Whichever build came second (or ran again for the other's change),
    // the site ends with both, and says it is up to date.
    let mut visitor = portal.browser();
    let home = visitor.get("/actualites/").await;
    assert!(home.body.contains("Première nouvelle"), "{}", home.body);
    assert!(home.body.contains("Seconde nouvelle"), "{}", home.body);
    let (current, built) = publishing::generations(portal.app.store.as_ref())
        .await
        .unwrap();
    assert_eq!(current, built);

    // A build holding the lease makes another wait its turn (it builds the
    // change after its own), never run beside it.
    let lease = shared::store::Item::new(
        shared::store::Key::new(publishing::STATE_PK, "verrou"),
        serde_json::Map::new(),
    )
    .expiring_at(shared::clock::Clock::now(&portal.clock).timestamp() + 300);
    portal
        .app
        .store
        .put(lease, shared::store::Condition::NotExists)
        .await
        .unwrap();
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let outcome = publishing::rebuild(&portal.app, |_| {
        calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        async { Ok(()) }
    })
    .await
    .unwrap();
    assert_eq!(outcome, publishing::Rebuilt::Busy);
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 0);
    // An expired lease (a build that died) is no obstacle.
    portal.clock.advance(chrono::Duration::minutes(6));
    let outcome = publishing::rebuild(&portal.app, |_| async { Ok(()) })
        .await
        .unwrap();
    assert!(
        matches!(outcome, publishing::Rebuilt::Built(_)),
        "{outcome:?}"
    );
    // A failed build leaves the previous site and says why.
    let err = publishing::rebuild(&portal.app, |_| async { Err("disque plein".to_owned()) })
        .await
        .unwrap_err();
    assert_eq!(err, "disque plein");
    assert!(
        visitor
            .get("/actualites/")
            .await
            .body
            .contains("Seconde nouvelle")
    );
}

/// A CloudFront distribution on moto, in front of `bucket`.
pub async fn moto_distribution(bucket: &str) -> (aws_sdk_cloudfront::Client, String) {
    use aws_sdk_cloudfront::types::{
        DefaultCacheBehavior, DistributionConfig, Origin, Origins, S3OriginConfig,
        ViewerProtocolPolicy,
    };
    let sdk = aws_config().await;
    let client = aws_sdk_cloudfront::Client::from_conf(
        aws_sdk_cloudfront::config::Builder::from(&sdk)
            .endpoint_url(moto_url())
            .build(),
    );
    let origin = Origin::builder()
        .id("site")
        .domain_name(format!("{bucket}.s3.amazonaws.com"))
        .s3_origin_config(S3OriginConfig::builder().origin_access_identity("").build())
        .build()
        .unwrap();
    let config = DistributionConfig::builder()
        .caller_reference(ulid::Ulid::new().to_string())
        .comment("site")
        .enabled(true)
        .origins(
            Origins::builder()
                .quantity(1)
                .items(origin)
                .build()
                .unwrap(),
        )
        .default_cache_behavior(
            DefaultCacheBehavior::builder()
                .target_origin_id("site")
                .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
                .cache_policy_id("658327ea-f89d-4fab-a63d-7e88639e58f6")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let made = client
        .create_distribution()
        .distribution_config(config)
        .send()
        .await
        .unwrap_or_else(|e| panic!("distribution CloudFront sur moto : {e:?}"));
    (client, made.distribution().unwrap().id().to_owned())
}

/// The keys of a bucket, in order.
pub async fn bucket_keys(s3: &aws_sdk_s3::Client, bucket: &str) -> Vec<String> {
    let mut keys: Vec<String> = s3
        .list_objects_v2()
        .bucket(bucket)
        .send()
        .await
        .unwrap()
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .collect();
    keys.sort();
    keys
}

#[tokio::test]
async fn on_aws_the_site_is_uploaded_by_hash_and_its_changed_paths_invalidated() {
    // The portal on DynamoDB and S3 (moto); the web team's edits in the
    // store, the site built and uploaded as the `site` function does.
    let portal = TestPortal::aws().await;
    let (s3, bucket) = moto_bucket().await;
    let cdn = moto_distribution(&bucket).await;
    let site_bucket = Bucket {
        s3: s3.clone(),
        bucket: bucket.clone(),
        cdn: Some(cdn.clone()),
    };
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("site");
    let url = "https://famille.example.org";

    let (rebuilt, first) = site_bucket
        .publish(&portal.app, &out, url, None)
        .await
        .unwrap();
    assert!(matches!(rebuilt, publishing::Rebuilt::Built(_)));
    let keys = bucket_keys(&s3, &bucket).await;
    assert_eq!(
        first.uploaded.len(),
        keys.len(),
        "everything, the first time"
    );
    assert!(
        keys.contains(&"actualites/2026-11-23-greve-jeudi/index.html".to_owned()),
        "{keys:?}"
    );
    assert!(keys.contains(&"documents/menus-decembre-2026.pdf".to_owned()));
    let last_asset = first
        .uploaded
        .iter()
        .rposition(|k| !k.ends_with(".html"))
        .unwrap();
    let first_page = first
        .uploaded
        .iter()
        .position(|k| k.ends_with(".html"))
        .unwrap();
    assert!(
        last_asset < first_page,
        "assets before the pages that name them"
    );
    let head = s3
        .head_object()
        .bucket(&bucket)
        .key("index.html")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("text/html; charset=utf-8"));

    // Nothing changed: nothing uploaded.
    let (_, again) = site_bucket
        .publish(&portal.app, &out, url, None)
        .await
        .unwrap();
    assert!(again.uploaded.is_empty(), "{:?}", again.uploaded);
    assert_eq!(again.unchanged, keys.len());

    // The web team edits one item's text: its page and the feed only.
    let mut web = web_team(&portal).await;
    let slug = "2026-11-23-greve-jeudi";
    let form = web.get(&format!("{NEWS}/{slug}")).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let r = web
        .post_files(
            &format!("{NEWS}/{slug}"),
            &[
                ("titre", &form.input_value("titre").unwrap()),
                ("date", "2026-11-23"),
                ("resume", "Un service minimum d'accueil est organisé ; le restaurant scolaire fonctionnera normalement."),
                ("corps", "Le service minimum est confirmé pour toutes les écoles."),
                ("statut", "publier"),
                ("version", &form.input_value("version").unwrap()),
            ],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let (_, one) = site_bucket
        .publish(&portal.app, &out, url, None)
        .await
        .unwrap();
    assert_eq!(
        one.uploaded,
        [
            "actualites/atom.xml",
            "actualites/2026-11-23-greve-jeudi/index.html"
        ],
        "only what changed"
    );
    assert!(one.deleted.is_empty());
    assert_eq!(
        one.invalidated,
        [
            "/actualites/atom.xml",
            "/actualites/2026-11-23-greve-jeudi/index.html",
            "/actualites/2026-11-23-greve-jeudi/",
        ]
    );
    let page = s3
        .get_object()
        .bucket(&bucket)
        .key("actualites/2026-11-23-greve-jeudi/index.html")
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    assert!(String::from_utf8_lossy(&page).contains("service minimum est confirmé"));
    let invalidations = cdn
        .0
        .list_invalidations()
        .distribution_id(&cdn.1)
        .send()
        .await
        .unwrap();
    let count = invalidations
        .invalidation_list()
        .map_or(0, |l| l.items().len());
    assert_eq!(count, 2, "the first publication and this one");

    // Unpublished: its page is deleted from the bucket and invalidated.
    let (_, version) = publishing::news(portal.app.store.as_ref(), slug)
        .await
        .unwrap()
        .unwrap();
    web.get(NEWS).await;
    web.post(
        &format!("{NEWS}/{slug}/depublier"),
        &[("version", &version.to_string())],
    )
    .await;
    let (_, gone) = site_bucket
        .publish(&portal.app, &out, url, None)
        .await
        .unwrap();
    assert_eq!(
        gone.deleted,
        ["actualites/2026-11-23-greve-jeudi/index.html"]
    );
    assert!(
        gone.invalidated
            .contains(&"/actualites/2026-11-23-greve-jeudi/".to_owned())
    );
    assert!(
        !bucket_keys(&s3, &bucket)
            .await
            .iter()
            .any(|k| k.contains(slug))
    );
}
