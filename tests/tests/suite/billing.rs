//! Facturation end to end on a fixed clock: a month booked and pointed by
//! two families, the régie's campaign (bad openings refused, an error line
//! blocking one family and not the other, fixed by pointing or ignored with
//! a reason, re-run giving the same draft, published with continuous
//! numbers), the family's pages and PDF (another family's refused), the
//! planning's cost equal to the invoice, a corrective campaign giving a
//! credit note applied to the next invoice, counter payments, the 15 €
//! threshold and the hand-over to the Trésor public; the numbering under
//! concurrency on SQLite and on DynamoDB (moto).

use crate::support::{TestPortal, decider, granted, signed_up_family};
use axum::http::StatusCode;
use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use shared::accounts::Service;
use shared::billing::campaigns::{self, OpenForm};
use shared::domain::campaign::{Draft, Stage};
use shared::domain::dossier::{self, Child, Dossier, Responsable};
use shared::domain::invoice::{Invoice, Kind};
use shared::domain::planning::Presence;
use shared::planning::{self, Change};
use shared::store::{Condition, Item};
use std::str::FromStr;

pub(crate) fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// Books days of a unit for a child (whatever the deadlines: the test sets
/// up the past).
pub(crate) async fn book(
    portal: &TestPortal,
    numero: &str,
    child: &Child,
    activity: &str,
    unit: &str,
    days: &[&str],
) {
    let mut by_month: std::collections::BTreeMap<String, Vec<Change>> = Default::default();
    for day in days {
        by_month
            .entry(day[..7].to_owned())
            .or_default()
            .push(Change {
                activity: activity.into(),
                unit: unit.into(),
                slot: d(day),
                reserve: true,
            });
    }
    for (month, changes) in by_month {
        let (_, version) =
            planning::load_month(portal.app.store.as_ref(), numero, &child.id, &month)
                .await
                .unwrap();
        planning::save(
            &portal.app,
            &granted(numero, child),
            &month,
            version,
            &changes,
        )
        .await
        .unwrap();
    }
}

/// Records an attendance mark as an agent of the service does.
pub(crate) async fn point(
    portal: &TestPortal,
    numero: &str,
    child: &Child,
    unit: &str,
    day: &str,
    presence: Presence,
) {
    let entries = planning::day_entries_read(portal.app.store.as_ref(), d(day))
        .await
        .unwrap();
    let (entry, version) = entries
        .into_iter()
        .find(|(e, _)| e.numero == numero && e.enfant == child.id && e.unite == unit)
        .expect("entrée du jour");
    assert!(
        planning::record_presence(
            &portal.app,
            &decider(Service::Enfance),
            d(day),
            &entry,
            Some(version),
            presence,
        )
        .await
        .unwrap()
    );
}

/// The billing projection says what the day entries say: every booked or
/// pointed day of these months, with its state and attendance, and nothing
/// else (the town's activities here bill each day with its own month).
pub(crate) async fn assert_facts_agree(portal: &TestPortal, months: &[&str]) {
    use shared::billing::facts;
    use shared::store::Query;
    type Row = (String, String, NaiveDate, String, String, String);
    let show = |f: &facts::Fact, numero: &str| -> Row {
        (
            numero.to_owned(),
            f.enfant.clone(),
            f.day,
            format!("{}/{}", f.activite, f.unite),
            format!("{:?}", f.etat),
            format!("{:?}", f.presence),
        )
    };
    let store = portal.app.store.as_ref();
    let mut projected: Vec<Row> = Vec::new();
    let mut entries: Vec<Row> = Vec::new();
    for month in months {
        for item in store
            .query_all(Query::partition(facts::partition(month)))
            .await
            .unwrap()
        {
            projected.extend(facts::read(&item).iter().map(|f| show(f, &item.key.sk)));
        }
        let first = d(&format!("{month}-01"));
        for day in first
            .iter_days()
            .take_while(|day| day.format("%Y-%m").to_string() == *month)
        {
            for e in planning::day_entries(store, day).await.unwrap() {
                let fact = facts::Fact {
                    day,
                    enfant: e.enfant,
                    activite: e.activite,
                    unite: e.unite,
                    etat: e.etat,
                    presence: e.presence,
                };
                entries.push(show(&fact, &e.numero));
            }
        }
    }
    projected.sort();
    entries.sort();
    assert!(!entries.is_empty(), "no day entry in {months:?}");
    assert_eq!(projected, entries);
}

