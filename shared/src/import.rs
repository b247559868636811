//! Import of the town's existing dossiers from a CSV file, one line per
//! dossier (format in the README). French software often exports Latin-1
//! with `;` separators: both encodings and both separators are detected. A
//! line with a problem is reported with its number and reason and nothing of
//! it is written; re-importing the same file updates and never duplicates.

use crate::accounts::validation;
use crate::domain::dossier::{self, Child, Dossier, PaymentMode, Responsable};
use crate::store::{Condition, Item, Store, StoreError, Write};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::str::FromStr;

/// Children columns groups read per line (enfant1_… to enfant6_…).
pub const MAX_CHILDREN: usize = 6;

/// The columns every file must have.
pub const REQUIRED_COLUMNS: [&str; 4] = [
    "numero_dossier",
    "responsable1_nom",
    "responsable1_prenom",
    "adresse",
];

/// How the file was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Latin1,
}

/// One valid line: a dossier, its children, and the invoice numbers the
/// family may type at sign-up.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub line: usize,
    pub dossier: Dossier,
    pub children: Vec<Child>,
    pub invoices: Vec<String>,
}

/// A refused line.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    pub line: usize,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub encoding: Encoding,
    pub separator: u8,
    pub records: Vec<Record>,
    pub rejected: Vec<Rejection>,
}

/// A file that cannot be read at all.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FileError {
    #[error("fichier vide")]
    Empty,
    #[error("colonnes manquantes : {0}")]
    MissingColumns(String),
    #[error("fichier CSV illisible : {0}")]
    Unreadable(String),
}

/// The text of the file: UTF-8 if it is valid UTF-8 (a BOM is dropped),
/// otherwise Windows-1252, the Latin-1 of French office software.
pub fn decode(bytes: &[u8]) -> (String, Encoding) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_owned(), Encoding::Utf8),
        Err(_) => {
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            (text.into_owned(), Encoding::Latin1)
        }
    }
}

/// `;` or `,`: whichever the header line has more of.
pub fn separator(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or_default();
    if header.matches(';').count() >= header.matches(',').count() {
        b';'
    } else {
        b','
    }
}

/// `31/12/2019` or `2019-12-31`.
pub fn parse_date(value: &str) -> Option<NaiveDate> {
    let v = value.trim();
    NaiveDate::parse_from_str(v, "%d/%m/%Y")
        .or_else(|_| NaiveDate::parse_from_str(v, "%Y-%m-%d"))
        .ok()
}

/// A child's id that stays the same from one import to the next: derived
/// from the dossier number, first name and birth date.
pub fn child_id(numero: &str, prenom: &str, birth: NaiveDate) -> String {
    let digest = Sha256::digest(
        format!("{numero}|{}|{birth}", crate::accounts::names::fold(prenom)).as_bytes(),
    );
    let hex: String = digest.iter().take(10).map(|b| format!("{b:02x}")).collect();
    format!("IMPORT-{hex}")
}

struct Row<'a> {
    values: HashMap<&'a str, String>,
}

impl Row<'_> {
    fn get(&self, column: &str) -> &str {
        self.values.get(column).map_or("", |v| v.trim())
    }

    fn required(&self, column: &str, label: &str) -> Result<String, String> {
        validation::text(self.get(column))
            .map_err(|e| format!("{label} : {}", e.trim_end_matches('.').to_lowercase()))
    }

    fn optional(&self, column: &str, label: &str) -> Result<Option<String>, String> {
        let v = self.get(column);
        if v.is_empty() {
            Ok(None)
        } else {
            validation::text(v)
                .map(Some)
                .map_err(|e| format!("{label} : {e}"))
        }
    }
}

/// A yes/no column (empty: no).
fn yes_no(value: &str, label: &str) -> Result<bool, String> {
    match value.to_lowercase().as_str() {
        "" | "non" | "n" | "0" => Ok(false),
        "oui" | "o" | "1" => Ok(true),
        other => Err(format!("{label} : « {other} » (oui ou non attendu)")),
    }
}

