//! The `messagerie` Lambda function (the families' pages; the agents'
//! inbox is in `backoffice`): build `App` once, then serve the group.

shared::allocator!();

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let app = shared::App::from_env().await?;
    let router = shared::web::with_common_layers(functions::messagerie::router(app));
    lambda_http::run(router).await
}
