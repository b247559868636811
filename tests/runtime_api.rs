//! A local AWS Lambda Runtime API, as AWS documents it
//! (<https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html>):
//! `GET /2018-06-01/runtime/invocation/next` hands the next event to the
//! function (with its request id, deadline, function ARN and trace id
//! headers), `POST …/invocation/{id}/response` and `…/{id}/error` take its
//! outcome, `POST …/init/error` its start-up failure. A response over the
//! 6 MB payload limit is refused with 413 `Function.ResponseSizeTooLarge`,
//! as Lambda does.
//!
//! [`Function`] runs a compiled Lambda binary as a child process against it,
//! with the variables Lambda sets (and nothing else from the test's
//! environment), and keeps its log. The suite's Lambda tests and the
//! cold-start benchmark (`bench/cold-start.sh`) both use it.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path as FsPath, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::{Notify, mpsc, oneshot};

/// Lambda's synchronous response payload limit.
pub const MAX_RESPONSE: usize = 6_291_556;

/// What a function did with one event.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// `POST …/response`: the answer, as JSON.
    Response(Value),
    /// `POST …/error`: the error type header and the JSON body.
    Error { error_type: String, body: Value },
    /// A response refused for its size (bytes posted).
    TooLarge(usize),
}

impl Outcome {
    /// The answer, or a failure naming what came instead.
    pub fn response(self) -> Value {
        match self {
            Outcome::Response(v) => v,
            other => panic!("une réponse était attendue, reçu : {other:?}"),
        }
    }
}

struct Invocation {
    event: Value,
    reply: oneshot::Sender<Outcome>,
}

struct Shared {
    queue: tokio::sync::Mutex<mpsc::UnboundedReceiver<Invocation>>,
    pending: Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
    function_name: String,
    /// When the function first asked for an event (its init is over).
    first_next: OnceLock<Instant>,
    init_error: Mutex<Option<(String, Value)>>,
    changed: Notify,
}

/// The runtime API of one function instance, on a free 127.0.0.1 port.
pub struct RuntimeApi {
    pub address: SocketAddr,
    shared: Arc<Shared>,
    sender: mpsc::UnboundedSender<Invocation>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

const BASE: &str = "/2018-06-01/runtime";

impl RuntimeApi {
    pub async fn start(function_name: &str) -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            queue: tokio::sync::Mutex::new(receiver),
            pending: Mutex::new(HashMap::new()),
            function_name: function_name.to_owned(),
            first_next: OnceLock::new(),
            init_error: Mutex::new(None),
            changed: Notify::new(),
        });
        let router = Router::new()
            .route(&format!("{BASE}/invocation/next"), get(next))
            .route(
                &format!("{BASE}/invocation/{{id}}/response"),
                post(response),
            )
            .route(&format!("{BASE}/invocation/{{id}}/error"), post(error))
            .route(&format!("{BASE}/init/error"), post(init_error))
            // The limit is the runtime API's own (413 above 6 MB), not axum's.
            .layer(DefaultBodyLimit::disable())
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Self {
            address,
            shared,
            sender,
            server,
        }
    }

    /// Queues an event and waits for the function's outcome.
    pub async fn invoke(&self, event: Value) -> Outcome {
        let (reply, outcome) = oneshot::channel();
        self.sender.send(Invocation { event, reply }).unwrap();
        outcome
            .await
            .expect("the runtime API dropped the invocation")
    }

    /// When the function first asked for an event.
    pub fn first_next(&self) -> Option<Instant> {
        self.shared.first_next.get().copied()
    }

    /// The init error the function reported: its type header and body.
    pub fn init_error(&self) -> Option<(String, Value)> {
        self.shared.init_error.lock().unwrap().clone()
    }

    /// Waits until the function asks for its first event or reports an
    /// init error.
    pub async fn initialised(&self) {
        loop {
            let changed = self.shared.changed.notified();
            if self.first_next().is_some() || self.init_error().is_some() {
                return;
            }
            changed.await;
        }
    }
}