fn responsable(row: &Row, n: u8) -> Result<Option<Responsable>, String> {
    let col = |c: &str| format!("responsable{n}_{c}");
    let nom = row.get(&col("nom"));
    if n == 2 && nom.is_empty() && row.get(&col("prenom")).is_empty() {
        return Ok(None);
    }
    let courriel = match row.get(&col("courriel")) {
        "" => None,
        v => Some(
            validation::email(v)
                .map_err(|_| format!("adresse e-mail du responsable {n} invalide « {v} »"))?,
        ),
    };
    Ok(Some(Responsable {
        nom: row.required(&col("nom"), &format!("nom du responsable {n}"))?,
        prenom: row.required(&col("prenom"), &format!("prénom du responsable {n}"))?,
        courriel,
        telephone: row.optional(&col("telephone"), &format!("téléphone du responsable {n}"))?,
    }))
}

fn child(row: &Row, numero: &str, n: usize) -> Result<Option<Child>, String> {
    let col = |c: &str| format!("enfant{n}_{c}");
    let fields = [
        "nom",
        "prenom",
        "naissance",
        "ecole",
        "classe",
        "regime",
        "pai",
    ];
    if fields.iter().all(|c| row.get(&col(c)).is_empty()) {
        return Ok(None);
    }
    let label = |what: &str| format!("{what} de l'enfant {n}");
    let birth_text = row.get(&col("naissance"));
    let birth = parse_date(birth_text).ok_or_else(|| {
        format!(
            "{} invalide « {birth_text} » (JJ/MM/AAAA attendu)",
            label("date de naissance")
        )
    })?;
    let prenom = row.required(&col("prenom"), &label("prénom"))?;
    let pai = yes_no(row.get(&col("pai")), &label("PAI"))?;
    Ok(Some(Child {
        id: child_id(numero, &prenom, birth),
        nom: row.required(&col("nom"), &label("nom"))?,
        prenom,
        naissance: birth,
        ecole: row
            .optional(&col("ecole"), &label("école"))?
            .unwrap_or_default(),
        classe: row
            .optional(&col("classe"), &label("classe"))?
            .unwrap_or_default(),
        regime: row.optional(&col("regime"), &label("régime"))?,
        pai,
    }))
}

fn record(row: &Row, line: usize) -> Result<Record, String> {
    let raw = row.required("numero_dossier", "numéro de dossier")?;
    let numero = crate::ids::DossierNumber::parse(&raw)
        .map_err(|_| format!("numéro de dossier invalide « {raw} »"))?
        .to_string();
    let qf = match row.get("quotient_familial") {
        "" => None,
        v => {
            let q = Decimal::from_str(&v.replace(',', ".").replace(' ', ""))
                .map_err(|_| format!("quotient familial invalide « {v} »"))?;
            if q.is_sign_negative() && !q.is_zero() {
                return Err(format!("quotient familial négatif « {v} »"));
            }
            Some(q)
        }
    };
    let qf_date = match row.get("date_qf") {
        "" => None,
        v => Some(
            parse_date(v).ok_or_else(|| format!("date du quotient familial invalide « {v} »"))?,
        ),
    };
    let mode_paiement = match row.get("mode_paiement") {
        "" => None,
        v => Some(PaymentMode::parse(v).ok_or_else(|| {
            format!("mode de paiement inconnu « {v} » (prelevement, en_ligne ou regie)")
        })?),
    };
    let mut responsables =
        vec![responsable(row, 1)?.unwrap_or_else(|| unreachable!("responsable 1 is required"))];
    responsables.extend(responsable(row, 2)?);
    let hors_commune = yes_no(row.get("hors_commune"), "hors commune")?;
    let dossier = Dossier {
        numero: numero.clone(),
        responsables,
        adresse: row.required("adresse", "adresse")?,
        quotient_familial: qf,
        qf_date,
        mode_paiement,
        hors_commune,
    };
    let mut children = Vec::new();
    for n in 1..=MAX_CHILDREN {
        if let Some(c) = child(row, &numero, n)? {
            if children.iter().any(|o: &Child| o.id == c.id) {
                return Err(format!(
                    "l'enfant {n} est en double (même prénom et date de naissance)"
                ));
            }
            children.push(c);
        }
    }
    let invoices = row
        .get("factures")
        .split([' ', ','])
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    Ok(Record {
        line,
        dossier,
        children,
        invoices,
    })
}

