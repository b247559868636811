//! A family's draft invoice for a campaign: a pure function of the settings,
//! the campaign, the dossier and its children, the family's day entries of
//! the month, the error lines ignored, what the month's invoices already
//! billed (a corrective campaign bills only the differences) and the
//! family's open credit notes.

use super::rules::{self, Charge, DayFacts, Kind, Tariff};
use crate::domain::campaign::{Campaign, CreditUse, Draft, JournalLine, Level, day_ref};
use crate::domain::dossier::{Child, Dossier, PaymentMode};
use crate::domain::invoice::Line;
use crate::domain::planning::{DayEntry, State};
use crate::settings::{Activity, Category, Settings, Unit};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

/// What a family's draft is made of.
pub struct Family<'a> {
    pub dossier: &'a Dossier,
    /// Eldest first (their rank prices the third child).
    pub children: &'a [Child],
    /// The family's day entries billed with the month, with their day.
    pub entries: &'a [(NaiveDate, DayEntry)],
    /// Day refs ([`day_ref`]) of the error lines an agent ignored.
    pub ignored: &'a BTreeSet<String>,
    /// The lines the month's published invoices and credit notes billed.
    pub invoiced: &'a [Line],
    /// Open credit notes, oldest first: (number, amount left).
    pub credits: &'a [(String, Decimal)],
}

/// Days and what each costs.
type Charges = Vec<(NaiveDate, Charge)>;
/// A family's entries by (child, activity, unit).
type ByUnit<'e> = BTreeMap<(&'e str, &'e str, &'e str), Vec<(NaiveDate, &'e DayEntry)>>;

/// One child's days at one unit.
struct Group<'a> {
    child: String,
    child_name: String,
    activity: &'a Activity,
    unit: &'a Unit,
    charges: Charges,
}

pub fn draft(s: &Settings, campaign: &Campaign, family: &Family) -> Draft {
    let mut journal = Vec::new();
    let groups = groups(s, campaign, family, &mut journal);
    let mut lignes = Vec::new();
    for g in &groups {
        let prestation = format!("{} — {}", g.activity.nom, g.unit.nom);
        let line = |l: &rules::Line, sign: i64| Line {
            enfant: g.child.clone(),
            enfant_nom: g.child_name.clone(),
            activite: g.activity.id.clone(),
            unite: g.unit.id.clone(),
            prestation: prestation.clone(),
            nature: l.kind.label().into(),
            dates: l.days.clone(),
            quantite: sign * i64::from(l.quantity()),
            prix: l.unit_price,
            montant: Decimal::from(sign) * l.amount,
        };
        if campaign.corrective {
            let (reversed, new) = differences(g, family.invoiced);
            lignes.extend(rules::lines(&reversed).lines.iter().map(|l| line(l, -1)));
            lignes.extend(rules::lines(&new).lines.iter().map(|l| line(l, 1)));
        } else {
            lignes.extend(rules::lines(&g.charges).lines.iter().map(|l| line(l, 1)));
        }
    }
    let mut total: Decimal = lignes.iter().map(|l| l.montant).sum();
    let mut avoirs = Vec::new();
    if !campaign.corrective {
        for (numero, left) in family.credits {
            if total <= Decimal::ZERO {
                break;
            }
            let used = (*left).min(total);
            total -= used;
            avoirs.push(CreditUse {
                avoir: numero.clone(),
                montant: used,
            });
            lignes.push(Line {
                enfant: String::new(),
                enfant_nom: String::new(),
                activite: String::new(),
                unite: String::new(),
                prestation: format!("Avoir {numero}"),
                nature: "avoir déduit".into(),
                dates: vec![],
                quantite: 1,
                prix: -used,
                montant: -used,
            });
        }
    }
    let d = family.dossier;
    Draft {
        dossier: d.numero.clone(),
        payeur: d
            .responsables
            .first()
            .map(|r| format!("{} {}", r.prenom, r.nom))
            .unwrap_or_default(),
        adresse: d.adresse.clone(),
        lignes,
        journal,
        total,
        avoirs,
        prelevement: d.mode_paiement == Some(PaymentMode::Prelevement),
    }
}

