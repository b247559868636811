//! Publishing the site after the web team's change, with the same builder
//! in both hosts ([`shared::publishing::rebuild`]: one build at a time, the
//! latest content wins):
//!
//! - locally ([`LocalBuilds`]): at once, into the portal's site folder,
//!   swapped in whole when complete; the portal then serves the new files;
//! - on AWS ([`Bucket`]): the `site` function builds into its temporary
//!   space, uploads to the site bucket only the files whose content changed
//!   (S3's ETag of a simple upload is the MD5 of its bytes), new assets
//!   before the pages that name them, deletes the pages that are gone, then
//!   invalidates the changed paths on CloudFront.

use crate::content::{ContentSource, Stored};
use async_trait::async_trait;
use futures_util::{StreamExt, TryStreamExt};
use md5::{Digest, Md5};
use shared::App;
use shared::publishing::{self, Rebuilt, SiteBuilds};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Files sent to the bucket at once (the first publication of a large
/// site is thousands of them, within the function's 300 s).
const UPLOADS_IN_FLIGHT: usize = 16;

/// Builds the site from `source` into `out` (swapped in when complete).
pub async fn build_from(
    source: &dyn ContentSource,
    out: &Path,
    site_url: &str,
) -> Result<crate::Report, String> {
    let content = source.load().await?;
    let (out, site_url) = (out.to_owned(), site_url.to_owned());
    tokio::task::spawn_blocking(move || crate::build_content(&out, &content, &site_url))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("{e:#}"))
}

/// The local portal's builds: the store's content into the site folder,
/// then `on_built` (the portal forgets the files it kept in memory).
pub struct LocalBuilds {
    pub out: PathBuf,
    pub site_url: String,
    /// The folder the store is seeded from on first use.
    pub seed_from: Option<PathBuf>,
    pub on_built: Box<dyn Fn() + Send + Sync>,
}

impl LocalBuilds {
    /// Builds until the site shows the latest content.
    pub async fn rebuild(&self, app: &App) -> Result<Rebuilt, String> {
        let source = Stored {
            app: app.clone(),
            seed_from: self.seed_from.clone(),
        };
        publishing::rebuild(app, |generation| {
            let source = &source;
            async move {
                let started = std::time::Instant::now();
                let report = build_from(source, &self.out, &self.site_url).await?;
                (self.on_built)();
                tracing::info!(
                    generation,
                    pages = report.pages,
                    ms = started.elapsed().as_millis() as u64,
                    "site reconstruit"
                );
                Ok(())
            }
        })
        .await
    }
}

#[async_trait]
impl SiteBuilds for LocalBuilds {
    async fn changed(&self, app: &App) {
        if let Err(e) = self.rebuild(app).await {
            // The previous site stays; the next change or start builds again.
            tracing::error!(error = %e, "reconstruction du site impossible");
        }
    }
}

/// The site bucket and, when there is one, its CloudFront distribution.
#[derive(Clone)]
pub struct Bucket {
    pub s3: aws_sdk_s3::Client,
    pub bucket: String,
    pub cdn: Option<(aws_sdk_cloudfront::Client, String)>,
}

impl Bucket {
    /// The site bucket of the `site` function (and of `portal site
    /// publier`): `EF_SITE_BUCKET`, `EF_CLOUDFRONT_DISTRIBUTION` (optional),
    /// and, for S3-compatible test servers, `EF_S3_ENDPOINT` and
    /// `EF_CLOUDFRONT_ENDPOINT`. A missing variable is named.
    pub async fn from_lookup(
        region: &str,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, shared::config::ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let bucket = get("EF_SITE_BUCKET").ok_or_else(|| shared::config::ConfigError {
            var: "EF_SITE_BUCKET",
            reason: "obligatoire : le bucket S3 du site statique".into(),
        })?;
        let sdk = shared::app::aws_sdk_config(region).await;
        let mut s3 = aws_sdk_s3::config::Builder::from(&sdk);
        if let Some(url) = get("EF_S3_ENDPOINT") {
            s3 = s3.endpoint_url(url).force_path_style(true);
        }
        let cdn = get("EF_CLOUDFRONT_DISTRIBUTION").map(|distribution| {
            let mut cf = aws_sdk_cloudfront::config::Builder::from(&sdk);
            if let Some(url) = get("EF_CLOUDFRONT_ENDPOINT") {
                cf = cf.endpoint_url(url);
            }
            (
                aws_sdk_cloudfront::Client::from_conf(cf.build()),
                distribution,
            )
        });
        Ok(Self {
            s3: aws_sdk_s3::Client::from_conf(s3.build()),
            bucket,
            cdn,
        })
    }
}

