//! The `jobs` Lambda function: on an EventBridge schedule (every 5 minutes),
//! runs every periodic job once, within its time budget.

shared::allocator!();

use lambda_http::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let app = functions::host::start().await?;
    let app = &app;
    lambda_http::lambda_runtime::run(service_fn(
        move |_: LambdaEvent<serde_json::Value>| async move {
            let report = shared::jobs::run(app, shared::jobs::RUN_BUDGET).await?;
            tracing::info!(?report, "travaux périodiques");
            Ok::<_, lambda_http::Error>(())
        },
    ))
    .await
}
