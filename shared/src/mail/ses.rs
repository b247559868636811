//! The AWS mail transport: SES `SendRawEmail`, so text, HTML and attachments
//! travel in one MIME message.

use super::{Mail, MailError, Mailer, to_mime};
use async_trait::async_trait;
use aws_sdk_ses::Client;
use aws_sdk_ses::primitives::Blob;
use aws_sdk_ses::types::RawMessage;

pub struct Ses {
    client: Client,
    from: String,
}

impl Ses {
    pub fn new(client: Client, from: impl Into<String>) -> Self {
        Self {
            client,
            from: from.into(),
        }
    }
}

#[async_trait]
impl Mailer for Ses {
    async fn send(&self, message_id: &str, mail: &Mail) -> Result<String, MailError> {
        let raw = to_mime(&self.from, message_id, mail)?;
        let message = RawMessage::builder()
            .data(Blob::new(raw))
            .build()
            .map_err(|e| MailError::Build(e.to_string()))?;
        let out = self
            .client
            .send_raw_email()
            .raw_message(message)
            .send()
            .await
            .map_err(|e| {
                use aws_sdk_ses::error::ProvideErrorMetadata;
                let detail = match &e {
                    aws_sdk_ses::error::SdkError::ServiceError(s) => format!(
                        "{} {}",
                        s.err().code().unwrap_or("SES"),
                        s.err().message().unwrap_or_default()
                    ),
                    other => format!("{other:?}"),
                };
                MailError::Transport(detail)
            })?;
        tracing::info!(message_id = %out.message_id, "courriel remis à SES");
        Ok(out.message_id)
    }
}
