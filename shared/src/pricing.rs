//! Prices: the quotient familial by the CAF rule, and the price of a unit
//! from a grid — by QF brackets, or as an effort rate clamped between a
//! minimum and a maximum — with the non-resident and third-child prices.
//! The simulation page and the billing both call these functions (the
//! page's script is checked against them by a browser test).

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// Incomes above this are refused as absurd (10 M€ a year).
pub const MAX_INCOME: Decimal = Decimal::from_parts(10_000_000, 0, 0, false, 0);
/// Monthly benefits above this are refused as absurd.
pub const MAX_BENEFITS: Decimal = Decimal::from_parts(100_000, 0, 0, false, 0);
pub const MAX_CHILDREN: u32 = 20;

/// What a family declares to compute its quotient familial.
#[derive(Debug, Clone, PartialEq)]
pub struct Household {
    /// Annual taxable income before the 10 % allowance, in euros.
    pub annual_income: Decimal,
    /// Monthly family benefits, in euros.
    pub monthly_benefits: Decimal,
    /// Dependent children.
    pub children: u32,
    /// Of them, children receiving the AEEH.
    pub aeeh_children: u32,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HouseholdError {
    #[error("Le revenu doit être positif ou nul.")]
    NegativeIncome,
    #[error("Le revenu indiqué dépasse 10 000 000 € : vérifiez la saisie.")]
    AbsurdIncome,
    #[error("Les prestations doivent être positives ou nulles.")]
    NegativeBenefits,
    #[error("Les prestations indiquées dépassent 100 000 € par mois : vérifiez la saisie.")]
    AbsurdBenefits,
    #[error("Le nombre d'enfants doit être compris entre 0 et 20.")]
    TooManyChildren,
    #[error(
        "Le nombre d'enfants bénéficiant de l'AEEH ne peut pas dépasser le nombre d'enfants à charge."
    )]
    MoreAeehThanChildren,
}

/// The CAF's number of parts: 2 for the parent(s), couple or single alike;
/// +0.5 for each of the first two children, +1 for the third, +0.5 for each
/// further one; +0.5 for each child receiving the AEEH.
pub fn parts(children: u32, aeeh_children: u32) -> Decimal {
    let half = Decimal::new(5, 1);
    let mut parts = Decimal::TWO;
    for rank in 1..=children {
        parts += if rank == 3 { Decimal::ONE } else { half };
    }
    parts + half * Decimal::from(aeeh_children)
}

/// The quotient familial: (annual income ÷ 12 + monthly benefits) ÷ parts,
/// rounded down to the euro as the CAF states it.
pub fn quotient_familial(h: &Household) -> Result<Decimal, HouseholdError> {
    if h.annual_income.is_sign_negative() && !h.annual_income.is_zero() {
        return Err(HouseholdError::NegativeIncome);
    }
    if h.annual_income > MAX_INCOME {
        return Err(HouseholdError::AbsurdIncome);
    }
    if h.monthly_benefits.is_sign_negative() && !h.monthly_benefits.is_zero() {
        return Err(HouseholdError::NegativeBenefits);
    }
    if h.monthly_benefits > MAX_BENEFITS {
        return Err(HouseholdError::AbsurdBenefits);
    }
    if h.children > MAX_CHILDREN {
        return Err(HouseholdError::TooManyChildren);
    }
    if h.aeeh_children > h.children {
        return Err(HouseholdError::MoreAeehThanChildren);
    }
    // One exact division: (income + 12 × benefits) ÷ (12 × parts).
    let twelve = Decimal::from(12);
    let numerator = h.annual_income + twelve * h.monthly_benefits;
    Ok((numerator / (twelve * parts(h.children, h.aeeh_children))).floor())
}

/// One QF bracket: from `qf_min` to `qf_max` included (open-ended when none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bracket {
    pub qf_min: Decimal,
    pub qf_max: Option<Decimal>,
    pub prix: Decimal,
}

/// How a unit is priced for residents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Scale {
    /// A price per QF bracket.
    Tranches { tranches: Vec<Bracket> },
    /// QF × rate (in percent), between a minimum and a maximum.
    TauxEffort {
        taux: Decimal,
        minimum: Decimal,
        maximum: Decimal,
    },
}

