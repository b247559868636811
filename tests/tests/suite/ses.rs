//! The SES transport against moto: a verified sender's raw MIME message
//! arrives whole; an unverified sender is refused with a clear error.

use crate::support::{aws_config, moto_url};
use shared::mail::ses::Ses;
use shared::mail::{Attachment, Mail, MailError, Mailer};

fn mail(to: &str) -> Mail {
    Mail {
        to: to.into(),
        subject: "Activez votre compte Espace Famille".into(),
        text: "Bonjour,\nActivez votre compte : https://famille.example.org/compte/activation?jeton=abc\n".into(),
        html: "<p>Bonjour,</p><p><a href=\"https://famille.example.org/compte/activation?jeton=abc\">Activer</a></p>".into(),
        attachments: vec![Attachment {
            filename: "reglement.pdf".into(),
            content_type: "application/pdf".into(),
            bytes: b"%PDF-1.4 test".to_vec(),
        }],
    }
}

/// The raw messages moto recorded as sent.
async fn sent_raw_messages() -> Vec<String> {
    let data: serde_json::Value = reqwest::get(format!("{}/moto-api/data.json", moto_url()))
        .await
        .expect("moto data")
        .json()
        .await
        .expect("moto json");
    let mut out = Vec::new();
    collect_strings(&data["ses"], &mut out);
    out
}

fn collect_strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| collect_strings(x, out)),
        _ => {}
    }
}

#[tokio::test]
async fn raw_message_reaches_ses_with_text_html_and_attachment() {
    let sdk = aws_config().await;
    let client = aws_sdk_ses::Client::new(&sdk);
    let sender = format!("ne-pas-repondre-{}@ville.example.org", ulid::Ulid::new()).to_lowercase();
    client
        .verify_email_identity()
        .email_address(&sender)
        .send()
        .await
        .expect("verify identity on moto");
    let ses = Ses::new(client, format!("Mairie <{sender}>"));
    let to = format!("famille-{}@example.org", ulid::Ulid::new()).to_lowercase();
    let id = ses.send("01JTESTMESSAGE", &mail(&to)).await.expect("send");
    assert!(!id.is_empty());
    let raw = sent_raw_messages()
        .await
        .into_iter()
        .find(|m| m.contains(&to) && m.contains("MIME-Version"))
        .expect("message recorded by moto");
    assert!(raw.contains(&sender));
    assert!(raw.contains("multipart/alternative"));
    assert!(raw.contains("text/html"));
    assert!(raw.contains("reglement.pdf"));
}

#[tokio::test]
async fn unverified_sender_is_refused() {
    let client = aws_sdk_ses::Client::new(&aws_config().await);
    let ses = Ses::new(client, "inconnu@nulle-part.example.org");
    match ses
        .send("01JTESTMESSAGE", &mail("famille@example.org"))
        .await
    {
        Err(MailError::Transport(detail)) => {
            assert!(detail.contains("MessageRejected"), "{detail}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}
