//! The `mailer` Lambda function: triggered by the table's stream, filtered
//! (in the template) to new outbox items; delivers each one. A failed
//! attempt is recorded on the message and retried by the `jobs` function,
//! so the batch itself only fails when the table cannot be read (then
//! Lambda retries the records it names).

shared::allocator!();

use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lambda_http::{LambdaEvent, service_fn};
use serde_dynamo::AttributeValue;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let app = functions::host::start().await?;
    let app = &app;
    lambda_http::lambda_runtime::run(service_fn(move |event: LambdaEvent<Event>| async move {
        let mut failures = DynamoDbEventResponse::default();
        for record in event.payload.records {
            let id = match record.change.keys.get("pk") {
                Some(AttributeValue::S(pk)) => shared::outbox::id_of(pk).map(str::to_owned),
                _ => None,
            };
            let Some(id) = id else { continue };
            if let Err(e) = shared::outbox::deliver(app, &id).await {
                tracing::error!(message = %id, error = %e, "message illisible");
                let mut failure = DynamoDbBatchItemFailure::default();
                failure.item_identifier = record.change.sequence_number.clone();
                failures.batch_item_failures.push(failure);
            }
        }
        Ok::<_, lambda_http::Error>(failures)
    }))
    .await
}