/// A unit's whole grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    #[serde(flatten)]
    pub scale: Scale,
    /// The price for families living outside the commune, whatever their QF.
    #[serde(default)]
    pub hors_commune: Option<Decimal>,
    /// The price from the third child of the family on (resident families).
    #[serde(default)]
    pub des_3e_enfant: Option<Decimal>,
    /// The price for a child with a PAI who brings the meal from home.
    #[serde(default)]
    pub pai: Option<Decimal>,
    /// What an unjustified absence of a booked day costs, when not the price.
    #[serde(default)]
    pub absence: Option<Decimal>,
    /// What is added for a day present without booking.
    #[serde(default)]
    pub majoration: Option<Surcharge>,
}

impl Default for Grid {
    /// A free unit (a grid without brackets), for building grids in code.
    fn default() -> Self {
        Self {
            scale: Scale::Tranches { tranches: vec![] },
            hors_commune: None,
            des_3e_enfant: None,
            pai: None,
            absence: None,
            majoration: None,
        }
    }
}

/// The surcharge of a day present without booking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Surcharge {
    /// A fixed amount added to the price (e.g. 1.50 €).
    Montant { montant: Decimal },
    /// A percentage of the price added to it (e.g. 50 %).
    Pourcentage { pourcentage: Decimal },
    /// A fixed price instead ("repas non réservé").
    Prix { prix: Decimal },
}

/// Who a price is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Payer {
    pub resident: bool,
    /// 1 for the eldest child registered, 2, 3…
    pub child_rank: u32,
}

impl Payer {
    pub const RESIDENT_FIRST_CHILD: Payer = Payer {
        resident: true,
        child_rank: 1,
    };
}

/// The unit price for a QF, unrounded (an effort rate gives more than two
/// decimals: the invoice line rounds once, see [`line_total`]).
pub fn unit_price(grid: &Grid, qf: Decimal, payer: Payer) -> Decimal {
    if !payer.resident
        && let Some(p) = grid.hors_commune
    {
        return p;
    }
    let resident_price = match &grid.scale {
        Scale::Tranches { tranches } => tranches
            .iter()
            .rev()
            .find(|b| qf >= b.qf_min)
            .or(tranches.first())
            .map_or(Decimal::ZERO, |b| b.prix),
        Scale::TauxEffort {
            taux,
            minimum,
            maximum,
        } => (qf * *taux / Decimal::ONE_HUNDRED).clamp(*minimum, *maximum),
    };
    match grid.des_3e_enfant {
        Some(reduced) if payer.child_rank >= 3 => reduced.min(resident_price),
        _ => resident_price,
    }
}

/// "3,30 €": an amount as pages show it, half-up to the cent.
pub fn euros(amount: Decimal) -> String {
    format!("{:.2} €", to_cents(amount)).replace('.', ",")
}

