//! The `backoffice` Lambda function: one route group behind the Lambda host
//! (`functions::host`), on API Gateway HTTP API events.

shared::allocator!();

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    functions::host::serve_http(functions::backoffice::router).await
}