/// A second family's dossier with one child (no account).
pub(crate) async fn other_family(portal: &TestPortal, numero: &str, child_id: &str) -> Child {
    let dossier = Dossier {
        numero: numero.into(),
        responsables: vec![Responsable {
            nom: "Bernard".into(),
            prenom: "Inès".into(),
            courriel: None,
            telephone: None,
        }],
        adresse: "3 place du Marché, 01500 Val-d'Albarine".into(),
        quotient_familial: Some(dec("420")),
        qf_date: None,
        mode_paiement: None,
        hors_commune: true,
    };
    let child = Child {
        id: child_id.into(),
        nom: "Bernard".into(),
        prenom: "Noé".into(),
        naissance: d("2019-03-04"),
        ecole: "École élémentaire Jean-Jaurès".into(),
        classe: "CE1".into(),
        regime: None,
        pai: false,
    };
    let store = portal.app.store.as_ref();
    store
        .put(
            Item::from_record(dossier::key(numero), &dossier).unwrap(),
            Condition::NotExists,
        )
        .await
        .unwrap();
    store
        .put(
            Item::from_record(dossier::child_key(numero, &child.id), &child).unwrap(),
            Condition::NotExists,
        )
        .await
        .unwrap();
    child
}

/// Runs the jobs' billing work until nothing is left.
pub(crate) async fn run_jobs(portal: &TestPortal) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while campaigns::advance(&portal.app, deadline).await.unwrap() > 0 {}
}

async fn only_campaign(portal: &TestPortal) -> (shared::domain::campaign::Campaign, u64) {
    let list = campaigns::list(portal.app.store.as_ref()).await.unwrap();
    let newest = list.first().expect("une campagne");
    campaigns::load(portal.app.store.as_ref(), &newest.id)
        .await
        .unwrap()
        .unwrap()
}

async fn all_drafts(portal: &TestPortal, c: &shared::domain::campaign::Campaign) -> Vec<Draft> {
    campaigns::drafts(portal.app.store.as_ref(), c, None, 1000)
        .await
        .unwrap()
        .0
}

async fn invoices_of(portal: &TestPortal, numero: &str) -> Vec<Invoice> {
    campaigns::family_invoices(portal.app.store.as_ref(), numero)
        .await
        .unwrap()
}

fn open_form(mois: &str, emise: &str, echeance: &str) -> Vec<(&'static str, String)> {
    vec![
        ("mois", mois.into()),
        ("activites", "restauration".into()),
        ("emise_le", emise.into()),
        ("echeance", echeance.into()),
        ("prelevement_le", echeance.into()),
    ]
}

