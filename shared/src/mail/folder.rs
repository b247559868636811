//! The local mail transport: each message as an `.eml` file in a folder
//! (open it with any mail client), plus one log line with the recipient, the
//! subject and the links it holds.

use super::{Mail, MailError, Mailer, links, to_mime};
use async_trait::async_trait;
use std::path::PathBuf;

pub struct MailFolder {
    dir: PathBuf,
    from: String,
}

impl MailFolder {
    pub fn new(dir: impl Into<PathBuf>, from: impl Into<String>) -> Self {
        Self {
            dir: dir.into(),
            from: from.into(),
        }
    }
}

#[async_trait]
impl Mailer for MailFolder {
    async fn send(&self, message_id: &str, mail: &Mail) -> Result<String, MailError> {
        let raw = to_mime(&self.from, message_id, mail)?;
        let id = message_id.to_owned();
        // Named by the message id: a message delivered twice is one file.
        let path = self.dir.join(format!("{id}.eml"));
        let io = |e: std::io::Error| MailError::Transport(format!("{} : {e}", path.display()));
        tokio::fs::create_dir_all(&self.dir).await.map_err(io)?;
        tokio::fs::write(&path, raw).await.map_err(io)?;
        tracing::info!(
            to = %mail.to,
            subject = %mail.subject,
            links = ?links(&mail.text),
            file = %path.display(),
            "courriel déposé dans la boîte d'envoi locale"
        );
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn writes_one_eml_per_message() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = MailFolder::new(dir.path().join("outbox"), "noreply@example.org");
        let mail = Mail {
            to: "a@example.org".into(),
            subject: "Test".into(),
            text: "corps".into(),
            html: "<p>corps</p>".into(),
            attachments: vec![],
        };
        let id = outbox.send("01A", &mail).await.unwrap();
        let raw = std::fs::read_to_string(dir.path().join(format!("outbox/{id}.eml"))).unwrap();
        assert!(raw.contains("To: a@example.org"));
        outbox.send("01B", &mail).await.unwrap();
        assert_eq!(
            std::fs::read_dir(dir.path().join("outbox"))
                .unwrap()
                .count(),
            2
        );
    }
}
