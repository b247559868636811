//! The demo commune's data, written once on an empty database: a family
//! dossier with two children and an unpaid invoice (the activities are in the
//! commune settings). All in one transaction guarded by a marker item, so two
//! portals starting on the same file seed it once.

use crate::domain::dossier::{self, Child, Dossier, PaymentMode, Responsable};
use crate::domain::invoice::{self, Invoice, Kind, Line, Status};
use crate::store::{Condition, Item, Key, Store, StoreError, Write};
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// What a visitor types at step 2 of the sign-up to link the demo dossier.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoReferences {
    pub dossier: String,
    pub responsable: String,
    pub invoice_digits: String,
}

fn marker() -> Key {
    Key::new("META", "DEMO")
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

pub fn dossier() -> Dossier {
    Dossier {
        numero: "D2026-0142".into(),
        responsables: vec![Responsable {
            nom: "Lefèvre".into(),
            prenom: "Émilie".into(),
            courriel: Some("emilie.lefevre@example.org".into()),
            telephone: Some("06 12 34 56 78".into()),
        }],
        adresse: "12 rue des Tilleuls, 01500 Val-d'Albarine".into(),
        quotient_familial: Some(Decimal::new(845, 0)),
        qf_date: Some(date(2026, 9, 1)),
        mode_paiement: Some(PaymentMode::Prelevement),
        hors_commune: false,
    }
}

/// The demo dossier pays by direct debit: its mandate, validated.
pub fn mandate() -> crate::payment::sepa::Mandate {
    crate::payment::sepa::Mandate {
        rum: "EF-D2026-0142-20260901080000".into(),
        dossier: "D2026-0142".into(),
        titulaire: "Émilie Lefèvre".into(),
        iban: "FR7630001007941234567890185".into(),
        bic: None,
        signe_le: date(2026, 9, 1),
        statut: crate::payment::sepa::MandateStatus::Actif,
        fin_le: None,
        fin_motif: None,
        derniere_collecte: None,
    }
}

pub fn children() -> Vec<Child> {
    vec![
        Child {
            id: "01JBDEMO0LEA00000000000000".into(),
            nom: "Lefèvre".into(),
            prenom: "Léa".into(),
            naissance: date(2018, 5, 12),
            ecole: "École élémentaire Jean-Jaurès".into(),
            classe: "CE2".into(),
            regime: Some("sans porc".into()),
            pai: false,
        },
        Child {
            id: "01JBDEMO0HUGO0000000000000".into(),
            nom: "Lefèvre".into(),
            prenom: "Hugo".into(),
            naissance: date(2021, 9, 3),
            ecole: "École maternelle Les Tilleuls".into(),
            classe: "MS".into(),
            regime: None,
            pai: true,
        },
    ]
}

pub fn invoice() -> Invoice {
    Invoice {
        numero: "F2026-10-000587".into(),
        dossier: "D2026-0142".into(),
        periode: "octobre 2026".into(),
        emise_le: date(2026, 11, 2),
        echeance: date(2026, 11, 30),
        montant: Decimal::new(8640, 2),
        statut: Status::Unpaid,
        kind: Kind::Facture,
        // Imported from the former portal: no month billed here.
        mois: None,
        campagne: None,
        payeur: "Émilie Lefèvre".into(),
        adresse: dossier().adresse,
        lignes: vec![Line {
            enfant: children()[0].id.clone(),
            enfant_nom: "Léa Lefèvre".into(),
            activite: "restauration".into(),
            unite: "repas".into(),
            prestation: "Restauration scolaire — Repas (reprise de l'ancien portail)".into(),
            nature: "présence".into(),
            dates: vec![],
            quantite: 24,
            prix: Decimal::new(360, 2),
            montant: Decimal::new(8640, 2),
        }],
        paiements: vec![],
        prelevement_le: None,
        transmise_le: None,
        preleve: None,
        rejet: None,
    }
}

/// An invoice of 40 lines (two children, accents), as a busy month prints:
/// what the PDF's tests and benchmark render.
pub fn long_invoice() -> Invoice {
    let mut inv = invoice();
    inv.numero = "F-2026-000042".into();
    inv.lignes = (0..40u32)
        .map(|i| Line {
            enfant: "E".into(),
            enfant_nom: if i % 2 == 0 {
                "Léa Lefèvre"
            } else {
                "Hugo Lefèvre"
            }
            .into(),
            activite: "restauration".into(),
            unite: "repas".into(),
            prestation: "Restauration scolaire — Repas".into(),
            nature: "présence".into(),
            dates: (1..=3).map(|d| date(2026, 11, d + i % 20)).collect(),
            quantite: 3,
            prix: Decimal::new(330, 2),
            montant: Decimal::new(990, 2),
        })
        .collect();
    inv.montant = Decimal::new(39600, 2);
    inv
}

/// The references the demo family types at sign-up.
pub fn references() -> DemoReferences {
    let d = dossier();
    DemoReferences {
        invoice_digits: invoice().last_three_digits(),
        responsable: d.responsables[0].nom.clone(),
        dossier: d.numero,
    }
}

/// Seeds the demo data unless it is there; tells whether it wrote it.
pub async fn seed_if_empty(store: &dyn Store) -> Result<bool, StoreError> {
    let d = dossier();
    let mut writes = vec![
        Write::Put {
            item: Item::new(marker(), Default::default()),
            condition: Condition::NotExists,
        },
        Write::Put {
            item: Item::from_record(dossier::key(&d.numero), &d)?,
            condition: Condition::NotExists,
        },
    ];
    for item in dossier::name_index_items(&d)? {
        writes.push(Write::Put {
            item,
            condition: Condition::NotExists,
        });
    }
    for child in children() {
        writes.push(Write::Put {
            item: dossier::child_index_item(&d.numero, &child),
            condition: Condition::NotExists,
        });
        writes.push(Write::Put {
            item: Item::from_record(dossier::child_key(&d.numero, &child.id), &child)?,
            condition: Condition::NotExists,
        });
    }
    let inv = invoice();
    writes.push(Write::Put {
        item: invoice::item(&inv)?,
        condition: Condition::NotExists,
    });
    writes.push(Write::Put {
        item: crate::payment::mandates::demo_item(&mandate())?,
        condition: Condition::NotExists,
    });
    match store.transact(writes).await {
        Ok(()) => Ok(true),
        Err(StoreError::TransactionCancelled { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// A past month of the canteen for a dossier's children, for a
/// demonstration or a training session of the régie: every day the canteen
/// ran is booked and pointed present but the last one, left unpointed (the
/// error line the campaign shows, for an agent to point). Nothing a family
/// booked is overwritten (a month already stored is left as it is).
/// Returns the days booked.
pub async fn seed_past_month(
    app: &crate::app::App,
    numero: &str,
    month: crate::ids::MonthId,
) -> Result<usize, StoreError> {
    use crate::domain::planning::{Cell, DayEntry, Month, Presence, State, day_key, month_key};
    let s = &app.settings;
    let Some(activity) = s.activity("restauration") else {
        return Ok(0);
    };
    let Some(unit) = activity.unites.first() else {
        return Ok(0);
    };
    let days: Vec<NaiveDate> = month
        .first_day()
        .iter_days()
        .take_while(|d| *d <= month.last_day())
        .filter(|d| crate::calendar::runs_on(activity, &s.calendrier, *d))
        .collect();
    let now = app.clock.now();
    let mut booked = 0;
    for child in crate::dossiers::children(app.store.as_ref(), numero).await? {
        let mut m = Month::default();
        let mut writes = Vec::new();
        let mut facts = crate::billing::facts::Changes::new(numero);
        let at = |days| crate::billing::facts::Days {
            child: &child.id,
            activity: &activity.id,
            unit: &unit.id,
            days,
        };
        facts
            .booked(&month.to_string(), &at(&days), State::Reserve)
            .attended(
                &month.to_string(),
                &at(&days[..days.len().saturating_sub(1)]),
                Presence::Present,
            );
        for (i, day) in days.iter().enumerate() {
            let uref = crate::domain::planning::unit_ref(&activity.id, &unit.id);
            m.set(
                *day,
                &uref,
                Some(Cell {
                    etat: State::Reserve,
                    depuis: now,
                }),
            );
            let mut entry =
                DayEntry::of(numero, &child, &activity.id, &unit.id, Some(State::Reserve));
            entry.presence = (i + 1 < days.len()).then_some(Presence::Present);
            let item = Item::from_record(
                day_key(*day, &activity.id, &unit.id, numero, &child.id),
                &entry,
            )?;
            writes.push(Write::Put {
                item,
                condition: Condition::NotExists,
            });
        }
        let month_item = Item::from_record(month_key(numero, &child.id, &month.to_string()), &m)?;
        if app.store.get(&month_item.key).await?.is_some() {
            continue;
        }
        app.store.put(month_item, Condition::NotExists).await?;
        writes.extend(facts.writes());
        for batch in writes.chunks(crate::store::MAX_TRANSACTION_WRITES) {
            app.store.transact(batch.to_vec()).await?;
        }
        booked += days.len();
    }
    Ok(booked)
}
