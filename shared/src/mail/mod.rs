//! The mail port: a French message (text and HTML, later attachments) built
//! once as a MIME message with lettre, then handed to a transport: SES on
//! AWS, an outbox folder of `.eml` files locally.

pub mod folder;
pub mod ses;
pub mod texts;

use async_trait::async_trait;
use lettre::message::{
    Attachment as MimeAttachment, Mailbox, MultiPart, SinglePart, header::ContentType,
};
use serde::{Deserialize, Serialize};

/// A file sent with a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    #[serde(with = "base64_bytes")]
    pub bytes: Vec<u8>,
}

/// Bytes kept as base64 text in a stored record (the outbox).
mod base64_bytes {
    use base64::{Engine, engine::general_purpose::STANDARD};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

/// One message to one recipient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub attachments: Vec<Attachment>,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("adresse invalide : {0}")]
    Address(String),
    #[error("message impossible à construire : {0}")]
    Build(String),
    #[error("envoi impossible : {0}")]
    Transport(String),
}

#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends a message under its `Message-ID` (the outbox's id for it, so
    /// that a message delivered twice is recognisably one); returns an id the
    /// transport gave it.
    async fn send(&self, message_id: &str, mail: &Mail) -> Result<String, MailError>;
}

/// The raw MIME message (RFC 5322), as both transports carry it, with
/// `Message-ID: <message_id@sender's domain>`.
pub fn to_mime(from: &str, message_id: &str, mail: &Mail) -> Result<Vec<u8>, MailError> {
    let from: Mailbox = from
        .parse()
        .map_err(|_| MailError::Address(format!("expéditeur « {from} »")))?;
    let to: Mailbox = mail
        .to
        .parse()
        .map_err(|_| MailError::Address("destinataire".into()))?;
    let body = MultiPart::alternative()
        .singlepart(SinglePart::plain(mail.text.clone()))
        .singlepart(SinglePart::html(mail.html.clone()));
    let body = if mail.attachments.is_empty() {
        body
    } else {
        let mut mixed = MultiPart::mixed().multipart(body);
        for a in &mail.attachments {
            let kind = ContentType::parse(&a.content_type)
                .map_err(|e| MailError::Build(format!("type {} : {e}", a.content_type)))?;
            mixed = mixed
                .singlepart(MimeAttachment::new(a.filename.clone()).body(a.bytes.clone(), kind));
        }
        mixed
    };
    let domain = from.email.domain().to_owned();
    let message = lettre::Message::builder()
        .message_id(Some(format!("<{message_id}@{domain}>")))
        .from(from)
        .to(to)
        .subject(mail.subject.clone())
        .multipart(body)
        .map_err(|e| MailError::Build(e.to_string()))?;
    Ok(message.formatted())
}

/// The links in a text, for the outbox's log line (a developer follows the
/// activation link from the terminal).
pub fn links(text: &str) -> Vec<&str> {
    text.split_whitespace()
        .filter(|w| w.starts_with("https://") || w.starts_with("http://"))
        .map(|w| w.trim_end_matches(['.', ',', ')', '>', ';']))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail() -> Mail {
        Mail {
            to: "famille@example.org".into(),
            subject: "Activez votre compte".into(),
            text: "Bonjour,\nsuivez https://portail.example.org/compte/activation?t=abc.\n".into(),
            html: "<p>Bonjour</p>".into(),
            attachments: vec![],
        }
    }

    #[test]
    fn mime_has_text_and_html_and_encodes_french_subjects() {
        let raw =
            String::from_utf8(to_mime("Mairie <noreply@example.org>", "01ABC", &mail()).unwrap())
                .unwrap();
        assert!(raw.contains("Message-ID: <01ABC@example.org>"), "{raw}");
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.contains("text/plain"));
        assert!(raw.contains("text/html"));
        assert!(raw.contains("Subject: Activez votre compte"));
        let mut m = mail();
        m.subject = "Réservation validée".into();
        m.attachments.push(Attachment {
            filename: "facture.pdf".into(),
            content_type: "application/pdf".into(),
            bytes: b"%PDF-1.4".to_vec(),
        });
        let raw = String::from_utf8(to_mime("noreply@example.org", "01ABC", &m).unwrap()).unwrap();
        assert!(raw.contains("Subject: =?utf-8?"), "{raw}");
        assert!(raw.contains("multipart/mixed"));
        assert!(raw.contains("facture.pdf"));
    }

    #[test]
    fn bad_addresses_are_refused() {
        let mut m = mail();
        m.to = "pas une adresse".into();
        assert!(matches!(
            to_mime("noreply@example.org", "01ABC", &m),
            Err(MailError::Address(_))
        ));
    }

    #[test]
    fn links_are_found_without_trailing_punctuation() {
        assert_eq!(
            links(&mail().text),
            vec!["https://portail.example.org/compte/activation?t=abc"]
        );
    }
}
