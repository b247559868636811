//! PayFiP's web service (DGFiP) as its documented messages are shaped:
//! `creerPaiementSecurise` (the operation id for the payment page) and
//! `recupererDetailPaiementSecurise` (the only trustworthy result). The
//! published WSDL points at XSDs that do not resolve, so the shapes are
//! kept here, with the field rules of the documentation; the answers are
//! read by element name whatever the namespace prefixes. Pure functions:
//! the transport is the adapter's.

use quick_xml::events::Event;
use std::collections::HashMap;

pub const NAMESPACE: &str = "http://securite.service.tpa.cp.finances.gouv.fr/services/mas_securite/contrat_paiement_securise/PaiementSecuriseService";
/// The SOAP service.
pub const SERVICE_URL: &str = "https://www.payfip.gouv.fr/tpa/services/securite";
/// The payment page the browser is sent to, with `?idop=`.
pub const PAYMENT_PAGE: &str = "https://www.payfip.gouv.fr/tpa/paiementws.web";

/// `saisie`: test, activation (the régie's first real payments), production.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Test,
    Activation,
    Production,
}

impl Mode {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "T" => Some(Self::Test),
            "X" => Some(Self::Activation),
            "W" => Some(Self::Production),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Test => "T",
            Self::Activation => "X",
            Self::Production => "W",
        }
    }
}

/// What `creerPaiementSecurise` is asked.
#[derive(Debug, Clone, PartialEq)]
pub struct Creation {
    /// The régie's client number, 6 digits.
    pub numcli: String,
    pub exer: i32,
    /// 1 to 30 letters or digits, fresh for each attempt.
    pub refdet: String,
    /// ASCII letters, digits and spaces, at most 100 (see [`objet`]).
    pub objet: String,
    /// In cents: 100 (1.00 €) to 10,000,000 (100,000 €).
    pub montant: i64,
    /// 6 to 80 characters.
    pub mel: String,
    pub urlnotif: String,
    pub urlredirect: String,
    pub saisie: Mode,
}

/// A field PayFiP would refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("PayFiP refuserait le champ {0}")]
pub struct InvalidField(pub &'static str);

/// Checks every field against the documented rules.
pub fn check(c: &Creation) -> Result<(), InvalidField> {
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if c.numcli.len() != 6 || !digits(&c.numcli) {
        return Err(InvalidField("numcli"));
    }
    if !(1..=30).contains(&c.refdet.len()) || !c.refdet.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(InvalidField("refdet"));
    }
    if c.objet.len() > 100
        || !c
            .objet
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b' ')
    {
        return Err(InvalidField("objet"));
    }
    if !(100..=10_000_000).contains(&c.montant) {
        return Err(InvalidField("montant"));
    }
    if !(6..=80).contains(&c.mel.chars().count()) || !c.mel.contains('@') {
        return Err(InvalidField("mel"));
    }
    if !(1000..=9999).contains(&c.exer) {
        return Err(InvalidField("exer"));
    }
    Ok(())
}

/// A label as PayFiP takes it: accents taken off, anything but ASCII
/// letters, digits and spaces turned into a space, at most 100 characters.
pub fn objet(label: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let plain: String = label
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect();
    let words: Vec<&str> = plain.split_whitespace().collect();
    let mut out = words.join(" ");
    out.truncate(100);
    out.trim_end().to_owned()
}

fn escape(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

/// The SOAP envelope of one operation, its fields in `<arg0>`.
fn envelope(operation: &str, fields: &[(&str, String)]) -> String {
    let body: String = fields
        .iter()
        .map(|(name, value)| format!("<{name}>{}</{name}>", escape(value)))
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:pai=\"{NAMESPACE}\">\
<soapenv:Header/><soapenv:Body><pai:{operation}><arg0>{body}</arg0></pai:{operation}></soapenv:Body></soapenv:Envelope>"
    )
}

impl Creation {
    /// The fields by their PayFiP names, in the request's order.
    pub fn fields(&self) -> Vec<(&'static str, String)> {
        vec![
            ("exer", self.exer.to_string()),
            ("mel", self.mel.clone()),
            ("montant", self.montant.to_string()),
            ("numcli", self.numcli.clone()),
            ("objet", self.objet.clone()),
            ("refdet", self.refdet.clone()),
            ("saisie", self.saisie.code().to_owned()),
            ("urlnotif", self.urlnotif.clone()),
            ("urlredirect", self.urlredirect.clone()),
        ]
    }
}

/// The `creerPaiementSecurise` request, checked first.
pub fn create_request(c: &Creation) -> Result<String, InvalidField> {
    check(c)?;
    Ok(envelope("creerPaiementSecurise", &c.fields()))
}