async fn next(State(shared): State<Arc<Shared>>) -> Response {
    if shared.first_next.set(Instant::now()).is_ok() {
        shared.changed.notify_waiters();
    }
    let invocation = shared.queue.lock().await.recv().await;
    let Some(Invocation { event, reply }) = invocation else {
        return StatusCode::GONE.into_response();
    };
    let id = ulid::Ulid::new().to_string().to_lowercase();
    shared.pending.lock().unwrap().insert(id.clone(), reply);
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 30_000;
    let arn = format!(
        "arn:aws:lambda:eu-west-3:123456789012:function:{}",
        shared.function_name
    );
    (
        [
            ("lambda-runtime-aws-request-id", id.clone()),
            ("lambda-runtime-deadline-ms", deadline.to_string()),
            ("lambda-runtime-invoked-function-arn", arn),
            (
                "lambda-runtime-trace-id",
                format!(
                    "Root=1-{}-{id:.24};Parent=0000000000000000;Sampled=0",
                    "00000000"
                ),
            ),
            ("content-type", "application/json".to_owned()),
        ],
        event.to_string(),
    )
        .into_response()
}

fn settle(shared: &Shared, id: &str, outcome: Outcome) -> bool {
    match shared.pending.lock().unwrap().remove(id) {
        Some(reply) => {
            let _ = reply.send(outcome);
            true
        }
        None => false,
    }
}

fn parse(body: &Bytes) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}

async fn response(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    if body.len() > MAX_RESPONSE {
        settle(&shared, &id, Outcome::TooLarge(body.len()));
        let message = format!(
            "Response payload size ({} bytes) exceeded maximum allowed payload size ({MAX_RESPONSE} bytes).",
            body.len()
        );
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            json_body(
                json!({"errorMessage": message, "errorType": "Function.ResponseSizeTooLarge"}),
            ),
        )
            .into_response();
    }
    accepted(settle(&shared, &id, Outcome::Response(parse(&body))))
}

async fn error(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let outcome = Outcome::Error {
        error_type: error_type(&headers),
        body: parse(&body),
    };
    accepted(settle(&shared, &id, outcome))
}

async fn init_error(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    *shared.init_error.lock().unwrap() = Some((error_type(&headers), parse(&body)));
    shared.changed.notify_waiters();
    accepted(true)
}

fn error_type(headers: &HeaderMap) -> String {
    headers
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn json_body(value: Value) -> impl IntoResponse {
    ([("content-type", "application/json")], value.to_string())
}

fn accepted(known: bool) -> Response {
    if known {
        (StatusCode::ACCEPTED, json_body(json!({"status": "OK"}))).into_response()
    } else {
        (
            StatusCode::BAD_REQUEST,
            json_body(
                json!({"errorMessage": "Invalid request ID", "errorType": "InvalidRequestID"}),
            ),
        )
            .into_response()
    }
}

// ------------------------------------------------------------------ process

/// Where the compiled Lambda binaries are: `EF_TEST_LAMBDA_DIR`, which
/// `tests/run.sh` sets after building them (cargo's target directory, as
/// `cargo metadata` gives it).
pub fn binary(name: &str) -> PathBuf {
    let dir = std::env::var("EF_TEST_LAMBDA_DIR").unwrap_or_else(|_| {
        panic!(
            "ce test lance les fonctions Lambda compilées : lancez `tests/run.sh`, ou \
             `cargo build -p functions --bins` puis exportez EF_TEST_LAMBDA_DIR=<dossier cible>/debug"
        )
    });
    let path = FsPath::new(&dir).join(name);
    assert!(
        path.is_file(),
        "{} introuvable : `cargo build -p functions --bins` d'abord",
        path.display()
    );
    path
}

/// A Lambda binary running against its own runtime API.
pub struct Function {
    pub api: RuntimeApi,
    child: tokio::process::Child,
    log: Arc<Mutex<String>>,
    pub started: Instant,
}

impl Function {
    /// Starts `binary` with the variables Lambda sets for a function named
    /// `name` (128 MB, `$LATEST`), then `vars` (the template's), and no other.
    pub async fn start(binary: &FsPath, name: &str, vars: &[(String, String)]) -> Self {
        let api = RuntimeApi::start(name).await;
        let mut command = tokio::process::Command::new(binary);
        command
            .env_clear()
            .envs(lambda_variables(name, &api.address.to_string()))
            .envs(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let started = Instant::now();
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("{} : {e}", binary.display()));
        let log = Arc::new(Mutex::new(String::new()));
        for stream in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let log = log.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stream).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    let mut log = log.lock().unwrap();
                    log.push_str(&line);
                    log.push('\n');
                }
            });
        }
        Self {
            api,
            child,
            log,
            started,
        }
    }

    /// Sends an event; the outcome, or a failure with the function's log if
    /// it exited or took more than 30 s.
    pub async fn invoke(&mut self, event: Value) -> Outcome {
        tokio::select! {
            outcome = tokio::time::timeout(Duration::from_secs(30), self.api.invoke(event)) => {
                outcome.unwrap_or_else(|_| panic!("pas de réponse en 30 s ; journal :\n{}", self.log()))
            }
            status = self.child.wait() => {
                panic!("la fonction s'est arrêtée ({status:?}) ; journal :\n{}", self.log())
            }
        }
    }

    /// Waits for the process to end (after an init error).
    pub async fn exit(&mut self) -> ExitStatus {
        tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("la fonction ne s'arrête pas ; journal :\n{}", self.log()))
            .unwrap()
    }

    /// Whether the process still runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Everything the function wrote so far (standard output and error).
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

