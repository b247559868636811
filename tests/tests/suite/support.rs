//! What the tests share: moto's address, AWS clients pointed at it, and a
//! fresh store of either backend on a fixed clock.

use aws_sdk_dynamodb::config::Credentials;
use chrono::{TimeZone, Utc};
use shared::clock::{Clock, FixedClock};
use shared::store::Store;
use shared::store::dynamo::DynamoStore;
use shared::store::sqlite::SqliteStore;
use std::sync::Arc;

/// moto's address, or a failure that says how to get one.
pub fn moto_url() -> String {
    std::env::var("EF_TEST_MOTO_URL").unwrap_or_else(|_| {
        panic!(
            "ce test a besoin de moto_server (DynamoDB et SES) : lancez `tests/run.sh`, \
             ou démarrez `moto_server -H 127.0.0.1 -p 5000` et exportez EF_TEST_MOTO_URL=http://127.0.0.1:5000"
        )
    })
}

/// SDK settings for moto: fixed test credentials, a region, short timeouts.
pub async fn aws_config() -> aws_config::SdkConfig {
    let base = shared::app::aws_sdk_config("eu-west-3").await;
    base.into_builder()
        .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(
            Credentials::new("test", "test", None, None, "tests"),
        ))
        .endpoint_url(moto_url())
        .build()
}

/// A store under test, with the clock it reads and what keeps it alive.
pub struct Backend {
    pub store: Arc<dyn Store>,
    pub clock: FixedClock,
    _dir: Option<tempfile::TempDir>,
}

pub fn start_clock() -> FixedClock {
    FixedClock::at(Utc.with_ymd_and_hms(2026, 11, 26, 7, 0, 0).unwrap())
}

pub async fn sqlite() -> Backend {
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = start_clock();
    let store = SqliteStore::open(
        &dir.path().join("portal.db"),
        Arc::new(clock.clone()) as Arc<dyn Clock>,
    )
    .expect("open SQLite");
    Backend {
        store: Arc::new(store),
        clock,
        _dir: Some(dir),
    }
}

pub async fn dynamodb() -> Backend {
    let client = aws_sdk_dynamodb::Client::new(&aws_config().await);
    let table = format!("t{}", ulid::Ulid::new()).to_lowercase();
    DynamoStore::create_table(&client, &table)
        .await
        .unwrap_or_else(|e| panic!("création de la table sur moto ({}) : {e}", moto_url()));
    let clock = start_clock();
    Backend {
        store: Arc::new(DynamoStore::new(client, table, Arc::new(clock.clone()))),
        clock,
        _dir: None,
    }
}

// ------------------------------------------------------------------ portal

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use shared::App;
use shared::config::Config;
use std::collections::HashMap;
use std::net::SocketAddr;
use tower::ServiceExt;

/// A configuration in a temporary folder, with extra variables.
pub fn config_in(dir: &std::path::Path, extra: &[(&str, String)]) -> Config {
    let mut vars: HashMap<String, String> = HashMap::from([
        (
            "EF_SQLITE_PATH".into(),
            dir.join("portal.db").display().to_string(),
        ),
        (
            "EF_OUTBOX_DIR".into(),
            dir.join("outbox").display().to_string(),
        ),
        ("EF_SITE_DIR".into(), dir.join("site").display().to_string()),
        (
            "EF_FILES_DIR".into(),
            dir.join("files").display().to_string(),
        ),
        ("EF_PUBLIC_URL".into(), "http://famille.test".into()),
    ]);
    vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
    Config::from_lookup(|k| vars.get(k).cloned()).expect("config")
}

/// Builds the static site where the configuration says, from the demo content.
pub fn build_site(config: &Config) {
    let options = site::Options {
        content_dir: site::default_content_dir(),
        site_url: config.public_url.clone(),
    };
    site::build(&config.site_dir, &options).unwrap();
}