/// The `recupererDetailPaiementSecurise` request.
pub fn detail_request(idop: &str) -> String {
    envelope(
        "recupererDetailPaiementSecurise",
        &[("idOp", idop.to_owned())],
    )
}

/// Where the browser pays.
pub fn payment_page(idop: &str) -> String {
    format!(
        "{PAYMENT_PAGE}?idop={}",
        percent_encoding::utf8_percent_encode(idop, percent_encoding::NON_ALPHANUMERIC)
    )
}

/// The kinds of SOAP fault PayFiP documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    Fonctionnelle,
    TechDysfonctionnement,
    TechIndisponibilite,
    TechProtocolaire,
    /// Any other fault (a proxy's, a server's).
    Autre,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub kind: FaultKind,
    /// "P5", "P1"… (empty when the fault has none).
    pub code: String,
    pub libelle: String,
}

/// What `recupererDetailPaiementSecurise` answers for a finished operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detail {
    pub idop: String,
    pub refdet: String,
    pub numcli: String,
    /// In cents.
    pub montant: i64,
    /// P (card), V (direct debit), R or Z (refused), A (abandoned).
    pub resultrans: String,
    /// JJMMAAAA.
    pub dattrans: String,
    /// HHMM.
    pub heurtrans: String,
    pub numauto: String,
    pub mel: String,
    pub exer: String,
    pub saisie: String,
}

/// An answer that is not a SOAP message we can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("réponse PayFiP illisible : {0}")]
pub struct Unreadable(pub String);

/// A SOAP answer read flat: the text of each leaf element by local name
/// (lower case; the first of each name), and the fault's detail element.
struct Flat {
    fields: HashMap<String, String>,
    fault: Option<String>,
}

fn flatten(xml: &str) -> Result<Flat, Unreadable> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut path: Vec<String> = Vec::new();
    let mut fields: HashMap<String, String> = HashMap::new();
    let mut fault = None;
    let mut text = String::new();
    let mut envelope = false;
    loop {
        let event = reader.read_event().map_err(|e| Unreadable(e.to_string()))?;
        match event {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).to_lowercase();
                envelope |= name == "envelope";
                // The element right under `detail` names the fault's kind.
                if path.last().map(String::as_str) == Some("detail") {
                    fault = Some(name.clone());
                }
                path.push(name);
                text.clear();
            }
            Event::Text(t) => {
                text.push_str(&t.decode().map_err(|e| Unreadable(e.to_string()))?);
            }
            Event::CData(t) => {
                text.push_str(&String::from_utf8_lossy(&t));
            }
            Event::GeneralRef(r) => {
                let name = r.decode().map_err(|e| Unreadable(e.to_string()))?;
                let resolved = match name.as_ref() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    _ => "",
                };
                text.push_str(resolved);
            }
            Event::End(_) => {
                if let Some(name) = path.pop() {
                    fields.entry(name).or_insert_with(|| text.trim().to_owned());
                }
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !envelope {
        return Err(Unreadable("pas d'enveloppe SOAP".into()));
    }
    Ok(Flat { fields, fault })
}

fn fault_of(flat: &Flat) -> Option<Fault> {
    if !flat.fields.contains_key("fault") {
        return None;
    }
    let kind = match flat.fault.as_deref() {
        Some("fonctionnelleerreur") => FaultKind::Fonctionnelle,
        Some("techdysfonctionnementerreur") => FaultKind::TechDysfonctionnement,
        Some("techindisponibiliteerreur") => FaultKind::TechIndisponibilite,
        Some("techprotocolaireerreur") => FaultKind::TechProtocolaire,
        _ => FaultKind::Autre,
    };
    let get = |k: &str| flat.fields.get(k).cloned().unwrap_or_default();
    let libelle = match get("libelle") {
        l if l.is_empty() => get("faultstring"),
        l => l,
    };
    Some(Fault {
        kind,
        code: if kind == FaultKind::Autre {
            String::new()
        } else {
            get("code")
        },
        libelle,
    })
}

/// The answer to `creerPaiementSecurise`: the operation id, or the fault.
pub fn parse_create(xml: &str) -> Result<Result<String, Fault>, Unreadable> {
    let flat = flatten(xml)?;
    if let Some(f) = fault_of(&flat) {
        return Ok(Err(f));
    }
    match flat.fields.get("idop") {
        Some(id) if !id.is_empty() => Ok(Ok(id.clone())),
        _ => Err(Unreadable("idOp absent".into())),
    }
}