/// The variables the Lambda service sets for a custom runtime
/// (`provided.al2023`), as AWS lists them ("Defined runtime environment
/// variables"), with test credentials for moto.
pub fn lambda_variables(name: &str, runtime_api: &str) -> Vec<(String, String)> {
    [
        ("AWS_LAMBDA_RUNTIME_API", runtime_api.to_owned()),
        ("AWS_LAMBDA_FUNCTION_NAME", name.to_owned()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256".to_owned()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}")),
        (
            "AWS_LAMBDA_LOG_STREAM_NAME",
            "2026/11/26/[$LATEST]0123456789abcdef".to_owned(),
        ),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_owned()),
        ("AWS_REGION", "eu-west-3".to_owned()),
        ("AWS_DEFAULT_REGION", "eu-west-3".to_owned()),
        ("AWS_ACCESS_KEY_ID", "test".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
        ("AWS_SESSION_TOKEN", "test".to_owned()),
        ("LAMBDA_TASK_ROOT", "/var/task".to_owned()),
        ("LAMBDA_RUNTIME_DIR", "/var/runtime".to_owned()),
        ("_HANDLER", "bootstrap".to_owned()),
        ("TZ", ":UTC".to_owned()),
        ("LANG", "en_US.UTF-8".to_owned()),
        ("PATH", "/usr/local/bin:/usr/bin/:/bin:/opt/bin".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

// ------------------------------------------------------------------ events

/// AWS's documented example of an HTTP API event (payload format 2.0), from
/// "Create AWS Lambda proxy integrations for HTTP APIs in API Gateway".
pub const HTTP_API_EXAMPLE: &str = include_str!("events/http-api-v2.json");
/// AWS's documented EventBridge scheduled event.
pub const SCHEDULED_EXAMPLE: &str = include_str!("events/eventbridge-scheduled.json");
/// AWS's documented DynamoDB stream event (one INSERT record).
pub const STREAM_EXAMPLE: &str = include_str!("events/dynamodb-stream.json");

/// An HTTP API request, turned into the documented event.
#[derive(Debug, Clone, Default)]
pub struct HttpRequest {
    pub method: &'static str,
    pub path: String,
    pub query: String,
    pub cookies: Vec<String>,
    pub headers: Vec<(String, String)>,
    /// The body as API Gateway passes it: text, or base64 with the flag.
    pub body: Option<String>,
    pub base64: bool,
}

impl HttpRequest {
    pub fn get(path_and_query: &str) -> Self {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        Self {
            method: "GET",
            path: path.to_owned(),
            query: query.to_owned(),
            ..Self::default()
        }
    }

    /// The event, from AWS's example with this request's parts.
    pub fn event(&self) -> Value {
        let mut event: Value = serde_json::from_str(HTTP_API_EXAMPLE).unwrap();
        event["rawPath"] = json!(self.path);
        event["rawQueryString"] = json!(self.query);
        let mut query: serde_json::Map<String, Value> = serde_json::Map::new();
        for (k, v) in url_pairs(&self.query) {
            // API Gateway joins repeated parameters with commas.
            let joined = match query.get(&k).and_then(Value::as_str) {
                Some(before) => format!("{before},{v}"),
                None => v,
            };
            query.insert(k, json!(joined));
        }
        if query.is_empty() {
            event
                .as_object_mut()
                .unwrap()
                .remove("queryStringParameters");
        } else {
            event["queryStringParameters"] = Value::Object(query);
        }
        if self.cookies.is_empty() {
            event.as_object_mut().unwrap().remove("cookies");
        } else {
            event["cookies"] = json!(self.cookies);
        }
        let mut headers = serde_json::Map::new();
        headers.insert("host".into(), json!("famille.test"));
        headers.insert("x-forwarded-proto".into(), json!("https"));
        headers.insert("user-agent".into(), json!("Mozilla/5.0 (test)"));
        for (k, v) in &self.headers {
            headers.insert(k.to_lowercase(), json!(v));
        }
        event["headers"] = Value::Object(headers);
        event["requestContext"]["http"]["method"] = json!(self.method);
        event["requestContext"]["http"]["path"] = json!(self.path);
        event["requestContext"]["domainName"] = json!("famille.test");
        event["routeKey"] = json!("$default");
        event["requestContext"]["routeKey"] = json!("$default");
        event.as_object_mut().unwrap().remove("pathParameters");
        match &self.body {
            Some(body) => event["body"] = json!(body),
            None => {
                event.as_object_mut().unwrap().remove("body");
            }
        }
        event["isBase64Encoded"] = json!(self.base64);
        event
    }
}

fn url_pairs(query: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query).unwrap_or_default()
}

/// AWS's scheduled event, as EventBridge sends it now.
pub fn scheduled_event() -> Value {
    let mut event: Value = serde_json::from_str(SCHEDULED_EXAMPLE).unwrap();
    event["time"] = json!(chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string());
    event
}

/// AWS's stream event with one INSERT record of the table item `pk`/`sk`.
pub fn stream_event(pk: &str, sk: &str) -> Value {
    let mut event: Value = serde_json::from_str(STREAM_EXAMPLE).unwrap();
    let record = &mut event["Records"][0];
    record["dynamodb"]["Keys"] = json!({"pk": {"S": pk}, "sk": {"S": sk}});
    record["dynamodb"]["NewImage"] = json!({"pk": {"S": pk}, "sk": {"S": sk}});
    event
}

// ------------------------------------------------------------------ gateway

/// API Gateway (HTTP API, payload 2.0) in front of one function instance: a
/// tower service that turns each HTTP request into the event API Gateway
/// would send (the `Cookie` header as the `cookies` array, the body as
/// base64 unless it is text or JSON, the client's address as CloudFront's
/// `cloudfront-viewer-address`), invokes the function, and turns its answer
/// back into an HTTP response (each of `cookies` as a `Set-Cookie`). The
/// function's invocations run one at a time, as in one Lambda instance.
#[derive(Clone)]
pub struct Gateway {
    function: Arc<tokio::sync::Mutex<Function>>,
}

impl Gateway {
    pub fn new(function: Function) -> Self {
        Self {
            function: Arc::new(tokio::sync::Mutex::new(function)),
        }
    }

    /// The function behind it (to send other events, read its log).
    pub fn function(&self) -> Arc<tokio::sync::Mutex<Function>> {
        self.function.clone()
    }
}

impl tower::Service<axum::http::Request<axum::body::Body>> for Gateway {
    type Response = Response;
    type Error = std::convert::Infallible;
    type Future =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<Response, Self::Error>> + Send>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: axum::http::Request<axum::body::Body>) -> Self::Future {
        let function = self.function.clone();
        Box::pin(async move {
            let event = http_event(request).await;
            let outcome = function.lock().await.invoke(event).await;
            Ok(match outcome {
                Outcome::Response(answer) => http_response(&answer),
                // API Gateway answers a failed invocation, or an answer
                // Lambda refused for its size, with a bare 502.
                Outcome::Error { .. } | Outcome::TooLarge(_) => {
                    StatusCode::BAD_GATEWAY.into_response()
                }
            })
        })
    }
}

