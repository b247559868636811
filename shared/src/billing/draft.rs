//! A family's draft invoice for a campaign: a pure function of the settings,
//! the campaign, the dossier and its children, the family's day entries of
//! the month, the error lines ignored, what the month's invoices already
//! billed (a corrective campaign bills only the differences) and the
//! family's open credit notes.

use super::facts::Fact;
use super::rules::{self, Charge, DayFacts, Kind, Tariff};
use crate::domain::campaign::{Campaign, CreditUse, Draft, JournalLine, Level, day_ref};
use crate::domain::dossier::{Child, Dossier, PaymentMode};
use crate::domain::invoice::Line;
use crate::domain::planning::State;
use crate::settings::{Activity, Category, Settings, Unit};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

/// What a family's draft is made of.
pub struct Family<'a> {
    pub dossier: &'a Dossier,
    /// Eldest first (their rank prices the third child).
    pub children: &'a [Child],
    /// The family's days billed with the month.
    pub entries: &'a [Fact],
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
type ByUnit<'e> = BTreeMap<(&'e str, &'e str, &'e str), Vec<(NaiveDate, &'e Fact)>>;

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
    for e in family.entries {
        by_unit
            .entry((e.enfant.as_str(), e.activite.as_str(), e.unite.as_str()))
            .or_default()
            .push((e.day, e));
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
        let known = family.children.iter().position(|c| c.id == child);
        let (rank, pai, child_name) = match known {
            Some(i) => {
                let c = &family.children[i];
                (i as u32 + 1, c.pai, format!("{} {}", c.prenom, c.nom))
            }
            // A child no longer in the dossier: named by its identifier.
            None => (1, false, child.to_owned()),
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
                    let c = if crate::calendar::runs_on(activity, &s.calendrier, *day) {
                        rules::charge(&unit.tarif, facts, price)
                    } else {
                        // A closure decided after the booking (a strike,
                        // a public holiday added): never billed.
                        note(
                            Level::Avertissement,
                            *day,
                            "jour de fermeture : non facturé",
                        );
                        Charge::Free
                    };
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
    days: &[(NaiveDate, &Fact)],
    price: Decimal,
) -> Vec<(NaiveDate, Charge)> {
    let mut weeks: BTreeMap<NaiveDate, Vec<&Fact>> = BTreeMap::new();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::campaign::Progress;
    use crate::domain::planning::Presence;

    fn settings() -> &'static Settings {
        crate::settings::embedded()
    }

    fn campaign(corrective: bool) -> Campaign {
        Campaign {
            id: "C".into(),
            mois: "2026-10".into(),
            activites: vec!["restauration".into(), "vacances".into()],
            emise_le: d("2026-11-26"),
            echeance: d("2026-12-20"),
            prelevement_le: None,
            corrective,
            etape: crate::domain::campaign::Stage::Calcul,
            run: 1,
            progression: Progress::default(),
            ouverte_par: "Claire Martin".into(),
            ouverte_le: chrono::Utc::now(),
        }
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn child() -> Child {
        crate::demo::children().remove(0)
    }

    fn entry(
        day: &str,
        activity: &str,
        unit: &str,
        etat: Option<State>,
        presence: Option<Presence>,
    ) -> Fact {
        Fact {
            day: d(day),
            enfant: child().id,
            activite: activity.into(),
            unite: unit.into(),
            etat,
            presence,
        }
    }

    fn meals(days: &[(&str, Option<State>, Option<Presence>)]) -> Vec<Fact> {
        days.iter()
            .map(|(day, etat, p)| entry(day, "restauration", "repas", *etat, *p))
            .collect()
    }

    fn draft_of(
        c: &Campaign,
        entries: &[Fact],
        ignored: &BTreeSet<String>,
        invoiced: &[Line],
        credits: &[(String, Decimal)],
    ) -> Draft {
        let dossier = crate::demo::dossier();
        let children = crate::demo::children();
        draft(
            settings(),
            c,
            &Family {
                dossier: &dossier,
                children: &children,
                entries,
                ignored,
                invoiced,
                credits,
            },
        )
    }

    const R: Option<State> = Some(State::Reserve);
    const P: Option<Presence> = Some(Presence::Present);

    #[test]
    fn a_month_across_the_clock_change_a_public_holiday_and_a_closure() {
        // Two holiday weeks either side of the change to winter time (25
        // October): one line, two weeks; 11 November is a public holiday
        // (booked before it was known): not billed.
        let mut c = campaign(false);
        let days: Vec<Fact> = ["2026-10-23", "2026-10-26"]
            .iter()
            .map(|day| entry(day, "vacances", "semaine", R, P))
            .collect();
        let draft = draft_of(&c, &days, &BTreeSet::new(), &[], &[]);
        assert_eq!(draft.lignes.len(), 1);
        assert_eq!(draft.lignes[0].quantite, 2);
        assert_eq!(draft.lignes[0].dates_label(), "23/10, 26/10");
        c.mois = "2026-11".into();
        let draft = draft_of(
            &c,
            &meals(&[("2026-11-11", R, P), ("2026-11-12", R, P)]),
            &BTreeSet::new(),
            &[],
            &[],
        );
        assert_eq!(draft.lignes[0].dates_label(), "12/11");
        assert_eq!(draft.journal[0].message, "jour de fermeture : non facturé");
        // 29 January: the settings' closure (journée pédagogique).
        c.mois = "2027-01".into();
        let draft = draft_of(
            &c,
            &meals(&[("2027-01-28", R, P), ("2027-01-29", R, None)]),
            &BTreeSet::new(),
            &[],
            &[],
        );
        assert_eq!(
            (draft.errors(), draft.lignes[0].dates_label().as_str()),
            (0, "28/1")
        );
    }

    #[test]
    fn an_unrecorded_day_is_an_error_until_ignored() {
        let c = campaign(false);
        let days = meals(&[("2026-10-01", R, P), ("2026-10-02", R, None)]);
        let draft = draft_of(&c, &days, &BTreeSet::new(), &[], &[]);
        assert_eq!(draft.errors(), 1);
        let ignored = BTreeSet::from([day_ref(
            &child().id,
            d("2026-10-02"),
            "restauration",
            "repas",
        )]);
        let draft = draft_of(&c, &days, &ignored, &[], &[]);
        assert_eq!(draft.errors(), 0);
        assert_eq!(draft.journal[0].niveau, Level::Ignoree);
        assert_eq!(draft.lignes[0].quantite, 1);
    }

    #[test]
    fn a_holiday_week_is_billed_once_unless_justified_whole() {
        let c = campaign(false);
        let week: Vec<Fact> = [
            "2026-10-19",
            "2026-10-20",
            "2026-10-21",
            "2026-10-22",
            "2026-10-23",
        ]
        .iter()
        .map(|day| entry(day, "vacances", "semaine", R, None))
        .collect();
        let draft = draft_of(&c, &week, &BTreeSet::new(), &[], &[]);
        assert_eq!(draft.errors(), 0, "no pointage needed for a week");
        assert_eq!(draft.lignes.len(), 1);
        assert_eq!(
            (
                draft.lignes[0].quantite,
                draft.lignes[0].dates_label().as_str()
            ),
            (1, "19/10")
        );
        let justified: Vec<Fact> = week
            .iter()
            .map(|e| Fact {
                etat: Some(State::Justifiee),
                ..e.clone()
            })
            .collect();
        assert!(
            draft_of(&c, &justified, &BTreeSet::new(), &[], &[])
                .lignes
                .is_empty()
        );
    }

    #[test]
    fn a_corrective_campaign_bills_only_the_differences() {
        let monthly = draft_of(
            &campaign(false),
            &meals(&[
                ("2026-10-01", R, P),
                ("2026-10-02", R, Some(Presence::Absent)),
            ]),
            &BTreeSet::new(),
            &[],
            &[],
        );
        // Nothing changed: nothing to bill.
        let same = meals(&[
            ("2026-10-01", R, P),
            ("2026-10-02", R, Some(Presence::Absent)),
        ]);
        assert!(
            draft_of(
                &campaign(true),
                &same,
                &BTreeSet::new(),
                &monthly.lignes,
                &[]
            )
            .lignes
            .is_empty()
        );
        // The absence was justified: its reversal only, a credit.
        let changed = meals(&[
            ("2026-10-01", R, P),
            ("2026-10-02", R, Some(Presence::AbsenceJustifiee)),
        ]);
        let fix = draft_of(
            &campaign(true),
            &changed,
            &BTreeSet::new(),
            &monthly.lignes,
            &[],
        );
        assert_eq!(fix.lignes.len(), 1);
        assert_eq!(
            (fix.lignes[0].quantite, fix.lignes[0].nature.as_str()),
            (-1, "absence non justifiée")
        );
        assert!(fix.total < Decimal::ZERO);
        // A day pointed present without booking after the invoice: a new line.
        let mut walk_in = changed.clone();
        walk_in.push(entry("2026-10-05", "restauration", "repas", None, P));
        let mut billed = monthly.lignes.clone();
        billed.extend(fix.lignes.clone());
        let more = draft_of(&campaign(true), &walk_in, &BTreeSet::new(), &billed, &[]);
        assert_eq!(more.lignes.len(), 1);
        assert_eq!(
            (more.lignes[0].quantite, more.lignes[0].nature.as_str()),
            (1, "présence sans réservation")
        );
    }

    #[test]
    fn credit_notes_are_deducted_up_to_the_total() {
        let days = meals(&[("2026-10-01", R, P)]);
        let credits = [
            ("A-2026-000001".to_owned(), dec!(100)),
            ("A-2026-000002".to_owned(), dec!(5)),
        ];
        let draft = draft_of(&campaign(false), &days, &BTreeSet::new(), &[], &credits);
        assert_eq!(draft.total, Decimal::ZERO);
        assert_eq!(
            draft.avoirs.len(),
            1,
            "the second credit note is kept for later"
        );
        assert!(
            draft.issues_document(),
            "an invoice paid by a credit note is still issued"
        );
    }
}
