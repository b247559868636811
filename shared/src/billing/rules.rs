//! What a day costs, and how days become invoice lines: pure functions of
//! the booking, the attendance and the unit's grid (no store, no clock).
//!
//! The table (`../shared/reference/billing.md`):
//!
//! | booking | attendance | charge |
//! |---|---|---|
//! | booked | present | the unit price |
//! | booked | absent, not justified | the unit price, or the grid's absence fee |
//! | booked | justified absence (certificate, illness with its certificate) | nothing |
//! | illness declared, no certificate yet | — | as an unjustified absence, with a warning |
//! | cancelled in time (no booking left) | — | nothing |
//! | not booked | present | the price plus the grid's surcharge |
//! | booked, past, nothing recorded | — | an **error**: the family's invoice waits |
//! | waiting list, never given a place | — | nothing |

use crate::domain::planning::{Presence, State};
use crate::pricing::{Grid, Surcharge, to_cents};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

/// What the planning and the pointage say of one child's day at one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayFacts {
    /// The cell of the planning (`None`: not booked, or cancelled in time).
    pub booking: Option<State>,
    /// What an agent recorded.
    pub presence: Option<Presence>,
}

/// Why a day is charged (or not): the kind of line it joins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Booked and present.
    Present,
    /// Booked, absent without justification (or illness without certificate).
    UnjustifiedAbsence,
    /// Present without booking: price plus surcharge.
    WithoutBooking,
}

impl Kind {
    /// How the line is labelled on the invoice.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Present => "présence",
            Kind::UnjustifiedAbsence => "absence non justifiée",
            Kind::WithoutBooking => "présence sans réservation",
        }
    }

    /// The kind an invoice line's label names.
    pub fn from_label(label: &str) -> Option<Self> {
        [
            Kind::Present,
            Kind::UnjustifiedAbsence,
            Kind::WithoutBooking,
        ]
        .into_iter()
        .find(|k| k.label() == label)
    }
}

/// Why a day stops the family's invoice until an agent acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Problem {
    /// Booked, in the past, and no attendance recorded.
    NotRecorded,
}

impl Problem {
    pub fn label(self) -> &'static str {
        match self {
            Problem::NotRecorded => "jour réservé sans pointage",
        }
    }
}

/// What one day gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charge {
    /// Billed: the kind of line and the price of the day, unrounded.
    Billed {
        kind: Kind,
        price: Decimal,
        /// Billed, but worth a look (an illness without its certificate).
        warning: bool,
    },
    /// Not billed (justified absence, cancelled, waiting list, nothing).
    Free,
    /// The invoice waits until an agent records the day or ignores it.
    Error(Problem),
}

/// What prices a family's days: its quotient familial (none: the highest
/// bracket) and whether it lives outside the commune. The planning's cost
/// of a month and the invoice price days through it alike.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Tariff {
    pub qf: Option<Decimal>,
    pub hors_commune: bool,
}

/// The QF used when the dossier has none: the highest bracket applies.
const NO_QF: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

impl Tariff {
    pub fn of(dossier: &crate::domain::dossier::Dossier) -> Self {
        Self {
            qf: dossier.quotient_familial,
            hors_commune: dossier.hors_commune,
        }
    }

    /// The price of one day of a unit for a child (its rank among the
    /// family's children registered, eldest first: 1, 2, 3…), unrounded.
    pub fn price(&self, grid: &Grid, child_rank: u32, pai: bool) -> Decimal {
        let payer = crate::pricing::Payer {
            resident: !self.hors_commune,
            child_rank,
        };
        let base = crate::pricing::unit_price(grid, self.qf.unwrap_or(NO_QF), payer);
        day_price(grid, base, pai)
    }
}

/// The month a booked slot is invoiced with: the slot's own month (a
/// holiday week whole with the month it starts in), or, for an activity
/// billed at booking, the month it was booked in.
pub fn billed_month(
    activity: &crate::settings::Activity,
    slot: NaiveDate,
    booked_on: NaiveDate,
) -> crate::ids::MonthId {
    match activity.facturation {
        crate::settings::Billing::Mois => crate::ids::MonthId::of(slot),
        crate::settings::Billing::Reservation => crate::ids::MonthId::of(booked_on),
    }
}

/// The price of a day for one family: the grid's price for its QF, rank and
/// residence (see [`crate::pricing::unit_price`]), and whether the child has
/// a PAI (a meal brought from home).
pub fn day_price(grid: &Grid, base: Decimal, pai: bool) -> Decimal {
    match grid.pai {
        Some(p) if pai => p,
        _ => base,
    }
}

