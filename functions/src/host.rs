//! The Lambda host of every function: start-up (configuration read once,
//! an error reported to the runtime API's `/init/error` with the variable's
//! name), and for the HTTP functions the path from an API Gateway HTTP API
//! event (payload 2.0) to the route group and back.
//!
//! What the `lambda_http` adapter alone would do wrong, and this host does
//! instead:
//! - an event that is not an HTTP API event: one clear line in the log and an
//!   error posted to the runtime API (not a handler called with defaults);
//! - a body marked base64 that does not decode: a French 400 page (the
//!   adapter panics on it);
//! - a panic anywhere on the request's path: a French 500 page, and the
//!   process goes on serving the next invocation;
//! - an answer over Lambda's 6 MB payload limit: a French 500 page and an
//!   error in the log (the runtime API would refuse it with a 413, and the
//!   client would get a bare 502 from API Gateway).

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use futures_util::FutureExt;
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use lambda_http::request::LambdaRequest;
use lambda_http::{Adapter, Body, Error, LambdaEvent, Service, service_fn};
use serde_json::Value;
use shared::App;
use std::panic::AssertUnwindSafe;

/// Lambda's synchronous response payload limit (6 MB), the JSON envelope
/// included.
pub const MAX_PAYLOAD: usize = 6_291_556;

/// Room left in [`MAX_PAYLOAD`] for the envelope (status, headers, cookies).
const ENVELOPE: usize = 64 * 1024;

/// Reads the configuration and builds the [`App`], once per process. A
/// failure is logged, reported to the runtime API as an init error (Lambda
/// shows it in the console and the next cold start tries again), and ends
/// the process.
pub async fn start() -> Result<App, Error> {
    shared::telemetry::init();
    match App::on_aws_from_env().await {
        Ok(app) => Ok(app),
        Err(e) => {
            let kind = match e {
                shared::app::StartError::Config(_) => "Runtime.ConfigError",
                shared::app::StartError::Store(_) => "Runtime.StoreError",
            };
            tracing::error!(error = %e, "démarrage impossible");
            report_init_error(kind, &e.to_string()).await;
            Err(e.into())
        }
    }
}

/// The site bucket of the `site` function, from its variables; a missing
/// one is reported to the runtime API as an init error naming it.
pub async fn site_bucket(app: &App) -> Result<site::publish::Bucket, Error> {
    match site::publish::Bucket::from_lookup(&app.config.aws_region, |k| std::env::var(k).ok())
        .await
    {
        Ok(bucket) => Ok(bucket),
        Err(e) => {
            tracing::error!(error = %e, "démarrage impossible");
            report_init_error("Runtime.ConfigError", &e.to_string()).await;
            Err(e.into())
        }
    }
}

/// Posts an init error to the runtime API (`/2018-06-01/runtime/init/error`),
/// as AWS documents it: the type in `Lambda-Runtime-Function-Error-Type`, a
/// JSON body with `errorMessage` and `errorType`.
async fn report_init_error(kind: &str, message: &str) {
    use lambda_runtime_api_client as api;
    let Ok(client) = api::Client::builder().build() else {
        return;
    };
    let body = serde_json::json!({ "errorMessage": message, "errorType": kind }).to_string();
    let request = api::build_request()
        .method("POST")
        .uri("/2018-06-01/runtime/init/error")
        .header("Lambda-Runtime-Function-Error-Type", kind)
        .header(header::CONTENT_TYPE, "application/json")
        .body(api::body::Body::from(body));
    if let Ok(request) = request
        && let Err(e) = client.call(request).await
    {
        tracing::error!(error = %e, "erreur de démarrage non transmise à l'API d'exécution");
    }
}

/// Starts, then serves one route group (with the common layers) to API
/// Gateway HTTP API events until the process ends.
pub async fn serve_http(group: fn(App) -> Router) -> Result<(), Error> {
    let app = start().await?;
    let adapter = Adapter::from(shared::web::with_common_layers(group(app)));
    lambda_http::lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let adapter = adapter.clone();
        async move { answer(adapter, event).await }
    }))
    .await
}

type HttpAdapter = Adapter<'static, axum::response::Response, Router>;

/// Why an event is not served.
enum Refusal {
    /// Not an API Gateway HTTP API event (payload 2.0): nothing to answer.
    NotHttpApi(String),
    /// An HTTP API event whose body, marked base64, does not decode.
    BadBase64,
}

