//! What a payment gateway's answer means for an attempt of a given age,
//! and when an invoice may be paid online. Pure functions.

use crate::domain::invoice::{Invoice, Kind};
use chrono::Duration;

/// An operation unfinished (P5) or abandoned (A) is waited for this long,
/// then expired.
pub const WAIT_MINUTES: i64 = 20;
/// The re-check job asks about attempts from 5 minutes to 24 hours old.
pub const RECHECK_FROM_MINUTES: i64 = 5;
pub const RECHECK_UNTIL_HOURS: i64 = 24;

/// What the gateway says of an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Finished, with PayFiP's `resultrans`.
    Result(String),
    /// Not finished yet (fault P5).
    Unfinished,
    /// Unknown operation (fault P1: purged at night, or never created).
    Unknown,
}

/// How a payment was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Means {
    Card,
    DirectDebit,
}

impl Means {
    /// As the invoice says it: "payée le … par carte".
    pub fn label(self) -> &'static str {
        match self {
            Means::Card => "carte",
            Means::DirectDebit => "prélèvement (PayFiP)",
        }
    }
}

/// Where an attempt stands after an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Paid(Means),
    Refused,
    Waiting,
    Expired,
}

impl Outcome {
    pub fn is_final(self) -> bool {
        self != Outcome::Waiting
    }
}

/// The meaning of an answer for an attempt `age` old: P/V paid, R/Z
/// refused, A or P5 waiting for 20 minutes then expired, P1 expired. An
/// unknown result code settles nothing.
pub fn outcome(answer: &Answer, age: Duration) -> Outcome {
    let waited = || {
        if age < Duration::minutes(WAIT_MINUTES) {
            Outcome::Waiting
        } else {
            Outcome::Expired
        }
    };
    match answer {
        Answer::Result(code) => match code.as_str() {
            "P" => Outcome::Paid(Means::Card),
            "V" => Outcome::Paid(Means::DirectDebit),
            "R" | "Z" => Outcome::Refused,
            "A" => waited(),
            _ => Outcome::Waiting,
        },
        Answer::Unfinished => waited(),
        Answer::Unknown => Outcome::Expired,
    }
}

/// Whether the re-check job asks about an attempt of this age.
pub fn to_recheck(age: Duration, min_age: Duration) -> bool {
    age >= min_age && age <= Duration::hours(RECHECK_UNTIL_HOURS)
}

/// The re-check job's youngest attempts: 5 minutes old.
pub fn recheck_min_age() -> Duration {
    Duration::minutes(RECHECK_FROM_MINUTES)
}

/// Why an invoice cannot be paid online now (the page says it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("Cette facture est déjà payée.")]
    Paid,
    #[error("Un avoir ne se paie pas : il est déduit de votre prochaine facture.")]
    CreditNote,
    #[error(
        "Cette facture a été transmise au Trésor public : réglez-la auprès du centre des finances publiques."
    )]
    Transmitted,
    #[error(
        "Vous avez adhéré au prélèvement automatique : cette facture sera prélevée le {} sur le compte de votre mandat.",
        .0.format("%d/%m/%Y")
    )]
    DirectDebit(chrono::NaiveDate),
    #[error(
        "Un paiement de cette facture a commencé il y a moins de 20 minutes : attendez son résultat avant d'en commencer un autre."
    )]
    UnderWay,
}

/// Whether the family may start paying this invoice online: something due,
/// not a credit note, not handed to the Trésor, not to be debited (`debit`:
/// [`super::sepa::debit_date`]), and no attempt under 20 minutes old
/// (`last_attempt`: the age of the latest attempt still waiting, if any).
pub fn may_pay(
    inv: &Invoice,
    debit: Option<chrono::NaiveDate>,
    last_attempt: Option<Duration>,
) -> Result<(), Refusal> {
    if inv.kind == Kind::Avoir {
        return Err(Refusal::CreditNote);
    }
    if !inv.is_open() {
        return Err(Refusal::Paid);
    }
    if inv.transmise_le.is_some() {
        return Err(Refusal::Transmitted);
    }
    if let Some(day) = debit {
        return Err(Refusal::DirectDebit(day));
    }
    if last_attempt.is_some_and(|age| age < Duration::minutes(WAIT_MINUTES)) {
        return Err(Refusal::UnderWay);
    }
    Ok(())
}