/// Reads and checks a whole file. A file without the required columns is
/// refused whole; otherwise each line is taken or rejected on its own, and a
/// dossier number seen twice rejects its later lines.
pub fn parse(bytes: &[u8]) -> Result<Parsed, FileError> {
    let (text, encoding) = decode(bytes);
    if text.trim().is_empty() {
        return Err(FileError::Empty);
    }
    let sep = separator(&text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(sep)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| FileError::Unreadable(e.to_string()))?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    let missing: Vec<&str> = REQUIRED_COLUMNS
        .iter()
        .copied()
        .filter(|c| !headers.iter().any(|h| h == c))
        .collect();
    if !missing.is_empty() {
        return Err(FileError::MissingColumns(missing.join(", ")));
    }
    let mut records = Vec::new();
    let mut rejected = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for (i, result) in reader.records().enumerate() {
        let line = i + 2;
        let fields = match result {
            Ok(f) => f,
            Err(e) => {
                rejected.push(Rejection {
                    line,
                    reason: format!("ligne illisible : {e}"),
                });
                continue;
            }
        };
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let row = Row {
            values: headers
                .iter()
                .map(String::as_str)
                .zip(
                    fields
                        .iter()
                        .map(|f| crate::text::without_bidi_controls(f).into_owned()),
                )
                .collect(),
        };
        match record(&row, line) {
            Ok(r) if !seen.insert(r.dossier.numero.clone()) => rejected.push(Rejection {
                line,
                reason: format!(
                    "numéro de dossier {} déjà présent plus haut dans le fichier",
                    r.dossier.numero
                ),
            }),
            Ok(r) => records.push(r),
            Err(reason) => rejected.push(Rejection { line, reason }),
        }
    }
    Ok(Parsed {
        encoding,
        separator: sep,
        records,
        rejected,
    })
}

/// What writing a record did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
}