/// What one day costs, from its facts and the day's price for this child.
pub fn charge(grid: &Grid, facts: DayFacts, price: Decimal) -> Charge {
    let absence = |warning| Charge::Billed {
        kind: Kind::UnjustifiedAbsence,
        price: grid.absence.unwrap_or(price),
        warning,
    };
    match (facts.booking, facts.presence) {
        (_, Some(Presence::AbsenceJustifiee)) | (Some(State::Justifiee), _) => Charge::Free,
        (Some(State::Reserve | State::Maladie), Some(Presence::Present)) => Charge::Billed {
            kind: Kind::Present,
            price,
            warning: false,
        },
        (Some(State::Reserve), Some(Presence::Absent)) => absence(false),
        (Some(State::Reserve), None) => Charge::Error(Problem::NotRecorded),
        // Declared ill the same morning: billed as an absence until the
        // certificate comes (the planning says so to the family).
        (Some(State::Maladie), _) => absence(true),
        (None | Some(State::Attente), Some(Presence::Present)) => Charge::Billed {
            kind: Kind::WithoutBooking,
            price: surcharged(price, grid.majoration.as_ref()),
            warning: false,
        },
        (None | Some(State::Attente), _) => Charge::Free,
    }
}

/// The price of a day present without booking.
pub fn surcharged(price: Decimal, surcharge: Option<&Surcharge>) -> Decimal {
    match surcharge {
        None => price,
        Some(Surcharge::Montant { montant }) => price + montant,
        Some(Surcharge::Pourcentage { pourcentage }) => {
            price + price * pourcentage / Decimal::ONE_HUNDRED
        }
        Some(Surcharge::Prix { prix }) => *prix,
    }
}

/// One line of an invoice: the days of one child at one unit, of one kind,
/// at one price.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub kind: Kind,
    pub unit_price: Decimal,
    pub days: Vec<NaiveDate>,
    /// Quantity × unit price, rounded once, half-up to the cent.
    pub amount: Decimal,
    pub warning: bool,
}

impl Line {
    pub fn quantity(&self) -> u32 {
        self.days.len() as u32
    }