/// One invocation: the event checked, the request served (a panic caught),
/// the answer measured.
async fn answer(mut adapter: HttpAdapter, event: LambdaEvent<Value>) -> Result<Value, Error> {
    let LambdaEvent { payload, context } = event;
    let path = payload["rawPath"].as_str().unwrap_or("/").to_owned();
    let request = match http_api_request(payload) {
        Ok(request) => request,
        Err(Refusal::NotHttpApi(reason)) => {
            tracing::error!(%reason, "événement refusé : ce n'est pas une requête API Gateway HTTP API (format 2.0)");
            return Err(format!("événement qui n'est pas une requête HTTP API : {reason}").into());
        }
        Err(Refusal::BadBase64) => {
            tracing::warn!(%path, "corps de requête marqué base64 mais illisible");
            return Ok(error_answer(
                StatusCode::BAD_REQUEST,
                "Requête illisible",
                "Le contenu envoyé n'a pas pu être lu. Rechargez la page et recommencez.",
            ));
        }
    };
    let served = match std::panic::catch_unwind(AssertUnwindSafe(|| {
        adapter.call(LambdaEvent::new(request, context))
    })) {
        Ok(future) => AssertUnwindSafe(future).catch_unwind().await,
        Err(panic) => Err(panic),
    };
    let response = match served {
        Ok(Ok(response)) => response,
        Ok(Err(never)) => match never {},
        Err(_) => {
            tracing::error!(%path, "panique pendant le traitement d'une requête");
            return Ok(page_for(StatusCode::INTERNAL_SERVER_ERROR, &path));
        }
    };
    Ok(within_payload_limit(
        serde_json::to_value(&response)?,
        &path,
    ))
}

/// The answer, or in its place a French 500 page (and an error in the log)
/// when its body would take the payload over Lambda's limit.
pub fn within_payload_limit(answer: Value, path: &str) -> Value {
    let size = body_size(&answer);
    if size <= MAX_PAYLOAD - ENVELOPE {
        return answer;
    }
    tracing::error!(%path, size, limit = MAX_PAYLOAD, "réponse trop volumineuse pour Lambda : remplacée par une page d'erreur");
    error_answer(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Réponse trop volumineuse",
        "Ce contenu dépasse la taille qu'Espace Famille peut envoyer en une fois. Le service a été averti ; contactez la mairie si vous en avez besoin.",
    )
}

/// The event as an HTTP API request, or why not.
fn http_api_request(payload: Value) -> Result<LambdaRequest, Refusal> {
    if payload["version"] != "2.0" || !payload["requestContext"]["http"]["method"].is_string() {
        let what = match &payload {
            Value::Object(map) => {
                let keys: Vec<&str> = map.keys().map(String::as_str).take(8).collect();
                format!("champs {}", keys.join(", "))
            }
            other => format!("valeur JSON {}", json_kind(other)),
        };
        return Err(Refusal::NotHttpApi(format!(
            "ni version 2.0 ni requestContext.http.method ({what})"
        )));
    }
    if payload["isBase64Encoded"] == true
        && let Some(body) = payload["body"].as_str()
    {
        use base64::Engine;
        if base64::engine::general_purpose::STANDARD
            .decode(body)
            .is_err()
        {
            return Err(Refusal::BadBase64);
        }
    }
    serde_json::from_value(payload).map_err(|e| Refusal::NotHttpApi(e.to_string()))
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "booléenne",
        Value::Number(_) => "numérique",
        Value::String(_) => "texte",
        Value::Array(_) => "tableau",
        Value::Object(_) => "objet",
    }
}

/// The bytes the answer's body takes in the payload (base64 as sent).
fn body_size(answer: &Value) -> usize {
    answer["body"].as_str().map_or(0, str::len)
}

/// The French page for a status (the common layers' page).
fn page_for(status: StatusCode, path: &str) -> Value {
    html_answer(
        status,
        shared::layout::error_page::render_error(status, path),
    )
}

fn error_answer(status: StatusCode, title: &str, text: &str) -> Value {
    html_answer(
        status,
        shared::layout::error_page::render_error_with(status, title, text),
    )
}

/// An HTTP API answer (payload 2.0) carrying a page, with the headers every
/// dynamic page carries.
fn html_answer(status: StatusCode, page: maud::Markup) -> Value {
    // The struct is `#[non_exhaustive]`: built from its default.
    let mut response = ApiGatewayV2httpResponse::default();
    response.status_code = i64::from(status.as_u16());
    response.body = Some(Body::Text(page.into_string()));
    response.headers = [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (
            header::CONTENT_SECURITY_POLICY,
            shared::web::layers::CONTENT_SECURITY_POLICY,
        ),
    ]
    .into_iter()
    .map(|(name, value)| (name, HeaderValue::from_static(value)))
    .collect();
    serde_json::to_value(response).unwrap_or(Value::Null)
}
