//! Configuration from the environment, read once at start-up. A missing or
//! invalid variable stops the start with an error that names it.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Which store backend, with its settings.
#[derive(Debug, Clone, PartialEq)]
pub enum StoreConfig {
    Sqlite {
        path: PathBuf,
    },
    Dynamo {
        table: String,
        endpoint: Option<String>,
    },
}

/// Where files (attachments, documents) are kept.
#[derive(Debug, Clone, PartialEq)]
pub enum FilesConfig {
    Local {
        dir: PathBuf,
    },
    S3 {
        bucket: String,
        endpoint: Option<String>,
    },
}

/// Which mail transport, with its settings.
#[derive(Debug, Clone, PartialEq)]
pub enum MailConfig {
    Folder { dir: PathBuf },
    Ses { endpoint: Option<String> },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub store: StoreConfig,
    pub mail: MailConfig,
    pub files: FilesConfig,
    /// The sender of every message, e.g. `Mairie <ne-pas-repondre@ville.fr>`.
    pub mail_from: String,
    /// The portal's public address, for links in messages (no trailing slash).
    pub public_url: String,
    /// The AWS region, when a backend is on AWS.
    pub aws_region: String,
    /// Local portal only: where it listens.
    pub bind: SocketAddr,
    /// Local portal only: where the static site is built and served from.
    pub site_dir: PathBuf,
    pub payment: PaymentConfig,
}

/// The payment gateway: PayFiP's web service, or the local test gateway
/// (the default, and the demo's).
#[derive(Debug, Clone, PartialEq)]
pub struct PaymentConfig {
    /// `None`: the test gateway; else PayFiP's service address.
    pub payfip_url: Option<String>,
    /// The régie's PayFiP client number (6 digits).
    pub numcli: String,
    pub mode: crate::payment::payfip::Mode,
}

/// A variable that is missing or invalid.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("variable d'environnement {var} : {reason}")]
pub struct ConfigError {
    pub var: &'static str,
    pub reason: String,
}