/// The answer to `recupererDetailPaiementSecurise`: the detail, or the
/// fault (P5: not finished, P1: unknown operation).
pub fn parse_detail(xml: &str) -> Result<Result<Detail, Fault>, Unreadable> {
    let flat = flatten(xml)?;
    if let Some(f) = fault_of(&flat) {
        return Ok(Err(f));
    }
    let get = |k: &str| flat.fields.get(k).cloned().unwrap_or_default();
    let resultrans = get("resultrans");
    if resultrans.is_empty() || get("idop").is_empty() {
        return Err(Unreadable("resultrans ou idOp absent".into()));
    }
    let montant = get("montant")
        .parse()
        .map_err(|_| Unreadable(format!("montant {:?}", get("montant"))))?;
    Ok(Ok(Detail {
        idop: get("idop"),
        refdet: get("refdet"),
        numcli: get("numcli"),
        montant,
        resultrans,
        dattrans: get("dattrans"),
        heurtrans: get("heurtrans"),
        numauto: get("numauto"),
        mel: get("mel"),
        exer: get("exer"),
        saisie: get("saisie"),
    }))
}

/// Realistic answers, as PayFiP's service shapes them (a JAX-WS server:
/// `ns2` for the service's namespace, the result in `<return>`), for the
/// tests and the local SOAP server that plays PayFiP in them.
pub mod samples {
    use super::NAMESPACE;

    fn body(inner: &str) -> String {
        format!(
            "<?xml version='1.0' encoding='UTF-8'?><S:Envelope xmlns:S=\"http://schemas.xmlsoap.org/soap/envelope/\"><S:Body>{inner}</S:Body></S:Envelope>"
        )
    }

    pub fn created(idop: &str) -> String {
        body(&format!(
            "<ns2:creerPaiementSecuriseResponse xmlns:ns2=\"{NAMESPACE}\"><return><idOp>{idop}</idOp></return></ns2:creerPaiementSecuriseResponse>"
        ))
    }

    /// A finished operation with its result code (P, V, R, Z, A).
    pub fn detail(idop: &str, refdet: &str, cents: i64, resultrans: &str) -> String {
        body(&format!(
            "<ns2:recupererDetailPaiementSecuriseResponse xmlns:ns2=\"{NAMESPACE}\"><return>\
<dattrans>26112026</dattrans><exer>2026</exer><heurtrans>0712</heurtrans><idOp>{idop}</idOp>\
<mel>famille@example.org</mel><montant>{cents}</montant><numauto>{auto}</numauto><numcli>012345</numcli>\
<objet>Facture F 2026 000042</objet><refdet>{refdet}</refdet><resultrans>{resultrans}</resultrans><saisie>T</saisie>\
</return></ns2:recupererDetailPaiementSecuriseResponse>",
            auto = if resultrans == "P" { "123456" } else { "" }
        ))
    }