/// The event API Gateway sends for an HTTP request.
pub async fn http_event(request: axum::http::Request<axum::body::Body>) -> Value {
    use http_body_util::BodyExt;
    let (parts, body) = request.into_parts();
    let bytes = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let mut headers = Vec::new();
    let mut cookies = Vec::new();
    for (name, value) in &parts.headers {
        let value = value.to_str().unwrap_or_default().to_owned();
        if name == axum::http::header::COOKIE {
            cookies.extend(value.split("; ").map(str::to_owned));
        } else {
            headers.push((name.as_str().to_owned(), value));
        }
    }
    if let Some(peer) = parts
        .extensions
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
    {
        headers.push(("cloudfront-viewer-address".into(), peer.0.to_string()));
    }
    let content_type = parts
        .headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let text = content_type.starts_with("text/") || content_type.starts_with("application/json");
    let body = (!bytes.is_empty()).then(|| {
        if text {
            String::from_utf8_lossy(&bytes).into_owned()
        } else {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.encode(&bytes)
        }
    });
    let method: &'static str = match parts.method.as_str() {
        "GET" => "GET",
        "POST" => "POST",
        "HEAD" => "HEAD",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        _ => "OPTIONS",
    };
    HttpRequest {
        method,
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or_default().to_owned(),
        cookies,
        headers,
        base64: body.is_some() && !text,
        body,
    }
    .event()
}

