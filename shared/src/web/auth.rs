//! Who is asking, on the web side: the visitor's cookie (the binding of its
//! CSRF token), the CSRF check on every POST, the family's and the agent's
//! sessions, and the client's address for throttling.

use super::AppError;
use super::form::parse_form;
use crate::accounts::sessions::{self, REMEMBER_FOR};
use crate::accounts::tokens::{csrf_matches, csrf_token, new_token};
use crate::accounts::{Account, Kind, Status};
use crate::app::App;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, OriginalUri, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, IntoResponseParts, Redirect, Response, ResponseParts};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use maud::{Markup, html};
use serde::de::DeserializeOwned;
use std::net::SocketAddr;

pub const FAMILY_COOKIE: &str = "ef_session";
pub const AGENT_COOKIE: &str = "ef_agent";
/// A random value per browser, the binding of its CSRF tokens.
pub const VISITOR_COOKIE: &str = "ef_visiteur";
/// The name of the hidden CSRF field in every form.
pub const CSRF_FIELD: &str = "_csrf";

/// A cookie with the portal's protections: HttpOnly, SameSite=Lax, path /,
/// Secure when the portal is served over HTTPS.
pub fn cookie(app: &App, name: &'static str, value: String, persistent: bool) -> Cookie<'static> {
    let mut c = Cookie::build((name, value))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(app.config.public_url.starts_with("https://"));
    if persistent {
        c = c.max_age(time_duration(REMEMBER_FOR));
    }
    c.build()
}

fn time_duration(d: chrono::Duration) -> cookie::time::Duration {
    cookie::time::Duration::seconds(d.num_seconds())
}

/// A new visitor cookie: its random value binds the CSRF tokens of the pages
/// that follow. Set at every login and logout, so a token obtained before
/// (by whoever saw the page) is refused after.
pub fn fresh_visitor(app: &App) -> Cookie<'static> {
    cookie(app, VISITOR_COOKIE, new_token(), true)
}

/// A cookie that removes one.
pub fn removal(name: &'static str) -> Cookie<'static> {
    let mut c = Cookie::from(name);
    c.set_path("/");
    c
}

/// The CSRF token of a page's forms, and the visitor cookie to set when the
/// visitor had none. Use it as a response part: `(csrf, page)`.
pub struct Csrf {
    pub token: String,
    new_cookie: Option<Cookie<'static>>,
}

impl Csrf {
    /// The hidden field every form carries.
    pub fn field(&self) -> Markup {
        html! { input type="hidden" name=(CSRF_FIELD) value=(self.token); }
    }
}

impl FromRequestParts<App> for Csrf {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let secret = app.secret().await?;
        let (binding, new_cookie) = match jar.get(VISITOR_COOKIE).map(|c| c.value().to_owned()) {
            Some(v) if crate::accounts::tokens::is_token_shaped(&v) => (v, None),
            _ => {
                let v = new_token();
                (v.clone(), Some(cookie(app, VISITOR_COOKIE, v, true)))
            }
        };
        Ok(Csrf {
            token: csrf_token(secret, &binding),
            new_cookie,
        })
    }
}

impl IntoResponseParts for Csrf {
    type Error = std::convert::Infallible;

    fn into_response_parts(self, res: ResponseParts) -> Result<ResponseParts, Self::Error> {
        match self.new_cookie {
            Some(c) => CookieJar::new().add(c).into_response_parts(res),
            None => Ok(res),
        }
    }
}

/// A form whose CSRF token was checked against the visitor's cookie; without
/// it, or with a wrong one, the answer is a French 403 page and nothing runs.
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned> FromRequest<App> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, app: &App) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(req.headers());
        let binding = jar.get(VISITOR_COOKIE).map(|c| c.value().to_owned());
        let body = super::form::form_body(req, app).await?;
        let pairs: Vec<(String, String)> =
            parse_form(&body).map_err(IntoResponse::into_response)?;
        let submitted = pairs
            .iter()
            .find(|(k, _)| k == CSRF_FIELD)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default();
        let secret = app
            .secret()
            .await
            .map_err(|e| AppError::from(e).into_response())?;
        match binding {
            Some(b) if csrf_matches(secret, &b, submitted) => {}
            _ => return Err(AppError::CsrfRejected.into_response()),
        }
        parse_form(&body)
            .map(CsrfForm)
            .map_err(IntoResponse::into_response)
    }
}

/// The signed-in family: its account and session token. Without a live
/// session, a redirect to the login page that comes back here after.
pub struct Family {
    pub account: Account,
    pub session: String,
}

/// The signed-in agent, the same way on the agents' side.
pub struct Agent {
    pub account: Account,
    pub session: String,
    /// The proof that reads dossiers and issues the service's decider.
    pub access: crate::access::AgentAccess,
}