/// The raw messages moto's SES holds for an address, oldest first (nothing
/// delivered first).
pub async fn ses_messages_to(to: &str) -> Vec<String> {
    let data: serde_json::Value = reqwest::get(format!("{}/moto-api/data.json", moto_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    data["ses"]["RawMessage"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["raw_data"].as_str())
        .filter(|raw| raw.contains(&format!("To: {to}")))
        .map(str::to_owned)
        .collect()
}

/// A new private bucket on moto's S3, and a client for it.
pub async fn moto_bucket() -> (aws_sdk_s3::Client, String) {
    e2e::moto_bucket(&aws_config().await, &moto_url(), "fichiers").await
}

/// Where the test reads the messages the portal sent.
pub enum Mailbox {
    Outbox(std::path::PathBuf),
    Moto,
}

/// The whole local portal on a fixed clock, with the demo data.
pub struct TestPortal {
    pub router: Router,
    pub app: App,
    pub clock: FixedClock,
    pub mailbox: Mailbox,
    _dir: tempfile::TempDir,
}

impl TestPortal {
    pub async fn with(extra: &[(&str, String)], mailbox_is_moto: bool) -> Self {
        Self::with_clock(extra, mailbox_is_moto, start_clock()).await
    }

    pub async fn with_clock(
        extra: &[(&str, String)],
        mailbox_is_moto: bool,
        clock: FixedClock,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = config_in(dir.path(), extra);
        let app = App::from_config(config.clone(), Arc::new(clock.clone()))
            .await
            .unwrap();
        shared::demo::seed_if_empty(app.store.as_ref())
            .await
            .unwrap();
        // As the portal starts: the site built from the store's content,
        // seeded from the content folder; the web team's changes rebuild it.
        let (app, site, builds) = functions::with_local_builds(app, &config.site_dir);
        builds.rebuild(&app).await.unwrap();
        let mailbox = if mailbox_is_moto {
            Mailbox::Moto
        } else {
            Mailbox::Outbox(dir.path().join("outbox"))
        };
        Self {
            router: functions::local_portal_with(app.clone(), site),
            app,
            clock,
            mailbox,
            _dir: dir,
        }
    }

    pub async fn sqlite() -> Self {
        Self::with(&[], false).await
    }

    /// The portal on DynamoDB, SES and S3, all on moto.
    pub async fn aws() -> Self {
        Self::aws_with_clock(start_clock()).await
    }

    /// The same, its clock (for what the test does in process) at `clock`.
    pub async fn aws_with_clock(clock: FixedClock) -> Self {
        let (_, bucket) = moto_bucket().await;
        let sdk = aws_config().await;
        let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
        let table = format!("t{}", ulid::Ulid::new()).to_lowercase();
        DynamoStore::create_table(&dynamo, &table).await.unwrap();
        let sender = format!("mairie-{}@ville.example.org", ulid::Ulid::new()).to_lowercase();
        aws_sdk_ses::Client::new(&sdk)
            .verify_email_identity()
            .email_address(&sender)
            .send()
            .await
            .unwrap();
        // The SDK reads credentials from the environment (tests/run.sh sets
        // test keys for moto).
        Self::with_clock(
            &[
                ("EF_STORE", "dynamodb".into()),
                ("EF_DYNAMODB_TABLE", table),
                ("EF_DYNAMODB_ENDPOINT", moto_url()),
                ("EF_MAIL", "ses".into()),
                ("EF_SES_ENDPOINT", moto_url()),
                ("EF_MAIL_FROM", format!("Mairie <{sender}>")),
                ("EF_FILES", "s3".into()),
                ("EF_S3_BUCKET", bucket),
                ("EF_S3_ENDPOINT", moto_url()),
            ],
            true,
            clock,
        )
        .await
    }

    /// Verifies the portal's sender on moto's SES, or withdraws it (SES then
    /// refuses every message: the mail service "down" for the portal).
    pub async fn set_sender_verified(&self, verified: bool) {
        let from = &self.app.config.mail_from;
        let sender = from
            .rsplit_once('<')
            .map_or(from.as_str(), |(_, a)| a.trim_end_matches('>'));
        let ses = aws_sdk_ses::Client::new(&aws_config().await);
        if verified {
            ses.verify_email_identity()
                .email_address(sender)
                .send()
                .await
                .unwrap();
        } else {
            ses.delete_identity().identity(sender).send().await.unwrap();
        }
    }

    pub fn browser(&self) -> Browser {
        Browser::new(self.router.clone(), "203.0.113.7:50000")
    }

    /// Runs the outbox's sender, as the local portal's background task (or
    /// the `mailer` function) does after each change.
    pub async fn deliver_mail(&self) -> shared::outbox::Run {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        shared::outbox::deliver_due(&self.app, deadline)
            .await
            .expect("outbox")
    }

    /// The raw messages sent to an address, oldest first (the outbox's
    /// sender run first).
    pub async fn mails_to(&self, to: &str) -> Vec<String> {
        self.deliver_mail().await;
        let mut out = Vec::new();
        match &self.mailbox {
            Mailbox::Outbox(dir) => {
                let mut files: Vec<_> = std::fs::read_dir(dir)
                    .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
                    .unwrap_or_default();
                files.sort();
                for f in files {
                    let raw = std::fs::read_to_string(f).unwrap();
                    if raw.contains(&format!("To: {to}")) {
                        out.push(raw);
                    }
                }
            }
            Mailbox::Moto => out.extend(ses_messages_to(to).await),
        }
        out
    }

    /// The messages sent to an address with their quoted-printable parts
    /// decoded (as a mail reader shows them), oldest first.
    pub async fn mail_texts_to(&self, to: &str) -> Vec<String> {
        self.mails_to(to)
            .await
            .iter()
            .map(|raw| decode_quoted_printable(raw))
            .collect()
    }

    /// The path and query of the last link to `path` sent to an address.
    pub async fn last_link(&self, to: &str, path: &str) -> String {
        let mails = self.mails_to(to).await;
        let raw = mails.last().unwrap_or_else(|| panic!("no mail to {to}"));
        let decoded = raw.replace("=\r\n", "").replace("=3D", "=");
        let start = decoded
            .find(&format!("http://famille.test{path}?jeton="))
            .unwrap_or_else(|| panic!("no link to {path} in {decoded}"));
        let link: String = decoded[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || "/:.?=_-".contains(*c))
            .collect();
        link.trim_start_matches("http://famille.test").to_owned()
    }
}

/// Soft line breaks removed and `=XX` escapes turned back into bytes.
fn decode_quoted_printable(raw: &str) -> String {
    let joined = raw.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A response as a test reads it.
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The value of an input, as the page renders it.
    pub fn input_value(&self, name: &str) -> Option<String> {
        let at = self.body.find(&format!("name=\"{name}\""))?;
        let tag_start = self.body[..at].rfind('<')?;
        let tag_end = at + self.body[at..].find('>')?;
        let tag = &self.body[tag_start..tag_end];
        let v = tag.find("value=\"")? + 7;
        Some(
            tag[v..v + tag[v..].find('"')?]
                .replace("&#39;", "'")
                .replace("&amp;", "&"),
        )
    }
}

/// A browser: keeps cookies and the last CSRF token it was given.
pub struct Browser {
    router: Router,
    pub cookies: HashMap<String, String>,
    pub persistent: HashMap<String, bool>,
    csrf: Option<String>,
    address: SocketAddr,
}

impl Browser {
    pub fn new(router: Router, address: &str) -> Self {
        Self {
            router,
            cookies: HashMap::new(),
            persistent: HashMap::new(),
            csrf: None,
            address: address.parse().unwrap(),
        }
    }

    pub fn elsewhere(&self, address: &str) -> Self {
        Self::new(self.router.clone(), address)
    }

    /// A request as this browser sends it: its cookies and its address.
    fn decorate(&self, mut request: Request<Body>) -> Request<Body> {
        let cookie_header: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        if !cookie_header.is_empty() {
            request
                .headers_mut()
                .insert(header::COOKIE, cookie_header.join("; ").parse().unwrap());
        }
        request.extensions_mut().insert(ConnectInfo(self.address));
        request
    }

    /// A form POST with the CSRF token of the last page, built now and sent
    /// later (see [`Browser::race`]).
    pub fn prepared_post(&self, path: &str, fields: &[(&str, &str)]) -> Request<Body> {
        let token = self.csrf.clone().unwrap_or_default();
        let mut all: Vec<(&str, &str)> = vec![("_csrf", token.as_str())];
        all.extend_from_slice(fields);
        let body = serde_urlencoded::to_string(&all).unwrap();
        self.decorate(
            Request::post(path)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap(),
        )
    }

    /// Sends prepared requests all at once (as clicks in several tabs);
    /// their statuses and bodies, in order. Cookies they set are not kept.
    pub async fn race(&self, requests: Vec<Request<Body>>) -> Vec<(StatusCode, String)> {
        let tasks: Vec<_> = requests
            .into_iter()
            .map(|request| {
                let router = self.router.clone();
                tokio::spawn(async move {
                    let response = router.oneshot(request).await.unwrap();
                    let status = response.status();
                    let bytes = response.into_body().collect().await.unwrap().to_bytes();
                    (status, String::from_utf8_lossy(&bytes).into_owned())
                })
            })
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    }

    async fn send(&mut self, request: Request<Body>) -> Page {
        let request = self.decorate(request);
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        for set in headers.get_all(header::SET_COOKIE) {
            let set = set.to_str().unwrap();
            let (pair, attrs) = set.split_once(';').unwrap_or((set, ""));
            let (name, value) = pair.split_once('=').unwrap();
            let removed = attrs.contains("Max-Age=0") || attrs.contains("1970");
            if removed {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
                self.persistent
                    .insert(name.to_owned(), attrs.contains("Max-Age="));
            }
        }
        let body =
            String::from_utf8_lossy(&response.into_body().collect().await.unwrap().to_bytes())
                .into_owned();
        let page = Page {
            status,
            headers,
            body,
        };
        if let Some(token) = page.input_value("_csrf") {
            self.csrf = Some(token);
        }
        page
    }

    pub async fn get(&mut self, path: &str) -> Page {
        self.send(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    /// Follows a redirect (303) to its page.
    pub async fn follow(&mut self, page: Page) -> Page {
        assert!(
            page.status.is_redirection(),
            "expected a redirect, got {} {}",
            page.status,
            page.body
        );
        let to = page.location().to_owned();
        self.get(&to).await
    }

    /// Posts a form with the CSRF token of the last page.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.csrf.clone().unwrap_or_default();
        let mut all: Vec<(&str, &str)> = vec![("_csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// Posts a `multipart/form-data` form with the CSRF token of the last
    /// page: text fields, then files as (field, file name, bytes).
    pub async fn post_files(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> Page {
        let token = self.csrf.clone().unwrap_or_default();
        let mut all: Vec<(&str, &str)> = vec![("_csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post_multipart_raw(path, &all, files).await
    }

    /// Posts a multipart form as given (no CSRF token added).
    pub async fn post_multipart_raw(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> Page {
        let fields: Vec<(&str, &[u8])> = fields.iter().map(|(k, v)| (*k, v.as_bytes())).collect();
        self.post_multipart_bytes(path, &fields, files).await
    }

    /// Posts a multipart form whose text fields are any bytes (not always
    /// UTF-8), with the CSRF token.
    pub async fn post_files_bytes(
        &mut self,
        path: &str,
        fields: &[(&str, &[u8])],
        files: &[(&str, &str, &[u8])],
    ) -> Page {
        let token = self.csrf.clone().unwrap_or_default();
        let mut all: Vec<(&str, &[u8])> = vec![("_csrf", token.as_bytes())];
        all.extend_from_slice(fields);
        self.post_multipart_bytes(path, &all, files).await
    }

    /// Posts a multipart form whose text fields are any bytes, as given.
    pub async fn post_multipart_bytes(
        &mut self,
        path: &str,
        fields: &[(&str, &[u8])],
        files: &[(&str, &str, &[u8])],
    ) -> Page {
        let boundary = "----efTestBoundary7MA4YWxkTrZu0gW";
        let mut body: Vec<u8> = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n")
                    .as_bytes(),
            );
            body.extend_from_slice(value);
            body.extend_from_slice(b"\r\n");
        }
        for (name, file_name, bytes) in files {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                    .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let request = Request::post(path)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }

    /// Gets a download: its status, headers and bytes.
    pub async fn download(&mut self, path: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
        let request = self.decorate(Request::get(path).body(Body::empty()).unwrap());
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        (status, headers, bytes)
    }

    /// Posts a form as given (no CSRF token added).
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let request = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }
}

/// The password of the families the tests sign up.
pub const FAMILY_PASSWORD: &str = "Grenadine-tulipe-42-velo";

/// A family signed up through the wizard (with the demo dossier's
/// references, or "continuer sans"), activated from its e-mail and so
/// signed in.
pub async fn signed_up_family(
    portal: &TestPortal,
    prenom: &str,
    username: &str,
    email: &str,
    with_dossier: bool,
) -> Browser {
    let demo = with_dossier.then_some(["D2026-0142", "Lefèvre", "587"]);
    signed_up_family_of(portal, prenom, username, email, demo).await
}

/// The same, with the references (numéro, responsable, last 3 digits of an
/// invoice) of any dossier, or none.
pub async fn signed_up_family_of(
    portal: &TestPortal,
    prenom: &str,
    username: &str,
    email: &str,
    references: Option<[&str; 3]>,
) -> Browser {
    let mut b = portal.browser();
    b.get("/compte/inscription").await;
    let r = b
        .post(
            "/compte/inscription/etape-1",
            &[
                ("nom", "Lefèvre"),
                ("prenom", prenom),
                ("courriel", email),
                ("courriel_confirmation", email),
                ("identifiant", username),
                ("mot_de_passe", FAMILY_PASSWORD),
                ("mot_de_passe_confirmation", FAMILY_PASSWORD),
            ],
        )
        .await;
    b.follow(r).await;
    let r = if let Some([numero, responsable, chiffres]) = references {
        b.post(
            "/compte/inscription/etape-2",
            &[
                ("action", "verifier"),
                ("numero", numero),
                ("responsable", responsable),
                ("chiffres", chiffres),
            ],
        )
        .await
    } else {
        b.post("/compte/inscription/etape-2", &[("action", "sans")])
            .await
    };
    b.follow(r).await;
    let r = b
        .post(
            "/compte/inscription/etape-3",
            &[("cgu", "1"), ("reglement", "1")],
        )
        .await;
    b.follow(r).await;
    b.post("/compte/inscription/etape-4", &[("action", "valider")])
        .await;
    let link = portal.last_link(email, "/compte/activation").await;
    b.get(&link).await;
    b
}

/// An active family account linked to a dossier, as a session holds it.
fn family_account(numero: &str) -> shared::accounts::Account {
    use shared::accounts::{Account, Kind, Status};
    Account {
        statut: Status::Active,
        dossier: Some(numero.into()),
        ..Account::new(
            Kind::Family,
            ("Test", "Famille"),
            "famille@example.org",
            "famille.test",
            Utc::now(),
        )
    }
}

/// What `shared::access` grants the signed-in family of `numero` for one
/// of its children (tests that call `shared` directly, as a handler does).
pub fn granted(
    numero: &str,
    child: &shared::domain::dossier::Child,
) -> shared::access::Granted<shared::domain::dossier::Child> {
    let access = shared::access::FamilyAccess::of(family_account(numero)).expect("famille");
    access
        .child(std::slice::from_ref(child), &child.id)
        .expect("enfant")
}

/// The decider of an agent of `service`.
pub fn decider(service: shared::accounts::Service) -> shared::access::Decider {
    let mut agent = family_account("-");
    agent.kind = shared::accounts::Kind::Agent;
    agent.dossier = None;
    agent.service = Some(service);
    shared::access::AgentAccess::of(agent)
        .expect("agent")
        .decider(service.id())
        .expect("service")
}

/// A family signed in again (its session expired) with its password.
pub async fn signed_in(portal: &TestPortal, username: &str) -> Browser {
    let mut b = portal.browser();
    b.get("/compte/connexion").await;
    let r = b
        .post(
            "/compte/connexion",
            &[("identifiant", username), ("mot_de_passe", FAMILY_PASSWORD)],
        )
        .await;
    assert!(r.status.is_redirection(), "connexion : {}", r.status);
    b
}
