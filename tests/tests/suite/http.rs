//! The portal over HTTP, through the same router the local portal serves:
//! the static home page, the dynamic login page, the French error pages for
//! malformed requests, and a 503 page when the store is unreachable.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::routing::post;
use http_body_util::BodyExt;
use shared::App;
use shared::clock::SystemClock;
use std::collections::HashMap;
use std::sync::Arc;
use tower::ServiceExt;

struct Portal {
    router: Router,
    _dir: tempfile::TempDir,
}

async fn portal_with(extra: &[(&str, String)]) -> Portal {
    let dir = tempfile::tempdir().unwrap();
    let config = crate::support::config_in(dir.path(), extra);
    crate::support::build_site(&config);
    let app = App::from_config(config.clone(), Arc::new(SystemClock))
        .await
        .unwrap();
    Portal {
        router: functions::local_portal(app, &config.site_dir),
        _dir: dir,
    }
}

async fn portal() -> Portal {
    portal_with(&[]).await
}

async fn send(router: &Router, request: Request<Body>) -> (StatusCode, String, String) {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let kind = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, kind, String::from_utf8_lossy(&body).into_owned())
}

fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}

#[tokio::test]
async fn static_home_page_and_dynamic_login_page_share_the_layout() {
    let p = portal().await;
    let (status, kind, home) = send(&p.router, get("/")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/html"));
    assert!(home.contains("<html lang=\"fr\">"));
    assert!(home.contains("Val-d'Albarine"));
    let (status, kind, login) = send(&p.router, get("/compte/connexion")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/html"));
    assert!(login.contains("<title>Connexion à mon espace famille — Espace Famille"));
    assert!(login.contains("autocomplete=\"current-password\""));
    assert!(login.contains("<label for=\"identifiant\">"));
    // One layout: the same header and footer on both.
    let footer = |html: &str| html[html.find("<footer").unwrap()..].to_owned();
    assert_eq!(footer(&home), footer(&login));
    let (status, kind, css) = send(&p.router, get(shared::layout::stylesheet_path())).await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/css"), "{kind}");
    assert!(css.contains("--teal"));
}

#[tokio::test]
async fn the_static_site_is_served_from_memory_as_a_file_server_would() {
    let p = portal().await;
    let (_, _, before) = send(&p.router, get("/")).await;
    // A folder without its final slash: redirected, the query kept.
    let r = p
        .router
        .clone()
        .oneshot(get("/actualites?page=2"))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(r.headers()[header::LOCATION], "/actualites/?page=2");
    let (status, kind, _) = send(&p.router, get("/actualites/")).await;
    assert_eq!(
        (status, kind.as_str()),
        (StatusCode::OK, "text/html; charset=utf-8")
    );
    // Nothing outside the site's folder, however written.
    for path in [
        "/../portal.db",
        "/%2e%2e/portal.db",
        "/assets/..%2f..%2fportal.db",
        "/a%5c..%5cportal.db",
        "/%00",
        &format!("/{}", "a".repeat(300)),
    ] {
        let (status, _, body) = send(&p.router, get(path)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(body.contains("Page introuvable"), "{path}");
    }
    // HEAD: the headers only; a date already seen: 304.
    let r = p
        .router
        .clone()
        .oneshot(Request::head("/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let length: usize = r.headers()[header::CONTENT_LENGTH]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(length, before.len());
    let modified = r.headers()[header::LAST_MODIFIED].clone();
    assert!(r.into_body().collect().await.unwrap().to_bytes().is_empty());
    let r = p
        .router
        .clone()
        .oneshot(
            Request::get("/")
                .header(header::IF_MODIFIED_SINCE, modified)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    let (status, _, body) = send(&p.router, Request::post("/").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(body.contains("lang=\"fr\""));
}

#[tokio::test]
async fn errors_are_french_pages_with_4xx_statuses() {
    let p = portal().await;
    let (status, kind, body) = send(&p.router, get("/nulle-part")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(kind.starts_with("text/html"));
    assert!(body.contains("Page introuvable"));

    let (status, _, body) = send(
        &p.router,
        Request::delete("/compte/connexion")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(body.contains("Méthode non autorisée"));

    let odd = Request::builder()
        .method("BREW")
        .uri("/compte/connexion")
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = send(&p.router, odd).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(body.contains("lang=\"fr\""));
}

/// A form route behind the common layers, as later route groups will have.
fn form_router() -> Router {
    let router = Router::new().route(
        "/formulaire",
        post(
            |shared::web::Form(f): shared::web::Form<HashMap<String, String>>| async move {
                format!("{}", f.len())
            },
        ),
    );
    shared::web::with_common_layers(router)
}

fn form_post(body: Vec<u8>) -> Request<Body> {
    Request::post("/formulaire")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn malformed_and_oversized_forms_get_french_4xx_pages() {
    let router = form_router();
    let (status, _, body) = send(&router, form_post(b"nom=L%C3%A9a".to_vec())).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "1"));

    let (status, kind, body) = send(&router, form_post(b"nom=\xff\xfe".to_vec())).await;
    assert!(status.is_client_error(), "{status}");
    assert!(kind.starts_with("text/html"));
    assert!(body.contains("Requête invalide"), "{body}");

    let (status, _, body) = send(&router, form_post(b"nom=%FF%FE".to_vec())).await;
    assert!(status.is_client_error(), "{status}");
    assert!(body.contains("lang=\"fr\""));

    let big = format!("nom={}", "a".repeat(shared::web::layers::BODY_LIMIT + 1));
    let (status, _, body) = send(&router, form_post(big.into_bytes())).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body.contains("Envoi trop volumineux"));
}

#[tokio::test]
async fn unreachable_store_gives_a_503_page() {
    // A DynamoDB endpoint where nothing listens.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let p = portal_with(&[
        ("EF_STORE", "dynamodb".into()),
        ("EF_DYNAMODB_TABLE", "absente".into()),
        ("EF_DYNAMODB_ENDPOINT", url),
    ])
    .await;
    let (status, kind, body) = send(&p.router, get("/sante")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(kind.starts_with("text/html"));
    assert!(body.contains("Service momentanément indisponible"));
    // The static pages still answer.
    assert_eq!(send(&p.router, get("/")).await.0, StatusCode::OK);
}

#[tokio::test]
async fn health_answers_ok_with_a_reachable_store() {
    let p = portal().await;
    let (status, _, body) = send(&p.router, get("/sante")).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));
}