async fn signed_in(
    parts: &mut Parts,
    app: &App,
    kind: Kind,
) -> Result<Option<(Account, String)>, AppError> {
    let name = match kind {
        Kind::Family => FAMILY_COOKIE,
        Kind::Agent => AGENT_COOKIE,
    };
    let jar = CookieJar::from_headers(&parts.headers);
    let Some(token) = jar.get(name).map(|c| c.value().to_owned()) else {
        return Ok(None);
    };
    if !crate::accounts::tokens::is_token_shaped(&token) {
        return Ok(None);
    }
    let found = sessions::find(app.store.as_ref(), &token, kind, app.clock.now()).await?;
    Ok(found.map(|(_, account)| (account, token)))
}

fn to_login(parts: &Parts, login: &str) -> Response {
    let here = parts
        .extensions
        .get::<OriginalUri>()
        .map(|u| u.0.path().to_owned())
        .unwrap_or_else(|| parts.uri.path().to_owned());
    let back = percent_encoding::utf8_percent_encode(&here, percent_encoding::NON_ALPHANUMERIC);
    Redirect::to(&format!("{login}?retour={back}")).into_response()
}

impl FromRequestParts<App> for Family {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        match signed_in(parts, app, Kind::Family).await {
            Ok(Some((account, session)))
                if matches!(
                    account.statut,
                    Status::Active | Status::Review | Status::Refused
                ) =>
            {
                Ok(Family { account, session })
            }
            Ok(_) => Err(to_login(parts, "/compte/connexion")),
            Err(e) => Err(e.into_response()),
        }
    }
}

impl FromRequestParts<App> for Agent {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        match signed_in(parts, app, Kind::Agent).await {
            Ok(Some((account, session))) => match crate::access::AgentAccess::of(account.clone()) {
                Some(access) => Ok(Agent {
                    account,
                    session,
                    access,
                }),
                None => Err(to_login(parts, "/agents/connexion")),
            },
            Ok(_) => Err(to_login(parts, "/agents/connexion")),
            Err(e) => Err(e.into_response()),
        }
    }
}

/// The client's address, for throttling failed logins: the peer address
/// locally, CloudFront's viewer address on AWS.
pub struct ClientAddress(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let from_cloudfront = parts
            .headers
            .get("cloudfront-viewer-address")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit_once(':').map(|(ip, _)| ip.to_owned()));
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        // The peer first: locally it is the browser, and a header could be
        // forged; on Lambda there is no peer, and CloudFront sets the header.
        Ok(ClientAddress(
            peer.or(from_cloudfront)
                .unwrap_or_else(|| "inconnue".into()),
        ))
    }
}

/// A safe place to go back to (after login, after an agent's decision): a
/// path of the portal only — one `/`, then neither `/` nor `\`, no `\`
/// anywhere, only visible ASCII (no control or white-space character, which
/// browsers drop: `/\t/evil.example` reads as `//evil.example`), under
/// 200 characters. Anything else goes to `default`.
pub fn safe_return(path: Option<&str>, default: &str) -> String {
    match path {
        Some(p) if is_portal_path(p) => p.to_owned(),
        _ => default.to_owned(),
    }
}

fn is_portal_path(p: &str) -> bool {
    p.starts_with('/')
        && !matches!(p.as_bytes().get(1), Some(b'/' | b'\\'))
        && !p.contains('\\')
        && p.len() < 200
        && p.chars().all(|c| c.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_paths_stay_local() {
        assert_eq!(
            safe_return(Some("/compte/mon-compte"), "/x"),
            "/compte/mon-compte"
        );
        assert_eq!(safe_return(Some("//evil.example"), "/x"), "/x");
        assert_eq!(safe_return(Some("https://evil.example"), "/x"), "/x");
        assert_eq!(safe_return(Some("/\\evil"), "/x"), "/x");
        assert_eq!(safe_return(None, "/x"), "/x");
        for bad in [
            "/\t/evil.example/",
            "/\n/evil.example",
            "/\r//evil.example",
            "/ /evil.example",
            "/compte\u{1}",
            "/compte\u{7f}",
            "/compte\n",
            "/compte\r",
            "\\\\evil.example",
            "/a\\b",
            "evil.example",
            "http://evil.example/",
            "",
            "/\u{a0}/evil.example",
        ] {
            assert_eq!(safe_return(Some(bad), "/x"), "/x", "{bad:?}");
        }
        assert_eq!(
            safe_return(Some("/planning?mois=2026-12&vue=semaine"), "/x"),
            "/planning?mois=2026-12&vue=semaine"
        );
    }
}