fn invalid(var: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        reason: reason.into(),
    }
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads variables through `lookup` (tests pass a map). Empty counts as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let url = |var: &'static str| -> Result<Option<String>, ConfigError> {
            match get(var) {
                None => Ok(None),
                Some(v) if v.starts_with("http://") || v.starts_with("https://") => {
                    Ok(Some(v.trim_end_matches('/').to_owned()))
                }
                Some(_) => Err(invalid(var, "une adresse http:// ou https:// est attendue")),
            }
        };
        let store = match get("EF_STORE").as_deref() {
            None | Some("sqlite") => StoreConfig::Sqlite {
                path: get("EF_SQLITE_PATH")
                    .unwrap_or_else(|| "data/portal.db".into())
                    .into(),
            },
            Some("dynamodb") => StoreConfig::Dynamo {
                table: get("EF_DYNAMODB_TABLE").ok_or_else(|| {
                    invalid("EF_DYNAMODB_TABLE", "obligatoire avec EF_STORE=dynamodb")
                })?,
                endpoint: url("EF_DYNAMODB_ENDPOINT")?,
            },
            Some(other) => {
                return Err(invalid(
                    "EF_STORE",
                    format!("« {other} » : sqlite ou dynamodb attendu"),
                ));
            }
        };
        let mail = match get("EF_MAIL").as_deref() {
            None | Some("outbox") => MailConfig::Folder {
                dir: get("EF_OUTBOX_DIR")
                    .unwrap_or_else(|| "data/outbox".into())
                    .into(),
            },
            Some("ses") => MailConfig::Ses {
                endpoint: url("EF_SES_ENDPOINT")?,
            },
            Some(other) => {
                return Err(invalid(
                    "EF_MAIL",
                    format!("« {other} » : outbox ou ses attendu"),
                ));
            }
        };
        let files = match get("EF_FILES").as_deref() {
            None | Some("local") => FilesConfig::Local {
                dir: get("EF_FILES_DIR")
                    .unwrap_or_else(|| "data/files".into())
                    .into(),
            },
            Some("s3") => FilesConfig::S3 {
                bucket: get("EF_S3_BUCKET")
                    .ok_or_else(|| invalid("EF_S3_BUCKET", "obligatoire avec EF_FILES=s3"))?,
                endpoint: url("EF_S3_ENDPOINT")?,
            },
            Some(other) => {
                return Err(invalid(
                    "EF_FILES",
                    format!("« {other} » : local ou s3 attendu"),
                ));
            }
        };
        let mail_from = match (&mail, get("EF_MAIL_FROM")) {
            (_, Some(from)) if from.contains('@') => from,
            (_, Some(_)) => return Err(invalid("EF_MAIL_FROM", "une adresse e-mail est attendue")),
            (MailConfig::Ses { .. }, None) => {
                return Err(invalid("EF_MAIL_FROM", "obligatoire avec EF_MAIL=ses"));
            }
            (MailConfig::Folder { .. }, None) => {
                "Espace Famille <ne-pas-repondre@localhost>".into()
            }
        };
        let bind: SocketAddr = match get("EF_BIND") {
            None => SocketAddr::from(([127, 0, 0, 1], 8080)),
            Some(v) => v.parse().map_err(|_| {
                invalid(
                    "EF_BIND",
                    format!("« {v} » : adresse:port attendu, ex. 127.0.0.1:8080"),
                )
            })?,
        };
        let public_url = url("EF_PUBLIC_URL")?.unwrap_or_else(|| format!("http://{bind}"));
        let payment = match get("EF_PAIEMENT").as_deref() {
            None | Some("test") => PaymentConfig {
                payfip_url: None,
                numcli: "000000".into(),
                mode: crate::payment::payfip::Mode::Test,
            },
            Some("payfip") => {
                let numcli = get("EF_PAYFIP_NUMCLI").ok_or_else(|| {
                    invalid("EF_PAYFIP_NUMCLI", "obligatoire avec EF_PAIEMENT=payfip")
                })?;
                if numcli.len() != 6 || !numcli.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(invalid("EF_PAYFIP_NUMCLI", "six chiffres attendus"));
                }
                let mode = get("EF_PAYFIP_MODE").unwrap_or_else(|| "T".into());
                PaymentConfig {
                    payfip_url: Some(
                        url("EF_PAYFIP_URL")?
                            .unwrap_or_else(|| crate::payment::payfip::SERVICE_URL.into()),
                    ),
                    numcli,
                    mode: crate::payment::payfip::Mode::parse(&mode).ok_or_else(|| {
                        invalid("EF_PAYFIP_MODE", format!("« {mode} » : T, X ou W attendu"))
                    })?,
                }
            }
            Some(other) => {
                return Err(invalid(
                    "EF_PAIEMENT",
                    format!("« {other} » : test ou payfip attendu"),
                ));
            }
        };
        Ok(Self {
            store,
            mail,
            files,
            mail_from,
            public_url,
            aws_region: get("AWS_REGION").unwrap_or_else(|| "eu-west-3".into()),
            bind,
            site_dir: get("EF_SITE_DIR")
                .unwrap_or_else(|| "data/site".into())
                .into(),
            payment,
        })
    }

    pub fn uses_aws(&self) -> bool {
        matches!(self.store, StoreConfig::Dynamo { .. })
            || matches!(self.mail, MailConfig::Ses { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_are_the_local_portal() {
        let c = config(&[]).unwrap();
        assert_eq!(
            c.store,
            StoreConfig::Sqlite {
                path: "data/portal.db".into()
            }
        );
        assert_eq!(
            c.mail,
            MailConfig::Folder {
                dir: "data/outbox".into()
            }
        );
        assert_eq!(c.public_url, "http://127.0.0.1:8080");
        assert!(!c.uses_aws());
    }

    #[test]
    fn errors_name_the_variable() {
        assert_eq!(
            config(&[("EF_STORE", "dynamodb")]).unwrap_err().var,
            "EF_DYNAMODB_TABLE"
        );
        assert_eq!(
            config(&[("EF_STORE", "postgres")]).unwrap_err().var,
            "EF_STORE"
        );
        assert_eq!(
            config(&[("EF_MAIL", "ses")]).unwrap_err().var,
            "EF_MAIL_FROM"
        );
        assert_eq!(
            config(&[("EF_BIND", "localhost")]).unwrap_err().var,
            "EF_BIND"
        );
        assert_eq!(
            config(&[("EF_PUBLIC_URL", "portail.fr")]).unwrap_err().var,
            "EF_PUBLIC_URL"
        );
        let err = config(&[
            ("EF_STORE", "dynamodb"),
            ("EF_DYNAMODB_TABLE", "t"),
            ("EF_DYNAMODB_ENDPOINT", "x"),
        ])
        .unwrap_err();
        assert_eq!(err.var, "EF_DYNAMODB_ENDPOINT");
        assert!(
            err.to_string()
                .starts_with("variable d'environnement EF_DYNAMODB_ENDPOINT")
        );
    }

    #[test]
    fn aws_backends() {
        let c = config(&[
            ("EF_STORE", "dynamodb"),
            ("EF_DYNAMODB_TABLE", "portail"),
            ("EF_MAIL", "ses"),
            ("EF_MAIL_FROM", "Mairie <noreply@ville.fr>"),
            ("EF_PUBLIC_URL", "https://famille.ville.fr/"),
        ])
        .unwrap();
        assert!(c.uses_aws());
        assert_eq!(c.public_url, "https://famille.ville.fr");
        assert_eq!(
            c.store,
            StoreConfig::Dynamo {
                table: "portail".into(),
                endpoint: None
            }
        );
    }
}