fn fields<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test]
async fn a_month_billed_from_the_planning_and_the_pointage() {
    let portal = TestPortal::sqlite().await;
    let mut family =
        signed_up_family(&portal, "Émilie", "emilie.l", "emilie@example.org", true).await;
    let children = shared::demo::children();
    let (lea, hugo) = (&children[0], &children[1]);
    let noe = other_family(&portal, "D2026-0200", "NOE").await;
    // October: Léa five days, Hugo (PAI) two; Noé (non-resident) three.
    crate::planning::validated(
        &portal,
        lea,
        "restauration",
        &["lundi", "mardi", "jeudi", "vendredi"],
        "2026-09-01",
    )
    .await;
    crate::planning::validated(
        &portal,
        hugo,
        "restauration",
        &["lundi", "mardi", "jeudi", "vendredi"],
        "2026-09-01",
    )
    .await;
    // The validations booked the days left (from today); this test books
    // October by hand.
    crate::planning::cancel_booked(&portal, lea).await;
    crate::planning::cancel_booked(&portal, hugo).await;
    let lea_days = [
        "2026-10-01",
        "2026-10-02",
        "2026-10-05",
        "2026-10-06",
        "2026-10-08",
    ];
    book(
        &portal,
        "D2026-0142",
        lea,
        "restauration",
        "repas",
        &lea_days,
    )
    .await;
    book(
        &portal,
        "D2026-0142",
        hugo,
        "restauration",
        "repas",
        &["2026-10-01", "2026-10-02"],
    )
    .await;
    book(
        &portal,
        "D2026-0200",
        &noe,
        "restauration",
        "repas",
        &["2026-10-01", "2026-10-02", "2026-10-05"],
    )
    .await;
    for day in &lea_days[..3] {
        point(&portal, "D2026-0142", lea, "repas", day, Presence::Present).await;
    }
    point(
        &portal,
        "D2026-0142",
        lea,
        "repas",
        "2026-10-06",
        Presence::Absent,
    )
    .await;
    for day in ["2026-10-01", "2026-10-02"] {
        point(&portal, "D2026-0142", hugo, "repas", day, Presence::Present).await;
        point(&portal, "D2026-0200", &noe, "repas", day, Presence::Present).await;
    }
    // Léa's 8/10 and Noé's 5/10 are not pointed.

    let mut regie =
        crate::agents::agent_of(&portal, "regie@ville.example.org", Service::Regie).await;
    let mut enfance =
        crate::agents::agent_of(&portal, "enfance@ville.example.org", Service::Enfance).await;
    assert_eq!(
        regie.get("/agents/facturation").await.status,
        StatusCode::OK
    );

    // Bad openings: refused next to the field, nothing stored.
    for (form, field, message) in [
        (
            open_form("2026-11", "2026-11-26", "2026-12-20"),
            "mois",
            "pas terminé",
        ),
        (
            open_form("2026-10", "2026-11-26", "2026-11-20"),
            "echeance",
            "après la date d",
        ),
        (
            open_form("2026-10", "26/13/2026", "2026-12-20"),
            "emise_le",
            "Indiquez une date",
        ),
        (
            vec![
                ("mois", "2026-10".to_owned()),
                ("emise_le", "2026-11-26".into()),
                ("echeance", "2026-12-20".into()),
            ],
            "activites",
            "au moins une activité",
        ),
    ] {
        let page = regie.post("/agents/facturation", &fields(&form)).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert!(page.body.contains(message), "{field}: {}", page.body);
        assert!(
            page.body.contains(&format!("id=\"{field}-erreur\"")) || field == "activites",
            "{field}"
        );
    }
    assert!(
        campaigns::list(portal.app.store.as_ref())
            .await
            .unwrap()
            .is_empty()
    );
    // Another service may not open one.
    let form = open_form("2026-10", "2026-11-26", "2026-12-20");
    assert_eq!(
        enfance
            .post("/agents/facturation", &fields(&form))
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // Opened with the wrong due date: blocks a second one until abandoned.
    let wrong = open_form("2026-10", "2026-11-26", "2027-06-30");
    regie.post("/agents/facturation", &fields(&wrong)).await;
    run_jobs(&portal).await;
    let (mistake, v) = only_campaign(&portal).await;
    let blocked = regie.post("/agents/facturation", &fields(&form)).await;
    assert_eq!(blocked.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(blocked.body.contains("déjà ouverte"));
    let abandon = format!("/agents/facturation/{}/abandonner", mistake.id);
    let version = [("version", v.to_string())];
    assert_eq!(
        enfance.post(&abandon, &fields(&version)).await.status,
        StatusCode::FORBIDDEN
    );
    regie.post(&abandon, &fields(&version)).await;
    assert_eq!(only_campaign(&portal).await.0.etape, Stage::Abandonnee);
    let r = regie.post("/agents/facturation", &fields(&form)).await;
    let path = r.location().to_owned();
    assert!(path.starts_with("/agents/facturation/"), "{}", r.body);
    run_jobs(&portal).await;
    let (c, version) = only_campaign(&portal).await;
    assert_eq!(c.etape, Stage::Brouillon);
    assert_eq!((c.progression.familles, c.progression.erreurs), (2, 2));
    let page = regie.get(&path).await;
    assert!(
        page.body.contains("jour réservé sans pointage (2)"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("/agents/pointage?jour=2026-10-08&amp;activite=restauration")
    );
    assert!(!page.body.contains("Publier les factures"));
    // The draft invoices, a page at a time (a bad cursor is the first page).
    assert!(
        page.body.contains("Factures du brouillon") && page.body.contains("Dossier D2026-0200")
    );
    for query in ["?apres=D2026-0142", "?apres=%00%FF", "?apres=../x"] {
        let p = regie.get(&format!("{path}{query}")).await;
        assert_eq!(p.status, StatusCode::OK, "{query}");
    }
    assert!(
        !regie
            .get(&format!("{path}?apres=D2026-0142"))
            .await
            .body
            .contains("Dossier D2026-0142 —")
    );
    // Publishing an incomplete draft does nothing.
    regie
        .post(
            &format!("{path}/publier"),
            &[("version", &version.to_string())],
        )
        .await;
    assert_eq!(only_campaign(&portal).await.0.etape, Stage::Brouillon);

    // Léa's day is pointed; Noé's is ignored with a reason (none: refused).
    point(
        &portal,
        "D2026-0142",
        lea,
        "repas",
        "2026-10-08",
        Presence::Present,
    )
    .await;
    let noe_ref = format!("{}#2026-10-05#restauration#repas", noe.id);
    let refused = regie
        .post(
            &format!("{path}/ignorer"),
            &[
                ("dossier", "D2026-0200"),
                ("jour", &noe_ref),
                ("motif", "  "),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("Ce champ est obligatoire"));
    let ignored = [
        ("dossier", "D2026-0200"),
        ("jour", noe_ref.as_str()),
        ("motif", "sortie scolaire, repas fourni"),
    ];
    assert_eq!(
        enfance
            .post(&format!("{path}/ignorer"), &ignored)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    regie.post(&format!("{path}/ignorer"), &ignored).await;
    // Two clicks, one decision.
    regie.post(&format!("{path}/ignorer"), &ignored).await;
    let trail = shared::audit::trail(portal.app.store.as_ref(), "D2026-0200")
        .await
        .unwrap();
    assert_eq!(
        trail
            .iter()
            .filter(|t| t.detail.contains("sortie scolaire"))
            .count(),
        1
    );

    regie
        .post(
            &format!("{path}/relancer"),
            &[("version", &version.to_string())],
        )
        .await;
    run_jobs(&portal).await;
    let (c, version) = only_campaign(&portal).await;
    assert_eq!(
        (c.run, c.etape, c.progression.erreurs),
        (2, Stage::Brouillon, 0)
    );
    let first_run = all_drafts(&portal, &c).await;
    // Running it again gives the same draft.
    campaigns::rerun(&portal.app, &decider(Service::Regie), &c.id, version)
        .await
        .unwrap();
    run_jobs(&portal).await;
    let (c, version) = only_campaign(&portal).await;
    assert_eq!(c.run, 3);
    assert_eq!(all_drafts(&portal, &c).await, first_run);

    let page = regie.get(&path).await;
    assert!(page.body.contains("Publier les factures"));
    regie
        .post(
            &format!("{path}/publier"),
            &[("version", &version.to_string())],
        )
        .await;
    run_jobs(&portal).await;
    assert_eq!(only_campaign(&portal).await.0.etape, Stage::Publiee);

    let ours: Vec<Invoice> = invoices_of(&portal, "D2026-0142")
        .await
        .into_iter()
        .filter(|i| i.campagne.is_some())
        .collect();
    let theirs = invoices_of(&portal, "D2026-0200").await;
    assert_eq!(ours.len(), 1);
    assert_eq!(theirs.len(), 1);
    let mut numbers = vec![ours[0].numero.clone(), theirs[0].numero.clone()];
    numbers.sort();
    assert_eq!(numbers, ["F-2026-000001", "F-2026-000002"]);
    let inv = &ours[0];
    // Léa: 5 days at her price (4 present, 1 unjustified absence); Hugo
    // (PAI): 2 days at the PAI price.
    let lea_present = inv
        .lignes
        .iter()
        .find(|l| l.enfant == lea.id && l.nature == "présence")
        .unwrap();
    assert_eq!(lea_present.dates_label(), "1/10, 2/10, 5/10, 8/10");
    let hugo_line = inv.lignes.iter().find(|l| l.enfant == hugo.id).unwrap();
    assert_eq!((hugo_line.quantite, hugo_line.prix), (2, dec("1.10")));
    // Noé: non-resident price, the ignored day not billed.
    assert_eq!(theirs[0].lignes[0].quantite, 2);
    assert_eq!(theirs[0].lignes[0].prix, dec("5.60"));

    // The planning's cost of October is the invoice's total.
    let planning_page = family.get("/planning?vue=mois&date=2026-10-01").await;
    let cost = planning_page.body.split("id=\"cout\">").nth(1).unwrap();
    assert!(
        cost.starts_with(&shared::pricing::euros(inv.montant)),
        "{cost:.40} ≠ {}",
        inv.montant
    );

    // The family is told, sees it, opens it, downloads it.
    let mails = portal.mail_texts_to("emilie@example.org").await;
    assert!(
        mails
            .iter()
            .any(|m| m.contains(&inv.numero) && m.contains("/factures"))
    );
    let home = family.get("/compte").await;
    assert!(
        home.body.contains("Régie : 2 facture(s) en attente(s)"),
        "{}",
        home.body
    );
    let list = family.get("/factures").await;
    assert!(list.body.contains(&inv.numero) && list.body.contains("F2026-10-000587"));
    let detail = family.get(&format!("/factures/{}", inv.numero)).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(
        detail.body.contains("1/10, 2/10, 5/10, 8/10")
            && detail.body.contains("Prélèvement automatique")
    );
    let (status, headers, pdf) = family
        .download(&format!("/factures/{}/pdf", inv.numero))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/pdf");
    assert!(pdf.starts_with(b"%PDF-"));
    // Another family's invoice, a tampered number: not found.
    for path in [
        format!("/factures/{}", theirs[0].numero),
        format!("/factures/{}/pdf", theirs[0].numero),
        "/factures/F-2026-0000019".to_owned(),
        "/factures/..%2F..%2Fetc".to_owned(),
    ] {
        assert_eq!(
            family.get(&path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }

    // A counter payment: too much, negative, then a partial one.
    let agent_path = format!("/agents/dossiers/D2026-0142/factures/{}", inv.numero);
    let page = regie.get(&agent_path).await;
    let v = page.input_value("version").unwrap();
    let too_much = (inv.montant + Decimal::ONE).to_string();
    for (amount, message) in [
        (too_much.as_str(), "dépasse ce qui reste dû"),
        ("-3", "doit être positif"),
        ("abc", "Indiquez un montant"),
    ] {
        let r = regie
            .post(
                &format!("{agent_path}/paiement"),
                &[("version", &v), ("montant", amount), ("moyen", "cheque")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains(message), "{amount}");
        assert!(
            r.body.contains(&format!("value=\"{amount}\"")),
            "the typed amount is kept"
        );
    }
    assert!(
        invoices_of(&portal, "D2026-0142")
            .await
            .iter()
            .all(|i| i.paiements.is_empty())
    );
    let r = regie
        .post(
            &format!("{agent_path}/paiement"),
            &[("version", &v), ("montant", "5,00"), ("moyen", "especes")],
        )
        .await;
    assert!(r.location().ends_with("?recu=R-2026-000001"), "{}", r.body);
    // The same form again (a second click): the invoice moved on.
    let again = regie
        .post(
            &format!("{agent_path}/paiement"),
            &[("version", &v), ("montant", "5,00"), ("moyen", "especes")],
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    let paid = invoices_of(&portal, "D2026-0142")
        .await
        .into_iter()
        .find(|i| i.numero == inv.numero)
        .unwrap();
    assert_eq!(paid.paiements.len(), 1);
    assert_eq!(paid.due(), inv.montant - dec("5"));
    // The same payment sent twice at once: recorded once.
    let page = regie.get(&agent_path).await;
    let v = page.input_value("version").unwrap();
    let pay = [
        ("version", v.as_str()),
        ("montant", "1,00"),
        ("moyen", "cheque"),
    ];
    let twice = vec![
        regie.prepared_post(&format!("{agent_path}/paiement"), &pay),
        regie.prepared_post(&format!("{agent_path}/paiement"), &pay),
    ];
    let mut statuses: Vec<StatusCode> = regie
        .race(twice)
        .await
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::SEE_OTHER, StatusCode::UNPROCESSABLE_ENTITY]
    );
    let paid = invoices_of(&portal, "D2026-0142")
        .await
        .into_iter()
        .find(|i| i.numero == inv.numero)
        .unwrap();
    assert_eq!(paid.paiements.len(), 2);
    assert_eq!(paid.paiements[1].recu, "R-2026-000002");

    // A corrective campaign: Léa's absence of 6/10 was justified after all.
    let entries = planning::day_entries_read(portal.app.store.as_ref(), d("2026-10-06"))
        .await
        .unwrap();
    let (entry, ver) = entries
        .into_iter()
        .find(|(e, _)| e.enfant == lea.id)
        .unwrap();
    planning::record_presence(
        &portal.app,
        &decider(Service::Enfance),
        d("2026-10-06"),
        &entry,
        Some(ver),
        Presence::AbsenceJustifiee,
    )
    .await
    .unwrap();
    // A second monthly campaign for October is refused: correct it.
    let again = regie.post("/agents/facturation", &fields(&form)).await;
    assert!(again.body.contains("ouvrez une campagne corrective"));
    let mut corrective = form.clone();
    corrective.push(("corrective", "1".into()));
    regie
        .post("/agents/facturation", &fields(&corrective))
        .await;
    run_jobs(&portal).await;
    let (c, version) = only_campaign(&portal).await;
    assert!(c.corrective);
    let drafts: Vec<Draft> = all_drafts(&portal, &c)
        .await
        .into_iter()
        .filter(|d| !d.lignes.is_empty())
        .collect();
    assert_eq!(drafts.len(), 1, "only Léa's day changed: {drafts:?}");
    let reversal = &drafts[0].lignes;
    assert_eq!(reversal.len(), 1);
    assert_eq!(
        (reversal[0].quantite, reversal[0].dates_label().as_str()),
        (-1, "6/10")
    );
    campaigns::publish(&portal.app, &decider(Service::Regie), &c.id, version)
        .await
        .unwrap();
    run_jobs(&portal).await;
    let avoir = invoices_of(&portal, "D2026-0142")
        .await
        .into_iter()
        .find(|i| i.kind == Kind::Avoir)
        .unwrap();
    assert_eq!(avoir.numero, "A-2026-000001");
    assert_eq!(avoir.montant, lea_present.prix.round_dp(2));

    // A second correction with nothing changed bills nothing: the credit
    // note's reversal counts as billed.
    regie
        .post("/agents/facturation", &fields(&corrective))
        .await;
    run_jobs(&portal).await;
    let (again, _) = only_campaign(&portal).await;
    assert!(again.corrective && again.id != c.id);
    let lines: usize = all_drafts(&portal, &again)
        .await
        .iter()
        .map(|d| d.lignes.len())
        .sum();
    assert_eq!(lines, 0);

    // November, billed in December, deducts the credit note.
    book(
        &portal,
        "D2026-0142",
        lea,
        "restauration",
        "repas",
        &["2026-11-30"],
    )
    .await;
    point(
        &portal,
        "D2026-0142",
        lea,
        "repas",
        "2026-11-30",
        Presence::Present,
    )
    .await;
    portal.clock.advance(Duration::days(6));
    // Sessions do not last a week: signed in again.
    let mut regie =
        crate::agents::agent_of(&portal, "regie2@ville.example.org", Service::Regie).await;
    let november = open_form("2026-11", "2026-12-02", "2026-12-31");
    regie.get("/agents/facturation").await;
    let r = regie.post("/agents/facturation", &fields(&november)).await;
    assert!(
        r.location().starts_with("/agents/facturation/"),
        "{} {}",
        r.status,
        r.body
    );
    run_jobs(&portal).await;
    let (c, version) = only_campaign(&portal).await;
    campaigns::publish(&portal.app, &decider(Service::Regie), &c.id, version)
        .await
        .unwrap();
    run_jobs(&portal).await;
    let all = invoices_of(&portal, "D2026-0142").await;
    let next = all
        .iter()
        .find(|i| i.mois.as_deref() == Some("2026-11"))
        .unwrap();
    assert_eq!(next.numero, "F-2026-000003");
    assert!(
        next.lignes
            .iter()
            .any(|l| l.prestation == "Avoir A-2026-000001")
    );
    assert_eq!(
        next.montant,
        Decimal::ZERO.max(lea_present.prix.round_dp(2) - avoir.montant)
    );
    let used = all.iter().find(|i| i.kind == Kind::Avoir).unwrap();
    assert_eq!(used.due(), Decimal::ZERO);

    // After the due dates: the unpaid invoices of 15 € or more, in CSV,
    // handed over; the family sees why it cannot pay online.
    portal.clock.advance(Duration::days(40));
    let mut regie =
        crate::agents::agent_of(&portal, "regie3@ville.example.org", Service::Regie).await;
    let mut family = crate::support::signed_in(&portal, "emilie.l").await;
    let unpaid = regie.get("/agents/facturation/impayes").await;
    assert!(
        unpaid.body.contains("F2026-10-000587"),
        "the imported invoice (86,40 €)"
    );
    let small: Vec<&Invoice> = all
        .iter()
        .filter(|i| i.kind == Kind::Facture && i.due() < dec("15") && i.due() > Decimal::ZERO)
        .collect();
    for i in &small {
        assert!(!unpaid.body.contains(&i.numero), "{} under 15 €", i.numero);
    }
    let (status, _, csv) = regie.download("/agents/facturation/impayes.csv").await;
    assert_eq!(status, StatusCode::OK);
    let csv = String::from_utf8(csv).unwrap();
    assert!(
        csv.starts_with("facture;dossier;redevable") && csv.contains("F2026-10-000587;D2026-0142")
    );
    let r = regie
        .post("/agents/facturation/impayes/transmettre", &[])
        .await;
    assert!(r.location().contains("transmises="), "{}", r.body);
    let sent = invoices_of(&portal, "D2026-0142")
        .await
        .into_iter()
        .find(|i| i.numero == "F2026-10-000587")
        .unwrap();
    assert!(sent.transmise_le.is_some());
    let page = family.get("/factures/F2026-10-000587").await;
    assert!(page.body.contains("transmise au Trésor public"));
    assert!(
        page.body
            .contains("réglez-la auprès du centre des finances publiques")
    );
    assert!(!page.body.contains("en espèces, par chèque"));
    assert_facts_agree(&portal, &["2026-10", "2026-11"]).await;
}

/// Two campaigns published at once never share a number, and the numbers
/// leave no gap (with more families than one transaction takes, the
/// publication goes on in several).
async fn numbering_under_concurrency(portal: TestPortal, families: usize) {
    let mut children = Vec::new();
    for i in 0..families {
        let numero = format!("D2026-{:04}", 300 + i);
        let child = other_family(&portal, &numero, &format!("ENFANT{i}")).await;
        book(
            &portal,
            &numero,
            &child,
            "restauration",
            "repas",
            &["2026-10-01"],
        )
        .await;
        book(
            &portal,
            &numero,
            &child,
            "periscolaire",
            "matin",
            &["2026-10-01"],
        )
        .await;
        point(
            &portal,
            &numero,
            &child,
            "repas",
            "2026-10-01",
            Presence::Present,
        )
        .await;
        point(
            &portal,
            &numero,
            &child,
            "matin",
            "2026-10-01",
            Presence::Present,
        )
        .await;
        children.push((numero, child));
    }
    let regie = decider(Service::Regie);
    let today = d("2026-11-26");
    let mut ids = Vec::new();
    for activity in ["restauration", "periscolaire"] {
        let form = OpenForm {
            mois: "2026-10".into(),
            activites: vec![activity.into()],
            emise_le: "2026-11-26".into(),
            echeance: "2026-12-20".into(),
            ..OpenForm::default()
        };
        let existing = campaigns::list(portal.app.store.as_ref()).await.unwrap();
        let opening =
            campaigns::check_opening(&portal.app.settings, &form, today, &existing).unwrap();
        ids.push(
            campaigns::open(&portal.app, &regie, opening)
                .await
                .unwrap()
                .id,
        );
    }
    run_jobs(&portal).await;
    let mut versions = Vec::new();
    for id in &ids {
        let (_, v) = campaigns::load(portal.app.store.as_ref(), id)
            .await
            .unwrap()
            .unwrap();
        versions.push(v);
    }
    for (id, v) in ids.iter().zip(&versions) {
        campaigns::publish(&portal.app, &regie, id, *v)
            .await
            .unwrap();
    }
    // Both published at once, each by two runners.
    let run = |id: String| {
        let app = portal.app.clone();
        tokio::spawn(async move { while campaigns::publish_chunk(&app, &id).await.unwrap() {} })
    };
    let handles: Vec<_> = ids
        .iter()
        .chain(ids.iter())
        .map(|id| run(id.clone()))
        .collect();
    for h in handles {
        h.await.unwrap();
    }
    let mut numbers = Vec::new();
    for (numero, _) in &children {
        numbers.extend(
            invoices_of(&portal, numero)
                .await
                .into_iter()
                .map(|i| i.numero),
        );
    }
    numbers.sort();
    let expected: Vec<String> = (1..=2 * families)
        .map(|n| format!("F-2026-{n:06}"))
        .collect();
    assert_eq!(numbers, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn numbering_under_concurrency_on_sqlite() {
    numbering_under_concurrency(TestPortal::sqlite().await, 110).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn numbering_under_concurrency_on_dynamodb() {
    numbering_under_concurrency(TestPortal::aws().await, 12).await;
}

fn run(cmd: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("{cmd} introuvable ({e}) : tests/run.sh installe poppler-utils")
        });
    assert!(
        out.status.success(),
        "{cmd}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The PDF read by poppler: text extractable (accents, the total and every
/// line), fonts embedded, A4, two pages; page 1 rendered to PNG.
#[test]
fn the_invoice_pdf_reads_back_in_a_pdf_reader() {
    let inv = shared::demo::long_invoice();
    let pdf = shared::billing::pdf::render(shared::settings::embedded(), &inv).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("facture.pdf");
    std::fs::write(&file, &pdf).unwrap();
    if let Ok(keep) = std::env::var("EF_KEEP_PDF") {
        // To look at it: EF_KEEP_PDF=/tmp/facture cargo test …
        std::fs::write(format!("{keep}.pdf"), &pdf).unwrap();
    }
    let path = file.to_str().unwrap();
    let text = run("pdftotext", &["-layout", path, "-"]);
    for needed in [
        "Facture n° F-2026-000042",
        "Régie centrale",
        "Ville de Val-d'Albarine",
        "Émise le",
        "D2026-0142",
        "Émilie Lefèvre",
        "396,00 €",
        "Reste à payer",
        "Comment régler",
        "Une erreur ?",
        "Voies de recours",
        "page 3/3",
    ] {
        assert!(
            text.contains(needed),
            "« {needed} » absent du PDF :\n{text}"
        );
    }
    for line in &inv.lignes {
        assert!(text.contains(&line.dates_label()), "{}", line.dates_label());
    }
    assert_eq!(text.matches("9,90 €").count(), 40, "every line's amount");
    let info = run("pdfinfo", &[path]);
    let field = |name: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(str::trim)
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(field("Pages:"), "3", "{info}");
    assert_eq!(field("Page size:"), "595 x 842 pts (A4)", "{info}");
    let fonts = run("pdffonts", &[path]);
    assert!(
        fonts.contains("DejaVuSans") && !fonts.contains(" no  "),
        "{fonts}"
    );
    let png = dir.path().join("page");
    run(
        "pdftoppm",
        &[
            "-png",
            "-r",
            "50",
            "-f",
            "1",
            "-l",
            "1",
            path,
            png.to_str().unwrap(),
        ],
    );
    let rendered = std::fs::read(dir.path().join("page-1.png")).unwrap();
    assert!(
        rendered.len() > 10_000,
        "a page with text, not a blank one: {} octets",
        rendered.len()
    );
}