    /// "3/11, 4/11, 6/11": the dates as the invoice lists them.
    pub fn dates_label(&self) -> String {
        self.days
            .iter()
            .map(|d| format!("{}/{}", d.day(), d.month()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// What a child's month at one unit gives: its lines, and the days that stop
/// the invoice.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Billed {
    pub lines: Vec<Line>,
    pub errors: Vec<(NaiveDate, Problem)>,
}

/// Groups the charges of days into lines (per kind and price, the days in
/// order), each rounded once.
pub fn lines(days: &[(NaiveDate, Charge)]) -> Billed {
    let mut billed = Billed::default();
    let mut sorted: Vec<&(NaiveDate, Charge)> = days.iter().collect();
    sorted.sort_by_key(|(d, _)| *d);
    for (day, charge) in sorted {
        match *charge {
            Charge::Free => {}
            Charge::Error(p) => billed.errors.push((*day, p)),
            Charge::Billed {
                kind,
                price,
                warning,
            } => match billed
                .lines
                .iter_mut()
                .find(|l| l.kind == kind && l.unit_price == price)
            {
                Some(line) => {
                    line.days.push(*day);
                    line.warning |= warning;
                }
                None => billed.lines.push(Line {
                    kind,
                    unit_price: price,
                    days: vec![*day],
                    amount: Decimal::ZERO,
                    warning,
                }),
            },
        }
    }
    for line in &mut billed.lines {
        line.amount = to_cents(line.unit_price * Decimal::from(line.quantity()));
    }
    billed.lines.sort_by_key(|l| (l.kind, l.unit_price));
    billed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::{Bracket, Scale};

    #[test]
    fn a_holiday_week_is_billed_with_its_month_or_the_booking_month() {
        let mut a = crate::settings::embedded()
            .activity("vacances")
            .unwrap()
            .clone();
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let (week, booked) = (d(2026, 12, 21), d(2026, 11, 20));
        assert_eq!(billed_month(&a, week, booked).to_string(), "2026-12");
        a.facturation = crate::settings::Billing::Reservation;
        assert_eq!(billed_month(&a, week, booked).to_string(), "2026-11");
    }

    fn grid() -> Grid {
        Grid {
            scale: Scale::Tranches {
                tranches: vec![Bracket {
                    qf_min: dec!(0),
                    qf_max: None,
                    prix: dec!(3.30),
                }],
            },
            hors_commune: Some(dec!(5.60)),
            des_3e_enfant: None,
            pai: Some(dec!(1.10)),
            absence: None,
            majoration: Some(Surcharge::Montant {
                montant: dec!(1.50),
            }),
        }
    }

    fn facts(booking: Option<State>, presence: Option<Presence>) -> DayFacts {
        DayFacts { booking, presence }
    }

    fn billed(kind: Kind, price: Decimal) -> Charge {
        Charge::Billed {
            kind,
            price,
            warning: false,
        }
    }

    #[test]
    fn each_row_of_the_table() {
        let g = grid();
        let p = dec!(3.30);
        use Presence::*;
        use State::*;
        let rows = [
            (
                facts(Some(Reserve), Some(Present)),
                billed(Kind::Present, p),
            ),
            (
                facts(Some(Reserve), Some(Absent)),
                billed(Kind::UnjustifiedAbsence, p),
            ),
            (facts(Some(Reserve), Some(AbsenceJustifiee)), Charge::Free),
            (facts(Some(Justifiee), None), Charge::Free),
            (facts(Some(Justifiee), Some(Absent)), Charge::Free),
            (
                facts(Some(Maladie), None),
                Charge::Billed {
                    kind: Kind::UnjustifiedAbsence,
                    price: p,
                    warning: true,
                },
            ),
            (facts(None, None), Charge::Free),
            (
                facts(None, Some(Present)),
                billed(Kind::WithoutBooking, dec!(4.80)),
            ),
            (
                facts(Some(Attente), Some(Present)),
                billed(Kind::WithoutBooking, dec!(4.80)),
            ),
            (facts(Some(Attente), None), Charge::Free),
            (facts(None, Some(Absent)), Charge::Free),
            (
                facts(Some(Reserve), None),
                Charge::Error(Problem::NotRecorded),
            ),
        ];
        for (f, expected) in rows {
            assert_eq!(charge(&g, f, p), expected, "{f:?}");
        }
    }

    #[test]
    fn an_absence_fee_and_other_surcharges_apply_when_the_grid_names_them() {
        let mut g = grid();
        g.absence = Some(dec!(1.00));
        let absent = facts(Some(State::Reserve), Some(Presence::Absent));
        assert_eq!(
            charge(&g, absent, dec!(3.30)),
            billed(Kind::UnjustifiedAbsence, dec!(1.00))
        );
        let pct = Surcharge::Pourcentage {
            pourcentage: dec!(50),
        };
        assert_eq!(surcharged(dec!(3.30), Some(&pct)), dec!(4.95));
        let fixed = Surcharge::Prix { prix: dec!(6.00) };
        assert_eq!(surcharged(dec!(3.30), Some(&fixed)), dec!(6.00));
        assert_eq!(surcharged(dec!(3.30), None), dec!(3.30));
    }

    #[test]
    fn a_pai_child_pays_the_pai_price() {
        assert_eq!(day_price(&grid(), dec!(3.30), true), dec!(1.10));
        assert_eq!(day_price(&grid(), dec!(3.30), false), dec!(3.30));
        let mut g = grid();
        g.pai = None;
        assert_eq!(day_price(&g, dec!(3.30), true), dec!(3.30));
    }

    #[test]
    fn days_group_into_lines_rounded_once() {
        let d = |n| NaiveDate::from_ymd_opt(2026, 11, n).unwrap();
        // An effort rate gives more than two decimals: 0.825 × 3 = 2.475
        // → 2.48 once, not 3 × 0.83 = 2.49.
        let rate = dec!(0.825);
        let days = [
            (d(6), billed(Kind::Present, rate)),
            (d(3), billed(Kind::Present, rate)),
            (d(4), billed(Kind::Present, rate)),
            (d(5), Charge::Free),
            (d(10), billed(Kind::UnjustifiedAbsence, rate)),
            (d(12), Charge::Error(Problem::NotRecorded)),
            (d(13), billed(Kind::WithoutBooking, dec!(4.80))),
        ];
        let b = lines(&days);
        assert_eq!(b.errors, vec![(d(12), Problem::NotRecorded)]);
        assert_eq!(b.lines.len(), 3);
        let present = &b.lines[0];
        assert_eq!(present.kind, Kind::Present);
        assert_eq!(present.dates_label(), "3/11, 4/11, 6/11");
        assert_eq!(present.quantity(), 3);
        assert_eq!(present.amount, dec!(2.48));
        assert_eq!(b.lines[1].kind, Kind::UnjustifiedAbsence);
        assert_eq!(b.lines[1].amount, dec!(0.83));
        assert_eq!(b.lines[2].amount, dec!(4.80));
    }

    #[test]
    fn the_shipped_canteen_grid_prices_pai_and_meals_without_booking() {
        let s = crate::settings::parse(crate::settings::SOURCE).unwrap();
        let repas = &s
            .activity("restauration")
            .unwrap()
            .unit("repas")
            .unwrap()
            .tarif;
        let walk_in = facts(None, Some(Presence::Present));
        assert_eq!(
            charge(repas, walk_in, dec!(3.30)),
            billed(Kind::WithoutBooking, dec!(4.80))
        );
        assert_eq!(day_price(repas, dec!(3.30), true), dec!(1.10));
    }

    #[test]
    fn a_tariff_prices_residence_rank_and_pai() {
        let g = grid();
        let resident = Tariff {
            qf: Some(dec!(845)),
            hors_commune: false,
        };
        assert_eq!(resident.price(&g, 1, false), dec!(3.30));
        assert_eq!(resident.price(&g, 1, true), dec!(1.10));
        let outside = Tariff {
            hors_commune: true,
            ..resident
        };
        assert_eq!(outside.price(&g, 1, false), dec!(5.60));
        // Without a QF, the highest bracket.
        assert_eq!(Tariff::default().price(&g, 1, false), dec!(3.30));
    }
}