    /// A documented fault: `FonctionnelleErreur` P5 or P1, or a technical one.
    pub fn fault(kind: &str, code: &str, libelle: &str) -> String {
        body(&format!(
            "<S:Fault xmlns:ns4=\"http://www.w3.org/2003/05/soap-envelope\"><faultcode>S:Server</faultcode>\
<faultstring>{kind}</faultstring><detail><ns2:{kind} xmlns:ns2=\"{NAMESPACE}\"><code>{code}</code>\
<descriptif></descriptif><libelle>{libelle}</libelle><severite>2</severite></ns2:{kind}></detail></S:Fault>"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creation() -> Creation {
        Creation {
            numcli: "012345".into(),
            exer: 2026,
            refdet: "F2026000042T01".into(),
            objet: objet("Facture F-2026-000042 — Léa & Hugo (cantine)"),
            montant: 8640,
            mel: "famille@example.org".into(),
            urlnotif: "https://famille.ville.fr/paiement/notification".into(),
            urlredirect: "https://famille.ville.fr/paiement/retour".into(),
            saisie: Mode::Test,
        }
    }

    #[test]
    fn the_creation_request_has_the_documented_shape() {
        let xml = create_request(&creation()).unwrap();
        assert!(xml.contains(&format!("xmlns:pai=\"{NAMESPACE}\"")));
        assert!(xml.contains("<pai:creerPaiementSecurise><arg0><exer>2026</exer>"));
        for field in [
            "<mel>famille@example.org</mel>",
            "<montant>8640</montant>",
            "<numcli>012345</numcli>",
            "<objet>Facture F 2026 000042 Lea Hugo cantine</objet>",
            "<refdet>F2026000042T01</refdet>",
            "<saisie>T</saisie>",
            "<urlnotif>https://famille.ville.fr/paiement/notification</urlnotif>",
        ] {
            assert!(xml.contains(field), "{field} in {xml}");
        }
        // Well-formed, and read back by the same reader as the answers.
        let flat = flatten(&xml).unwrap();
        assert_eq!(flat.fields["refdet"], "F2026000042T01");
        let detail = detail_request("abc&1");
        assert!(detail.contains("<arg0><idOp>abc&amp;1</idOp></arg0>"));
        assert_eq!(
            payment_page("a b"),
            "https://www.payfip.gouv.fr/tpa/paiementws.web?idop=a%20b"
        );
    }

    #[test]
    fn fields_payfip_would_refuse_are_refused_before_the_call() {
        let bad = [
            (
                Creation {
                    numcli: "12345".into(),
                    ..creation()
                },
                "numcli",
            ),
            (
                Creation {
                    numcli: "12345a".into(),
                    ..creation()
                },
                "numcli",
            ),
            (
                Creation {
                    refdet: "F-2026".into(),
                    ..creation()
                },
                "refdet",
            ),
            (
                Creation {
                    refdet: "A".repeat(31),
                    ..creation()
                },
                "refdet",
            ),
            (
                Creation {
                    objet: "Crèche".into(),
                    ..creation()
                },
                "objet",
            ),
            (
                Creation {
                    montant: 99,
                    ..creation()
                },
                "montant",
            ),
            (
                Creation {
                    montant: 10_000_001,
                    ..creation()
                },
                "montant",
            ),
            (
                Creation {
                    mel: "a@b.c".into(),
                    ..creation()
                },
                "mel",
            ),
        ];
        for (c, field) in bad {
            assert_eq!(create_request(&c), Err(InvalidField(field)));
        }
        assert!(
            check(&Creation {
                montant: 100,
                ..creation()
            })
            .is_ok()
        );
        assert_eq!(objet(&"é".repeat(150)).len(), 100);
    }

    #[test]
    fn every_documented_answer_is_read() {
        assert_eq!(
            parse_create(&samples::created("9f8e7d")),
            Ok(Ok("9f8e7d".into()))
        );
        for code in ["P", "V", "R", "Z", "A"] {
            let d = parse_detail(&samples::detail("9f8e7d", "F2026000042T01", 8640, code))
                .unwrap()
                .unwrap();
            assert_eq!((d.resultrans.as_str(), d.montant), (code, 8640));
            assert_eq!(d.refdet, "F2026000042T01");
            assert_eq!(d.idop, "9f8e7d");
        }
        let p5 = parse_detail(&samples::fault(
            "FonctionnelleErreur",
            "P5",
            "Résultat de la transaction non connu",
        ))
        .unwrap()
        .unwrap_err();
        assert_eq!(
            (p5.kind, p5.code.as_str()),
            (FaultKind::Fonctionnelle, "P5")
        );
        assert_eq!(p5.libelle, "Résultat de la transaction non connu");
        let p1 = parse_detail(&samples::fault(
            "FonctionnelleErreur",
            "P1",
            "IdOp incorrect",
        ))
        .unwrap()
        .unwrap_err();
        assert_eq!(p1.code, "P1");
        let tech = parse_create(&samples::fault(
            "TechIndisponibiliteErreur",
            "T1",
            "Service indisponible",
        ))
        .unwrap()
        .unwrap_err();
        assert_eq!(tech.kind, FaultKind::TechIndisponibilite);
    }

    #[test]
    fn unreadable_answers_are_errors_not_results() {
        for body in [
            "",
            "<html><body>502 Bad Gateway</body></html>",
            "<S:Envelope xmlns:S=\"http://schemas.xmlsoap.org/soap/envelope/\"><S:Body></S:Body></S:Envelope>",
            "<S:Envelope xmlns:S=\"x\"><S:Body><return><idOp>1</idOp><resultrans>P</resultrans><montant>dix</montant></return></S:Body></S:Envelope>",
            "<S:Envelope><unclosed>",
        ] {
            assert!(parse_detail(body).is_err(), "{body}");
        }
        // A fault without PayFiP's detail (a proxy's): another kind, no code.
        let other = "<S:Envelope xmlns:S=\"http://schemas.xmlsoap.org/soap/envelope/\"><S:Body><S:Fault><faultcode>S:Server</faultcode><faultstring>boom</faultstring></S:Fault></S:Body></S:Envelope>";
        let f = parse_detail(other).unwrap().unwrap_err();
        assert_eq!(
            (f.kind, f.code.as_str(), f.libelle.as_str()),
            (FaultKind::Autre, "", "boom")
        );
    }
}