/// What an upload did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Synced {
    /// Keys uploaded (new or changed), in upload order.
    pub uploaded: Vec<String>,
    pub deleted: Vec<String>,
    pub unchanged: usize,
    /// The paths invalidated on CloudFront.
    pub invalidated: Vec<String>,
}

/// More paths than this are invalidated as one `/*` (CloudFront counts
/// each path of an invalidation; a wildcard counts once).
const MAX_PATHS: usize = 500;

/// The `Content-Type` of a site file, by its extension.
pub fn content_type(key: &str) -> &'static str {
    match key.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "xml" => "application/xml; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "json" => "application/json",
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "svg" => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

/// The addresses CloudFront serves a key under: a folder's `index.html`
/// is also the folder (`/actualites/` for `actualites/index.html`).
pub fn paths_of(key: &str) -> Vec<String> {
    let mut paths = vec![format!("/{key}")];
    if let Some(folder) = key.strip_suffix("index.html") {
        paths.push(format!("/{folder}"));
    }
    paths
}

/// Every file under `dir`, as bucket keys, sorted.
fn walk(dir: &Path) -> Result<Vec<(String, PathBuf)>, String> {
    let mut out = Vec::new();
    let mut folders = vec![dir.to_owned()];
    while let Some(folder) = folders.pop() {
        let entries =
            std::fs::read_dir(&folder).map_err(|e| format!("{} : {e}", folder.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.is_dir() {
                folders.push(path);
            } else if let Ok(relative) = path.strip_prefix(dir) {
                let key = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                out.push((key, path));
            }
        }
    }
    out.sort();
    Ok(out)
}

fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Bucket {
    /// The bucket's keys and their ETags (quotes removed).
    async fn list(&self) -> Result<HashMap<String, String>, String> {
        let mut found = HashMap::new();
        let mut pages = self
            .s3
            .list_objects_v2()
            .bucket(&self.bucket)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| format!("liste du bucket du site : {e}"))?;
            for o in page.contents() {
                if let Some(key) = o.key() {
                    let etag = o.e_tag().unwrap_or_default().trim_matches('"').to_owned();
                    found.insert(key.to_owned(), etag);
                }
            }
        }
        Ok(found)
    }

    /// Makes the bucket hold exactly the files of `dir`: the changed ones
    /// uploaded (assets and files first, pages last), the others deleted
    /// (after the uploads), the changed paths invalidated.
    pub async fn sync(&self, dir: &Path) -> Result<Synced, String> {
        let remote = self.list().await?;
        let local = walk(dir)?;
        let mut synced = Synced::default();
        // Assets and images first, pages last: a page never names a file not
        // yet uploaded. Within each, UPLOADS_IN_FLIGHT at a time; `uploaded`
        // keeps the order in which they were sent.
        let (pages, assets): (Vec<_>, Vec<_>) =
            local.iter().partition(|(key, _)| key.ends_with(".html"));
        for group in [assets, pages] {
            let sent: Vec<Option<String>> = futures_util::stream::iter(group)
                .map(|(key, path)| self.upload_if_changed(&remote, key, path))
                .buffer_unordered(UPLOADS_IN_FLIGHT)
                .try_collect()
                .await?;
            for key in sent {
                match key {
                    Some(key) => synced.uploaded.push(key),
                    None => synced.unchanged += 1,
                }
            }
        }
        let kept: std::collections::HashSet<&str> = local.iter().map(|(k, _)| k.as_str()).collect();
        let mut gone: Vec<String> = remote
            .keys()
            .filter(|k| !kept.contains(k.as_str()))
            .cloned()
            .collect();
        gone.sort();
        for chunk in gone.chunks(1000) {
            let objects = chunk
                .iter()
                .map(|k| {
                    aws_sdk_s3::types::ObjectIdentifier::builder()
                        .key(k)
                        .build()
                        .map_err(|e| e.to_string())
                })
                .collect::<Result<Vec<_>, _>>()?;
            let delete = aws_sdk_s3::types::Delete::builder()
                .set_objects(Some(objects))
                .quiet(true)
                .build()
                .map_err(|e| e.to_string())?;
            self.s3
                .delete_objects()
                .bucket(&self.bucket)
                .delete(delete)
                .send()
                .await
                .map_err(|e| format!("suppression dans le bucket du site : {e}"))?;
        }
        synced.deleted = gone;
        synced.invalidated = self.invalidate(&synced).await?;
        Ok(synced)
    }

    /// Uploads one file unless the bucket has the same bytes (its ETag);
    /// the key if it was sent.
    async fn upload_if_changed(
        &self,
        remote: &HashMap<String, String>,
        key: &str,
        path: &Path,
    ) -> Result<Option<String>, String> {
        let bytes = tokio::fs::read(path)
            .await
            .map_err(|e| format!("{} : {e}", path.display()))?;
        if remote.get(key) == Some(&md5_hex(&bytes)) {
            return Ok(None);
        }
        let cache = if key.ends_with(".html") || key.ends_with(".xml") || key.ends_with(".txt") {
            "public, max-age=300"
        } else {
            "public, max-age=86400"
        };
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type(key))
            .cache_control(cache)
            .body(bytes.into())
            .send()
            .await
            .map_err(|e| format!("envoi de {key} : {e}"))?;
        Ok(Some(key.to_owned()))
    }

    async fn invalidate(&self, synced: &Synced) -> Result<Vec<String>, String> {
        let Some((cdn, distribution)) = &self.cdn else {
            return Ok(vec![]);
        };
        let mut paths: Vec<String> = synced
            .uploaded
            .iter()
            .chain(&synced.deleted)
            .flat_map(|k| paths_of(k))
            .collect();
        if paths.is_empty() {
            return Ok(paths);
        }
        if paths.len() > MAX_PATHS {
            paths = vec!["/*".into()];
        }
        let batch = aws_sdk_cloudfront::types::InvalidationBatch::builder()
            .caller_reference(ulid::Ulid::new().to_string())
            .paths(
                aws_sdk_cloudfront::types::Paths::builder()
                    .quantity(paths.len() as i32)
                    .set_items(Some(paths.clone()))
                    .build()
                    .map_err(|e| e.to_string())?,
            )
            .build()
            .map_err(|e| e.to_string())?;
        cdn.create_invalidation()
            .distribution_id(distribution)
            .invalidation_batch(batch)
            .send()
            .await
            .map_err(|e| format!("invalidation CloudFront : {e}"))?;
        Ok(paths)
    }

    /// Builds the store's content into `work` (the function's temporary
    /// space) and uploads it, until the bucket shows the latest content.
    pub async fn publish(
        &self,
        app: &App,
        work: &Path,
        site_url: &str,
        seed_from: Option<PathBuf>,
    ) -> Result<(Rebuilt, Synced), String> {
        let source = Stored {
            app: app.clone(),
            seed_from,
        };
        let total = std::sync::Mutex::new(Synced::default());
        let rebuilt = publishing::rebuild(app, |generation| {
            let (source, total) = (&source, &total);
            async move {
                build_from(source, work, site_url).await?;
                let synced = self.sync(work).await?;
                tracing::info!(
                    generation,
                    envoyes = synced.uploaded.len(),
                    supprimes = synced.deleted.len(),
                    inchanges = synced.unchanged,
                    "site publié"
                );
                let mut total = total.lock().unwrap_or_else(|e| e.into_inner());
                total.uploaded.extend(synced.uploaded);
                total.deleted.extend(synced.deleted);
                total.unchanged = synced.unchanged;
                total.invalidated.extend(synced.invalidated);
                Ok(())
            }
        })
        .await?;
        Ok((
            rebuilt,
            total.into_inner().unwrap_or_else(|e| e.into_inner()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_types() {
        assert_eq!(paths_of("index.html"), ["/index.html", "/"]);
        assert_eq!(
            paths_of("actualites/x/index.html"),
            ["/actualites/x/index.html", "/actualites/x/"]
        );
        assert_eq!(paths_of("documents/a.pdf"), ["/documents/a.pdf"]);
        assert_eq!(content_type("a/b.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("x.jpg"), "image/jpeg");
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
    }

    #[test]
    fn walk_lists_keys_with_slashes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        std::fs::write(dir.path().join("a/b/index.html"), "x").unwrap();
        std::fs::write(dir.path().join("robots.txt"), "x").unwrap();
        let keys: Vec<String> = walk(dir.path())
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, ["a/b/index.html", "robots.txt"]);
    }
}