/// The `refdet` of an attempt started at `at`: the number's letters and
/// digits, then `P` and the second it started in base 36 (PayFiP refuses
/// the same operation data twice; one attempt at a time per invoice; at
/// most 30 letters or digits).
pub fn refdet(numero: &str, at: chrono::DateTime<chrono::Utc>) -> String {
    let compact: String = numero
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(21)
        .collect();
    let mut n = at.timestamp().unsigned_abs();
    let mut suffix = Vec::new();
    loop {
        suffix.push(char::from_digit((n % 36) as u32, 36).unwrap_or('0'));
        n /= 36;
        if n == 0 {
            break;
        }
    }
    let suffix: String = suffix.into_iter().rev().collect();
    format!("{compact}P{}", suffix.to_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::invoice::Status;

    fn min(m: i64) -> Duration {
        Duration::minutes(m)
    }

    #[test]
    fn each_answer_means_what_payfip_documents() {
        let r = |c: &str| Answer::Result(c.into());
        assert_eq!(outcome(&r("P"), min(1)), Outcome::Paid(Means::Card));
        assert_eq!(outcome(&r("V"), min(30)), Outcome::Paid(Means::DirectDebit));
        assert_eq!(outcome(&r("R"), min(1)), Outcome::Refused);
        assert_eq!(outcome(&r("Z"), min(1)), Outcome::Refused);
        assert_eq!(outcome(&r("A"), min(19)), Outcome::Waiting);
        assert_eq!(outcome(&r("A"), min(20)), Outcome::Expired);
        assert_eq!(outcome(&Answer::Unfinished, min(19)), Outcome::Waiting);
        assert_eq!(outcome(&Answer::Unfinished, min(21)), Outcome::Expired);
        assert_eq!(outcome(&Answer::Unknown, min(1)), Outcome::Expired);
        assert_eq!(outcome(&r("?"), min(600)), Outcome::Waiting);
        assert!(!Outcome::Waiting.is_final() && Outcome::Refused.is_final());
    }

    #[test]
    fn the_recheck_window_is_five_minutes_to_a_day() {
        assert!(!to_recheck(min(4), recheck_min_age()));
        assert!(to_recheck(min(1), Duration::zero()));
        assert!(to_recheck(min(5), recheck_min_age()));
        assert!(to_recheck(Duration::hours(24), recheck_min_age()));
        assert!(!to_recheck(Duration::hours(24) + min(1), Duration::zero()));
    }

    #[test]
    fn who_may_pay_online() {
        let day = chrono::NaiveDate::from_ymd_opt(2027, 1, 5).unwrap();
        let inv = crate::demo::long_invoice();
        assert!(inv.is_open());
        assert_eq!(may_pay(&inv, None, None), Ok(()));
        assert_eq!(may_pay(&inv, None, Some(min(25))), Ok(()));
        assert_eq!(may_pay(&inv, None, Some(min(3))), Err(Refusal::UnderWay));
        assert_eq!(
            may_pay(&inv, Some(day), None),
            Err(Refusal::DirectDebit(day))
        );
        assert!(
            Refusal::DirectDebit(day)
                .to_string()
                .contains("prélevée le 05/01/2027")
        );
        let sent = Invoice {
            transmise_le: Some(inv.echeance),
            ..inv.clone()
        };
        assert_eq!(may_pay(&sent, None, None), Err(Refusal::Transmitted));
        let paid = Invoice {
            statut: Status::Paid,
            ..inv.clone()
        };
        assert_eq!(may_pay(&paid, None, None), Err(Refusal::Paid));
        let credit = Invoice {
            kind: Kind::Avoir,
            ..inv
        };
        assert_eq!(may_pay(&credit, None, None), Err(Refusal::CreditNote));
    }

    #[test]
    fn a_refdet_is_fresh_per_attempt_and_payfip_shaped() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-26T07:12:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(refdet("F-2026-000042", at), "F2026000042PTP3LC0");
        assert_ne!(
            refdet("F-2026-000042", at),
            refdet("F-2026-000042", at + Duration::seconds(1))
        );
        let long = refdet(&"X".repeat(40), at);
        assert!(long.len() <= 30 && long.bytes().all(|b| b.is_ascii_alphanumeric()));
    }
}
