//! The reference for the cold-start benchmark: the smallest `lambda_http`
//! function (AWS's "hello world"), built with the workspace's profile.

use lambda_http::{Body, Error, Request, Response, run, service_fn};

async fn hello(_: Request) -> Result<Response<Body>, Error> {
    Ok(Response::builder()
        .status(200)
        .header("content-type", "text/html; charset=utf-8")
        .body("<!doctype html><title>Bonjour</title><p>Bonjour".into())?)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(hello)).await
}