/// The HTTP response API Gateway makes of a function's answer.
pub fn http_response(answer: &Value) -> Response {
    let status = answer["statusCode"]
        .as_u64()
        .and_then(|s| StatusCode::from_u16(s as u16).ok())
        .unwrap_or(StatusCode::BAD_GATEWAY);
    let body = match answer["body"].as_str() {
        Some(b) if answer["isBase64Encoded"] == true => {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD
                .decode(b)
                .expect("réponse base64 illisible")
        }
        Some(b) => b.as_bytes().to_vec(),
        None => Vec::new(),
    };
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.remove(axum::http::header::CONTENT_TYPE);
    for (name, value) in answer["headers"].as_object().into_iter().flatten() {
        if let (Ok(name), Some(Ok(value))) = (
            axum::http::HeaderName::from_bytes(name.as_bytes()),
            value.as_str().map(axum::http::HeaderValue::from_str),
        ) {
            headers.append(name, value);
        }
    }
    for cookie in answer["cookies"].as_array().into_iter().flatten() {
        if let Some(Ok(value)) = cookie.as_str().map(axum::http::HeaderValue::from_str) {
            headers.append(axum::http::header::SET_COOKIE, value);
        }
    }
    response
}

/// The functions of the SAM template (`infra/template.yaml`): each one's
/// binary and the HTTP API paths routed to it, in the template's syntax
/// (`/compte/{proxy+}`).
pub fn template_routes(template: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    let mut binary: Option<String> = None;
    for line in template.lines() {
        let trimmed = line.trim();
        if line.starts_with("  ") && !line.starts_with("   ") && trimmed.ends_with(':') {
            binary = None;
        }
        if let Some(name) = trimmed.strip_prefix("Binary: ") {
            binary = Some(name.trim().to_owned());
            out.push((name.trim().to_owned(), Vec::new()));
        }
        if let (Some(path), Some(_)) = (trimmed.strip_prefix("Path: "), &binary) {
            out.last_mut().unwrap().1.push(path.trim().to_owned());
        }
    }
    out
}

/// Whether a request path matches a template path (`{name}` one segment,
/// `{proxy+}` one or more), and how specifically: the number of literal
/// segments, which API Gateway prefers (`/factures/{facture}/payer` over
/// `/factures/{proxy+}`).
pub fn route_match(template_path: &str, path: &str) -> Option<usize> {
    let pattern: Vec<&str> = template_path.trim_start_matches('/').split('/').collect();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let mut literal = 0;
    for (i, p) in pattern.iter().enumerate() {
        if p.ends_with("+}") {
            return (segments.len() > i && !segments[i].is_empty()).then_some(literal);
        }
        let s = segments.get(i)?;
        if p.starts_with('{') {
            if s.is_empty() {
                return None;
            }
        } else if p != s {
            return None;
        } else {
            literal += 1;
        }
    }
    (segments.len() == pattern.len()).then_some(literal)
}

/// API Gateway's routing: each request to the function whose template path
/// matches it most specifically; 404 where none does (CloudFront would
/// serve the static site there).
pub fn api_gateway(routes: Vec<(String, Gateway)>) -> Router {
    let routes = Arc::new(routes);
    Router::new().fallback(move |request: axum::extract::Request| {
        let routes = routes.clone();
        async move {
            let path = request.uri().path().to_owned();
            let best = routes
                .iter()
                .filter_map(|(template, gateway)| {
                    route_match(template, &path).map(|score| (score, gateway))
                })
                .max_by_key(|(score, _)| *score);
            match best {
                Some((_, gateway)) => {
                    let mut gateway = gateway.clone();
                    tower::Service::call(&mut gateway, request)
                        .await
                        .unwrap_or_else(|never| match never {})
                }
                None => StatusCode::NOT_FOUND.into_response(),
            }
        }
    })
}