/// Writes one dossier, its children and its name index in one transaction
/// (all or nothing), over what a previous import wrote.
pub async fn write(store: &dyn Store, r: &Record) -> Result<Outcome, StoreError> {
    let existed = store.get(&dossier::key(&r.dossier.numero)).await?.is_some();
    let mut profile = Item::from_record(dossier::key(&r.dossier.numero), &r.dossier)?;
    profile
        .attrs
        .insert("factures_connues".into(), serde_json::json!(r.invoices));
    let mut writes = vec![Write::Put {
        item: profile,
        condition: Condition::Always,
    }];
    for child in &r.children {
        writes.push(Write::Put {
            item: dossier::child_index_item(&r.dossier.numero, child),
            condition: Condition::Always,
        });
        writes.push(Write::Put {
            item: Item::from_record(dossier::child_key(&r.dossier.numero, &child.id), child)?,
            condition: Condition::Always,
        });
    }
    for item in dossier::name_index_items(&r.dossier)? {
        writes.push(Write::Put {
            item,
            condition: Condition::Always,
        });
    }
    store.transact(writes).await?;
    Ok(if existed {
        Outcome::Updated
    } else {
        Outcome::Created
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "numero_dossier;responsable1_nom;responsable1_prenom;responsable1_courriel;adresse;quotient_familial;date_qf;factures;enfant1_nom;enfant1_prenom;enfant1_naissance;enfant1_classe;enfant1_pai";

    #[test]
    fn utf8_and_latin1_with_either_separator() {
        let utf8 = format!(
            "{HEADER}\nD1;Lefèvre;Émilie;e@x.fr;1 rue A;845;01/09/2026;F-587;Lefèvre;Léa;12/05/2018;CE2;non\n"
        );
        let p = parse(utf8.as_bytes()).unwrap();
        assert_eq!((p.encoding, p.separator), (Encoding::Utf8, b';'));
        assert_eq!(p.records[0].dossier.responsables[0].prenom, "Émilie");
        assert_eq!(p.records[0].children[0].prenom, "Léa");
        assert_eq!(p.records[0].invoices, vec!["F-587"]);
        let (latin1, _, _) = encoding_rs::WINDOWS_1252.encode(&utf8);
        let p = parse(&latin1).unwrap();
        assert_eq!(p.encoding, Encoding::Latin1);
        assert_eq!(p.records[0].dossier.responsables[0].nom, "Lefèvre");
        let commas = utf8.replace(';', ",");
        assert_eq!(parse(commas.as_bytes()).unwrap().separator, b',');
    }

    #[test]
    fn bad_lines_are_rejected_with_their_number() {
        let text = format!(
            "{HEADER}\nD1;A;B;;1 rue A;;;;;;;;\nD2;A;B;;1 rue A;abc;;;;;;;\nD3;A;B;;1 rue A;;;;X;Y;31/02/2019;;\nD1;A;B;;2 rue B;;;;;;;;\nD4;;B;;1 rue A;;;;;;;;\nD5;A;B;pas-une-adresse;1 rue A;;;;;;;;\nD6;A;B;;1 rue A;;;;X;Y;01/01/2019;;peut-être\n"
        );
        let p = parse(text.as_bytes()).unwrap();
        assert_eq!(p.records.len(), 1);
        let reasons: Vec<(usize, &str)> = p
            .rejected
            .iter()
            .map(|r| (r.line, r.reason.as_str()))
            .collect();
        assert_eq!(reasons.len(), 6, "{reasons:?}");
        assert!(reasons[0].1.contains("quotient familial invalide"));
        assert!(
            reasons[1]
                .1
                .contains("date de naissance de l'enfant 1 invalide « 31/02/2019 »")
        );
        assert_eq!(reasons[2].0, 5);
        assert!(reasons[2].1.contains("déjà présent"));
        assert!(reasons[3].1.contains("nom du responsable 1"));
        assert!(reasons[4].1.contains("e-mail"));
        assert!(reasons[5].1.contains("PAI"));
    }

    #[test]
    fn payment_modes_are_read_or_refused() {
        let text = "numero_dossier;responsable1_nom;responsable1_prenom;adresse;mode_paiement\nD1;A;B;1 rue A;prelevement\nD2;A;B;1 rue A;\nD3;A;B;1 rue A;carte bleue\n";
        let p = parse(text.as_bytes()).unwrap();
        let modes: Vec<_> = p.records.iter().map(|r| r.dossier.mode_paiement).collect();
        assert_eq!(modes, [Some(PaymentMode::Prelevement), None]);
        assert_eq!(p.rejected[0].line, 4);
        assert!(
            p.rejected[0]
                .reason
                .contains("mode de paiement inconnu « carte bleue »")
        );
    }

    #[test]
    fn missing_columns_refuse_the_file() {
        assert_eq!(
            parse(b"numero_dossier;adresse\nD1;x\n"),
            Err(FileError::MissingColumns(
                "responsable1_nom, responsable1_prenom".into()
            ))
        );
        assert_eq!(parse(b"  \n"), Err(FileError::Empty));
    }

    #[test]
    fn child_ids_are_stable() {
        let d = NaiveDate::from_ymd_opt(2018, 5, 12).unwrap();
        assert_eq!(child_id("D1", "Léa", d), child_id("D1", "LEA", d));
        assert_ne!(child_id("D1", "Léa", d), child_id("D2", "Léa", d));
    }
}
