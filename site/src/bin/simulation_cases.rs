//! Prints, as JSON, a table of simulation cases with what the Rust pricing
//! (the billing's) gives for each: the browser test types each case into the
//! simulation page and compares the script's results with these.
//! `cargo run -p site --bin simulation-cases`

use rust_decimal::Decimal;
use serde_json::{Value, json};
use shared::pricing::{self, Household, Payer};
use shared::settings;
use std::str::FromStr;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_default()
}

fn prices(qf: Decimal) -> Value {
    let mut out = serde_json::Map::new();
    for a in &settings::embedded().activites {
        for u in &a.unites {
            let price = |resident, child_rank| {
                pricing::to_cents(pricing::unit_price(
                    &u.tarif,
                    qf,
                    Payer {
                        resident,
                        child_rank,
                    },
                ))
                .to_string()
            };
            out.insert(
                site::simulation::unit_id(a, u),
                json!({
                    "resident": price(true, 1),
                    "troisieme": price(true, 3),
                    "hors": u.tarif.hors_commune.map(|_| price(false, 1)),
                }),
            );
        }
    }
    Value::Object(out)
}

fn main() {
    let mut cases = Vec::new();
    // Known QF: every bracket edge of the demo grids, the effort rates'
    // minimum and maximum, and QFs whose effort-rate price falls on half a cent.
    for qf in [
        "0", "599", "600", "999", "1000", "1001", "1002", "1499", "1500", "250", "4000", "12345",
    ] {
        cases.push(json!({ "entree": { "qf": qf }, "qf": qf, "prix": prices(d(qf)) }));
    }
    // Computed QF: 0 to 5 children, AEEH, decimals in the amounts.
    let households = [
        ("36000", "150", 2, 0),
        ("25000", "0", 1, 0),
        ("30000", "0", 2, 1),
        ("18000.50", "312.40", 3, 0),
        ("52000", "0", 4, 1),
        ("61000", "90.10", 5, 2),
        ("9000", "0", 0, 0),
        ("9999999", "0", 1, 0),
    ];
    for (income, benefits, children, aeeh) in households {
        let h = Household {
            annual_income: d(income),
            monthly_benefits: d(benefits),
            children,
            aeeh_children: aeeh,
        };
        let entree = json!({ "revenu": income.replace('.', ","), "prestations": benefits.replace('.', ","), "enfants": children, "aeeh": aeeh });
        match pricing::quotient_familial(&h) {
            Ok(qf) => {
                cases.push(json!({ "entree": entree, "qf": qf.to_string(), "prix": prices(qf) }))
            }
            Err(e) => cases.push(json!({ "entree": entree, "erreur": e.to_string() })),
        }
    }
    // Refused households: the messages of the Rust rules.
    for (income, benefits, children, aeeh) in [
        ("-100", "0", 1, 0),
        ("10000001", "0", 1, 0),
        ("20000", "0", 0, 1),
        ("20000", "-5", 1, 0),
    ] {
        let h = Household {
            annual_income: d(income),
            monthly_benefits: d(benefits),
            children,
            aeeh_children: aeeh,
        };
        let message = pricing::quotient_familial(&h).err().map(|e| e.to_string());
        cases.push(json!({ "entree": { "revenu": income, "prestations": benefits, "enfants": children, "aeeh": aeeh }, "erreur": message }));
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&cases).unwrap_or_default()
    );
}