/// The family's days grouped per child and unit, each charged; errors and
/// warnings go to the journal (an ignored error is not billed).
fn groups<'a>(
    s: &'a Settings,
    campaign: &Campaign,
    family: &Family,
    journal: &mut Vec<JournalLine>,
) -> Vec<Group<'a>> {
    let tariff = Tariff::of(family.dossier);
    let mut by_unit: ByUnit = BTreeMap::new();
    for (day, e) in family.entries {
        by_unit
            .entry((e.enfant.as_str(), e.activite.as_str(), e.unite.as_str()))
            .or_default()
            .push((*day, e));
    }
    let mut out = Vec::new();
    for ((child, activity, unit), mut days) in by_unit {
        let Some(activity) = s
            .activity(activity)
            .filter(|a| campaign.activites.contains(&a.id))
        else {
            continue;
        };
        let Some(unit) = activity.unit(unit) else {
            continue;
        };
        days.sort_by_key(|(d, _)| *d);
        let first = days[0].1;
        let known = family.children.iter().position(|c| c.id == child);
        let (rank, pai, child_name) = match known {
            Some(i) => {
                let c = &family.children[i];
                (i as u32 + 1, c.pai, format!("{} {}", c.prenom, c.nom))
            }
            None => (1, first.pai, first.enfant_nom.clone()),
        };
        let price = tariff.price(&unit.tarif, rank, pai);
        let mut note = |level: Level, day: NaiveDate, message: &str| {
            journal.push(JournalLine {
                niveau: level,
                enfant: child.to_owned(),
                enfant_nom: child_name.clone(),
                activite: activity.id.clone(),
                unite: unit.id.clone(),
                jour: day,
                message: message.into(),
            })
        };
        let charges = if activity.categorie == Category::Vacances {
            week_charges(activity, &days, price)
        } else {
            days.iter()
                .map(|(day, e)| {
                    let facts = DayFacts {
                        booking: e.etat,
                        presence: e.presence,
                    };
                    let c = rules::charge(&unit.tarif, facts, price);
                    let c = match c {
                        Charge::Error(p) => {
                            if family.ignored.contains(&day_ref(
                                child,
                                *day,
                                &activity.id,
                                &unit.id,
                            )) {
                                note(Level::Ignoree, *day, "erreur ignorée : jour non facturé");
                                Charge::Free
                            } else {
                                note(Level::Erreur, *day, p.label());
                                c
                            }
                        }
                        Charge::Billed { warning: true, .. } => {
                            note(
                                Level::Avertissement,
                                *day,
                                "absence maladie sans certificat : facturée comme une absence",
                            );
                            c
                        }
                        _ => c,
                    };
                    (*day, c)
                })
                .collect()
        };
        out.push(Group {
            child: child.to_owned(),
            child_name,
            activity,
            unit,
            charges,
        });
    }
    out
}

/// A holiday week is billed whole, once, on its first day, when booked
/// (unless every day of it was justified).
fn week_charges(
    activity: &Activity,
    days: &[(NaiveDate, &DayEntry)],
    price: Decimal,
) -> Vec<(NaiveDate, Charge)> {
    let mut weeks: BTreeMap<NaiveDate, Vec<&DayEntry>> = BTreeMap::new();
    for (day, e) in days {
        weeks
            .entry(crate::planning::rules::slot(activity, *day))
            .or_default()
            .push(e);
    }
    weeks
        .into_iter()
        .map(|(slot, entries)| {
            let booked = entries
                .iter()
                .any(|e| matches!(e.etat, Some(State::Reserve | State::Maladie)));
            let justified = entries.iter().all(|e| {
                e.etat == Some(State::Justifiee)
                    || e.presence == Some(crate::domain::planning::Presence::AbsenceJustifiee)
            });
            let charge = if booked && !justified {
                Charge::Billed {
                    kind: Kind::Present,
                    price,
                    warning: false,
                }
            } else {
                Charge::Free
            };
            let first = days
                .iter()
                .map(|(d, _)| *d)
                .find(|d| crate::planning::rules::slot(activity, *d) == slot)
                .unwrap_or(slot);
            (first, charge)
        })
        .collect()
}

/// A corrective campaign's charges for a group: the days billed before and
/// now billed otherwise (to reverse, at the price they were billed), and
/// what they are billed now. A day still in error keeps what was billed.
fn differences(g: &Group, invoiced: &[Line]) -> (Charges, Charges) {
    let mut before: BTreeMap<NaiveDate, BTreeMap<(String, Decimal), i64>> = BTreeMap::new();
    for l in invoiced
        .iter()
        .filter(|l| l.enfant == g.child && l.activite == g.activity.id && l.unite == g.unit.id)
    {
        for d in &l.dates {
            *before
                .entry(*d)
                .or_default()
                .entry((l.nature.clone(), l.prix))
                .or_default() += l.quantite.signum();
        }
    }
    let now: BTreeMap<NaiveDate, Charge> = g.charges.iter().copied().collect();
    let days: BTreeSet<NaiveDate> = before.keys().chain(now.keys()).copied().collect();
    let (mut reversed, mut new) = (Vec::new(), Vec::new());
    for day in days {
        let was: Vec<(Kind, Decimal)> = before
            .get(&day)
            .into_iter()
            .flatten()
            .filter(|(_, n)| **n > 0)
            .filter_map(|((nature, price), _)| Kind::from_label(nature).map(|k| (k, *price)))
            .collect();
        let is = match now.get(&day) {
            Some(Charge::Error(_)) => continue,
            Some(Charge::Billed { kind, price, .. }) => Some((*kind, *price)),
            _ => None,
        };
        if was.len() == usize::from(is.is_some()) && was.first().copied() == is {
            continue;
        }
        let billed = |(kind, price): (Kind, Decimal)| Charge::Billed {
            kind,
            price,
            warning: false,
        };
        reversed.extend(was.into_iter().map(|w| (day, billed(w))));
        new.extend(is.map(|i| (day, billed(i))));
    }
    (reversed, new)
}
