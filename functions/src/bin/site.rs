//! The `site` Lambda function: triggered by the table's stream, filtered
//! (in the template) to the change of the site content's generation (every
//! change of the web team raises it); builds the site from the store into
//! the function's temporary space and uploads what changed to the site
//! bucket, then invalidates those paths on CloudFront. Any other event (an
//! operator's manual invocation) builds the same way. A failed build fails
//! the invocation: the previous site stays, and Lambda retries the records.

shared::allocator!();

use lambda_http::{LambdaEvent, service_fn};
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let app = functions::host::start().await?;
    let bucket = functions::host::site_bucket(&app).await?;
    let work = std::env::temp_dir().join("site");
    let (app, bucket, work) = (&app, &bucket, &work);
    lambda_http::lambda_runtime::run(service_fn(move |_: LambdaEvent<Value>| async move {
        let (rebuilt, synced) = bucket
            .publish(app, work, &app.config.public_url, None)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "publication du site impossible");
                lambda_http::Error::from(e)
            })?;
        Ok::<_, lambda_http::Error>(json!({
            "generation": match rebuilt {
                shared::publishing::Rebuilt::Built(g) => Some(g),
                shared::publishing::Rebuilt::Busy => None,
            },
            "envoyes": synced.uploaded.len(),
            "supprimes": synced.deleted.len(),
            "inchanges": synced.unchanged,
            "invalides": synced.invalidated.len(),
        }))
    }))
    .await
}