/// A price as shown and billed: half-up to the cent.
pub fn to_cents(amount: Decimal) -> Decimal {
    amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// An amount in whole cents (rounded half-up to the cent first), as
/// payment gateways and SEPA files take it.
pub fn in_cents(amount: Decimal) -> i64 {
    (to_cents(amount) * Decimal::from(100))
        .try_into()
        .unwrap_or_default()
}

/// An invoice line: quantity × unit price, rounded once, half-up to the cent.
pub fn line_total(unit: Decimal, quantity: u32) -> Decimal {
    to_cents(unit * Decimal::from(quantity))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn household(income: Decimal, benefits: Decimal, children: u32, aeeh: u32) -> Household {
        Household {
            annual_income: income,
            monthly_benefits: benefits,
            children,
            aeeh_children: aeeh,
        }
    }

    #[test]
    fn parts_follow_the_caf_rule() {
        assert_eq!(parts(0, 0), dec!(2));
        assert_eq!(parts(1, 0), dec!(2.5));
        assert_eq!(parts(2, 0), dec!(3));
        assert_eq!(parts(3, 0), dec!(4));
        assert_eq!(parts(4, 0), dec!(4.5));
        assert_eq!(parts(5, 0), dec!(5));
        assert_eq!(parts(2, 1), dec!(3.5));
    }

    #[test]
    fn quotient_familial_examples() {
        // (36 000 / 12 + 150) / 3 = 1 050
        assert_eq!(
            quotient_familial(&household(dec!(36000), dec!(150), 2, 0)),
            Ok(dec!(1050))
        );
        // (25 000 / 12 + 0) / 2.5 = 833.33 → 833
        assert_eq!(
            quotient_familial(&household(dec!(25000), dec!(0), 1, 0)),
            Ok(dec!(833))
        );
        // AEEH adds half a part: (30 000 / 12) / 3.5 = 714.28 → 714
        assert_eq!(
            quotient_familial(&household(dec!(30000), dec!(0), 2, 1)),
            Ok(dec!(714))
        );
        assert_eq!(
            quotient_familial(&household(dec!(0), dec!(0), 0, 0)),
            Ok(dec!(0))
        );
    }

    #[test]
    fn absurd_households_are_refused() {
        assert_eq!(
            quotient_familial(&household(dec!(-1), dec!(0), 1, 0)),
            Err(HouseholdError::NegativeIncome)
        );
        assert_eq!(
            quotient_familial(&household(dec!(10000001), dec!(0), 1, 0)),
            Err(HouseholdError::AbsurdIncome)
        );
        assert_eq!(
            quotient_familial(&household(dec!(1000), dec!(0), 0, 1)),
            Err(HouseholdError::MoreAeehThanChildren)
        );
        assert_eq!(
            quotient_familial(&household(dec!(1000), dec!(-5), 1, 0)),
            Err(HouseholdError::NegativeBenefits)
        );
    }

    fn brackets() -> Grid {
        let b = |min: Decimal, max: Option<Decimal>, prix: Decimal| Bracket {
            qf_min: min,
            qf_max: max,
            prix,
        };
        Grid {
            scale: Scale::Tranches {
                tranches: vec![
                    b(dec!(0), Some(dec!(599)), dec!(1.00)),
                    b(dec!(600), Some(dec!(999)), dec!(3.05)),
                    b(dec!(1000), None, dec!(3.15)),
                ],
            },
            hors_commune: Some(dec!(6.20)),
            des_3e_enfant: Some(dec!(2.50)),
            ..Grid::default()
        }
    }

    #[test]
    fn bracket_edges() {
        let g = brackets();
        let p = |qf| unit_price(&g, qf, Payer::RESIDENT_FIRST_CHILD);
        assert_eq!(p(dec!(0)), dec!(1.00));
        assert_eq!(p(dec!(599)), dec!(1.00));
        assert_eq!(p(dec!(600)), dec!(3.05));
        assert_eq!(p(dec!(999)), dec!(3.05));
        assert_eq!(p(dec!(1000)), dec!(3.15));
        assert_eq!(p(dec!(99999)), dec!(3.15));
    }

    #[test]
    fn non_residents_and_third_child() {
        let g = brackets();
        let outside = Payer {
            resident: false,
            child_rank: 3,
        };
        assert_eq!(unit_price(&g, dec!(100), outside), dec!(6.20));
        let third = Payer {
            resident: true,
            child_rank: 3,
        };
        assert_eq!(unit_price(&g, dec!(1200), third), dec!(2.50));
        // The reduction never raises a price.
        assert_eq!(unit_price(&g, dec!(100), third), dec!(1.00));
    }

    #[test]
    fn effort_rate_is_clamped_and_rounded_once() {
        let g = Grid {
            scale: Scale::TauxEffort {
                taux: dec!(0.36),
                minimum: dec!(2.60),
                maximum: dec!(4.50),
            },
            hors_commune: None,
            des_3e_enfant: None,
            ..Grid::default()
        };
        let p = |qf| unit_price(&g, qf, Payer::RESIDENT_FIRST_CHILD);
        assert_eq!(p(dec!(500)), dec!(2.60));
        assert_eq!(p(dec!(1000)), dec!(3.60));
        assert_eq!(p(dec!(1001)), dec!(3.6036));
        assert_eq!(p(dec!(2000)), dec!(4.50));
        assert_eq!(to_cents(p(dec!(1001))), dec!(3.60));
        // 3 × 3.6036 = 10.8108 → 10.81, not 3 × 3.60 = 10.80.
        assert_eq!(line_total(p(dec!(1001)), 3), dec!(10.81));
        assert_eq!(to_cents(dec!(2.005)), dec!(2.01));
    }
}
