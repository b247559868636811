//! The local portal's static site, served from memory: each file is read
//! once, then answered without touching the disk (on AWS, CloudFront plays
//! this part). `tower-http`'s `ServeDir` opened and read the file on the
//! blocking pool for every request, which made the home page five times
//! slower than a page rendered per request (BENCHMARKS.md).
//!
//! Paths are resolved as `ServeDir` did: `/` and `/x/` are `index.html`
//! files, `/x` where `x` is a folder redirects to `/x/`, no `..`, and
//! `If-Modified-Since` is honoured. Missing files are not remembered (a scan
//! of random paths cannot fill the memory), and the memory held is capped.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

/// At most this many bytes of files are kept in memory; past it, files are
/// still served, read from the disk each time.
const MEMORY: usize = 64 * 1024 * 1024;

/// The longest file name of the site's folder (most file systems).
const MAX_NAME: usize = 255;

#[derive(Clone)]
pub struct StaticSite {
    dir: PathBuf,
    cache: Arc<RwLock<Cache>>,
}

#[derive(Default)]
struct Cache {
    files: HashMap<String, Arc<File>>,
    bytes: usize,
    /// One more at each [`StaticSite::reload`]: a file read before it is
    /// not kept after it.
    generation: u64,
}

struct File {
    body: Bytes,
    content_type: HeaderValue,
    modified: Option<SystemTime>,
}

/// Where a request path leads in the site's folder.
#[derive(Debug, PartialEq)]
enum Target {
    File(PathBuf),
    /// A folder named without its final `/`.
    Folder,
    None,
}

impl StaticSite {
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_owned(),
            cache: Arc::default(),
        }
    }

    pub async fn serve(&self, request: Request) -> Response {
        if !matches!(*request.method(), Method::GET | Method::HEAD) {
            return StatusCode::METHOD_NOT_ALLOWED.into_response();
        }
        let path = request.uri().path().to_owned();
        let is_head = request.method() == Method::HEAD;
        let (cached, generation) = {
            let cache = self.cache.read().unwrap_or_else(|e| e.into_inner());
            (cache.files.get(&path).cloned(), cache.generation)
        };
        let file = match cached {
            Some(file) => file,
            None => match resolve(&self.dir, &path) {
                Target::File(on_disk) => match read(&on_disk).await {
                    Some(file) => self.keep(path.clone(), file, generation),
                    None => return StatusCode::NOT_FOUND.into_response(),
                },
                Target::Folder => {
                    let query = request
                        .uri()
                        .query()
                        .map(|q| format!("?{q}"))
                        .unwrap_or_default();
                    return Redirect::temporary(&format!("{path}/{query}")).into_response();
                }
                Target::None => return StatusCode::NOT_FOUND.into_response(),
            },
        };
        answer(&file, request.headers(), is_head)
    }

    /// The folder was built again: every file is read anew.
    pub fn reload(&self) {
        let mut cache = self.cache.write().unwrap_or_else(|e| e.into_inner());
        cache.files.clear();
        cache.bytes = 0;
        cache.generation += 1;
    }

    fn keep(&self, path: String, file: File, generation: u64) -> Arc<File> {
        let file = Arc::new(file);
        let mut cache = self.cache.write().unwrap_or_else(|e| e.into_inner());
        if cache.generation == generation && cache.bytes + file.body.len() <= MEMORY {
            cache.bytes += file.body.len();
            cache.files.insert(path, file.clone());
        }
        file
    }
}

/// The file (or folder) a request path names, never outside `dir`.
fn resolve(dir: &Path, path: &str) -> Target {
    let Ok(decoded) = percent_encoding::percent_decode_str(path).decode_utf8() else {
        return Target::None;
    };
    let mut on_disk = dir.to_owned();
    for segment in decoded.split('/').filter(|s| !s.is_empty()) {
        if segment == ".."
            || segment == "."
            || segment.len() > MAX_NAME
            || segment.contains(['\\', '\0'])
        {
            return Target::None;
        }
        on_disk.push(segment);
    }
    if decoded.ends_with('/') {
        on_disk.push("index.html");
        return Target::File(on_disk);
    }
    match std::fs::metadata(&on_disk) {
        Ok(m) if m.is_dir() => Target::Folder,
        Ok(_) => Target::File(on_disk),
        Err(_) => Target::None,
    }
}

async fn read(path: &Path) -> Option<File> {
    let body = tokio::fs::read(path).await.ok()?;
    let modified = tokio::fs::metadata(path)
        .await
        .ok()
        .and_then(|m| m.modified().ok());
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let content_type = if mime.type_() == "text" || mime.essence_str() == "application/javascript" {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_string()
    };
    Some(File {
        body: Bytes::from(body),
        content_type: HeaderValue::from_str(&content_type).ok()?,
        modified,
    })
}

fn answer(file: &File, request: &HeaderMap, is_head: bool) -> Response {
    let last_modified = file.modified.map(httpdate::fmt_http_date);
    if let (Some(since), Some(modified)) = (
        request
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok()),
        file.modified,
    ) {
        // HTTP dates count whole seconds.
        let modified_s = modified
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(u64::MAX);
        let since_s = since
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        if modified_s <= since_s {
            return StatusCode::NOT_MODIFIED.into_response();
        }
    }
    let body = if is_head {
        Body::empty()
    } else {
        Body::from(file.body.clone())
    };
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, file.content_type.clone());
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(file.body.len()));
    if let Some(v) = last_modified.and_then(|v| HeaderValue::from_str(&v).ok()) {
        headers.insert(header::LAST_MODIFIED, v);
    }
    response
}
