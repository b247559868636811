//! The régie's campaigns: opened for a month and its activities, run by
//! bounded chunks (a page of the month's billing facts, one item a family:
//! the jobs resume after the last family billed), read as a journal, re-run, published by
//! chunks with continuous numbers. Every step is one conditional write on
//! the campaign's version: two runners, two clicks, one effect.

use super::draft::{self, Family};
use super::facts::{self, Fact};
use super::numbering;
use crate::access::Decider;
use crate::accounts::validation::FieldErrors;
use crate::app::App;
use crate::domain::campaign::{
    self as dc, Campaign, Draft, Ignored, JournalLine, LIST_PARTITION, Progress, Stage,
};
use crate::domain::dossier::Child;
use crate::domain::invoice::{self, Invoice, Kind, Line, Payment, Status};
use crate::ids::MonthId;
use crate::store::{CommitError, Condition, Item, Query, Store, StoreError, Transaction, Write};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

/// The service that bills.
pub const REGIE: &str = "regie";
/// Families billed per chunk (one page of the month's billing facts).
pub const CHUNK_FAMILIES: usize = 200;
/// Drafts read per publication chunk; as many as fit one transaction are
/// published (each writes its invoice, its notices, the credit notes it
/// uses).
const PUBLISH_CHUNK: usize = 100;
/// The GSI1 partition of a run's drafts worth a look (errors, warnings).
fn journal_partition(id: &str, run: u32) -> String {
    format!("{}#JOURNAL", dc::drafts_partition(id, run))
}

#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    #[error("introuvable")]
    NotFound,
    /// The campaign changed since the page was read (or is not at the step
    /// the action needs).
    #[error("la campagne a changé entre-temps")]
    Conflict,
    #[error(transparent)]
    Denied(#[from] crate::access::Denied),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an agent asks for when opening a campaign, as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct OpenForm {
    #[serde(default)]
    pub mois: String,
    #[serde(default)]
    pub activites: Vec<String>,
    #[serde(default)]
    pub emise_le: String,
    #[serde(default)]
    pub echeance: String,
    #[serde(default)]
    pub prelevement_le: String,
    #[serde(default)]
    pub corrective: Option<String>,
}

/// A campaign the form asks for, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Opening {
    pub mois: MonthId,
    pub activites: Vec<String>,
    pub emise_le: NaiveDate,
    pub echeance: NaiveDate,
    pub prelevement_le: Option<NaiveDate>,
    pub corrective: bool,
}

fn date_field(raw: &str, field: &'static str, errors: &mut FieldErrors) -> Option<NaiveDate> {
    let d = crate::import::parse_date(raw.trim());
    if d.is_none() {
        errors.insert(field, "Indiquez une date, par exemple 15/12/2026.".into());
    }
    d
}

/// Checks an opening against the calendar and the campaigns there are: a
/// month already over, dates in order, no overlap with a campaign of the
/// same kind (a published month is corrected by a corrective campaign).
pub fn check_opening(
    s: &crate::settings::Settings,
    form: &OpenForm,
    today: NaiveDate,
    existing: &[Campaign],
) -> Result<Opening, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mois = MonthId::parse(form.mois.trim());
    match mois {
        None => {
            errors.insert("mois", "Choisissez un mois, par exemple 2026-11.".into());
        }
        Some(m) if m.last_day() >= today => {
            errors.insert(
                "mois",
                "Ce mois n'est pas terminé : une campagne facture un mois passé.".into(),
            );
        }
        _ => {}
    }
    let mut activites: Vec<String> = form
        .activites
        .iter()
        .filter(|a| s.activity(a).is_some())
        .cloned()
        .collect();
    activites.sort();
    activites.dedup();
    if activites.is_empty() || activites.len() != form.activites.len() {
        errors.insert(
            "activites",
            "Cochez au moins une activité de la liste.".into(),
        );
    }
    let emise_le = date_field(&form.emise_le, "emise_le", &mut errors);
    let echeance = date_field(&form.echeance, "echeance", &mut errors);
    let prelevement_le = match form.prelevement_le.trim() {
        "" => None,
        raw => date_field(raw, "prelevement_le", &mut errors),
    };
    if let (Some(e), Some(d)) = (emise_le, echeance)
        && d <= e
    {
        errors.insert(
            "echeance",
            "L'échéance doit venir après la date d'émission.".into(),
        );
    }
    if let (Some(e), Some(p)) = (emise_le, prelevement_le)
        && p < e
    {
        errors.insert(
            "prelevement_le",
            "Le prélèvement ne peut précéder la date d'émission.".into(),
        );
    }
    let corrective = form.corrective.is_some();
    if let Some(m) = mois {
        let month = m.to_string();
        let same: Vec<&Campaign> = existing
            .iter()
            .filter(|c| c.etape != Stage::Abandonnee)
            .filter(|c| c.mois == month && c.activites.iter().any(|a| activites.contains(a)))
            .collect();
        let published = |c: &&Campaign| !c.corrective && c.etape == Stage::Publiee;
        if let Some(c) = same
            .iter()
            .find(|c| c.corrective == corrective && c.etape != Stage::Publiee)
        {
            errors.insert(
                "mois",
                format!(
                    "Une campagne {} est déjà ouverte pour ce mois et ces activités : terminez-la d'abord (ouverte le {}).",
                    c.kind_label(),
                    crate::layout::dates::moment(c.ouverte_le)
                ),
            );
        } else if !corrective && same.iter().any(published) {
            errors.insert(
                "mois",
                "Ce mois est déjà facturé pour ces activités : ouvrez une campagne corrective."
                    .into(),
            );
        } else if corrective
            && !activites
                .iter()
                .all(|a| same.iter().any(|c| published(c) && c.activites.contains(a)))
        {
            errors.insert(
                "mois",
                "Une campagne corrective corrige un mois déjà facturé : aucune campagne publiée pour ce mois et ces activités.".into(),
            );
        }
    }
    match (mois, emise_le, echeance) {
        (Some(mois), Some(emise_le), Some(echeance)) if errors.is_empty() => Ok(Opening {
            mois,
            activites,
            emise_le,
            echeance,
            prelevement_le,
            corrective,
        }),
        _ => Err(errors),
    }
}

fn campaign_item(c: &Campaign) -> Result<Item, StoreError> {
    Ok(Item::from_record(dc::key(&c.id), c)?
        .with_gsi1(LIST_PARTITION, dc::list_sort(&c.mois, &c.id)))
}

/// The write that stores a campaign read at `version` (0: new).
fn campaign_write(c: &Campaign, version: u64) -> Result<Write, StoreError> {
    Ok(Write::put_at(campaign_item(c)?, version))
}

/// Every campaign, newest month first.
pub async fn list(store: &dyn Store) -> Result<Vec<Campaign>, StoreError> {
    store
        .query_all(Query::gsi1(LIST_PARTITION).descending())
        .await?
        .iter()
        .map(|i| i.record())
        .collect()
}

/// A campaign and its version.
pub async fn load(store: &dyn Store, id: &str) -> Result<Option<(Campaign, u64)>, StoreError> {
    match store.get(&dc::key(id)).await? {
        Some(item) => Ok(Some((item.record()?, item.version))),
        None => Ok(None),
    }
}

/// Opens a campaign (checked by [`check_opening`] on the campaigns read
/// just before) and starts its first run.
pub async fn open(
    app: &App,
    decider: &Decider,
    opening: Opening,
) -> Result<Campaign, CampaignError> {
    decider.covers(REGIE)?;
    let c = Campaign {
        id: ulid::Ulid::new().to_string(),
        mois: opening.mois.to_string(),
        activites: opening.activites,
        emise_le: opening.emise_le,
        echeance: opening.echeance,
        prelevement_le: opening.prelevement_le,
        corrective: opening.corrective,
        etape: Stage::Calcul,
        run: 1,
        progression: Progress::default(),
        ouverte_par: decider.agent().account().display_name(),
        ouverte_le: app.clock.now(),
    };
    app.store.write(campaign_write(&c, 0)?).await?;
    Ok(c)
}

/// Moves a campaign from one step to another, on the version read.
async fn step(
    store: &dyn Store,
    id: &str,
    version: u64,
    change: impl FnOnce(&mut Campaign) -> bool,
) -> Result<Campaign, CampaignError> {
    let (mut c, current) = load(store, id).await?.ok_or(CampaignError::NotFound)?;
    if current != version || !change(&mut c) {
        return Err(CampaignError::Conflict);
    }
    match store.write(campaign_write(&c, current)?).await {
        Ok(()) => Ok(c),
        Err(StoreError::ConditionFailed) => Err(CampaignError::Conflict),
        Err(e) => Err(e.into()),
    }
}

/// A step the régie takes on a campaign read at `version`: `change` says
/// whether the campaign is at a step that allows it, and makes it.
async fn regie_step(
    app: &App,
    decider: &Decider,
    id: &str,
    version: u64,
    change: impl FnOnce(&mut Campaign) -> bool,
) -> Result<Campaign, CampaignError> {
    decider.covers(REGIE)?;
    step(app.store.as_ref(), id, version, change).await
}

/// Runs the campaign again (after errors were fixed or ignored): a new run,
/// its drafts in a partition of their own.
pub async fn rerun(
    app: &App,
    decider: &Decider,
    id: &str,
    version: u64,
) -> Result<Campaign, CampaignError> {
    regie_step(app, decider, id, version, |c| {
        let ok = c.etape == Stage::Brouillon;
        if ok {
            c.run += 1;
            c.etape = Stage::Calcul;
            c.progression = Progress::default();
        }
        ok
    })
    .await
}

/// Starts publishing a complete draft (no error left).
pub async fn publish(
    app: &App,
    decider: &Decider,
    id: &str,
    version: u64,
) -> Result<Campaign, CampaignError> {
    regie_step(app, decider, id, version, |c| {
        let ok = c.etape == Stage::Brouillon && c.progression.erreurs == 0;
        if ok {
            c.etape = Stage::Publication;
        }
        ok
    })
    .await
}

/// Gives up a draft (opened by mistake, with wrong dates): it no longer
/// blocks a campaign for the same month and is never published.
pub async fn abandon(
    app: &App,
    decider: &Decider,
    id: &str,
    version: u64,
) -> Result<Campaign, CampaignError> {
    regie_step(app, decider, id, version, |c| {
        let ok = c.etape == Stage::Brouillon;
        if ok {
            c.etape = Stage::Abandonnee;
        }
        ok
    })
    .await
}

/// Ignores an error line with a reason (the audit trail of the dossier
/// records it): the day is not billed at the next run. `false` when it was
/// ignored already.
pub async fn ignore(
    app: &App,
    decider: &Decider,
    campaign: &Campaign,
    line: &JournalLine,
    numero: &str,
    reason: &str,
) -> Result<bool, CampaignError> {
    decider.covers(REGIE)?;
    let now = app.clock.now();
    let ignored = Ignored {
        dossier: numero.to_owned(),
        jour: line.day_ref(),
        campagne: campaign.id.clone(),
        motif: reason.to_owned(),
        agent: decider.agent().account().display_name(),
        le: now,
    };
    let mut tx = Transaction::new();
    tx.add(
        true,
        Write::Put {
            item: Item::from_record(
                dc::ignored_key(&campaign.mois, numero, &line.day_ref()),
                &ignored,
            )?,
            condition: Condition::NotExists,
        },
    )
    .add(
        false,
        decider.agent().actor().audit(
            numero,
            now,
            "facturation",
            format!(
                "ligne ignorée ({} {}, {} le {}) : {reason}",
                campaign.kind_label(),
                campaign.mois,
                line.enfant_nom,
                line.jour.format("%d/%m/%Y")
            ),
        )?,
    );
    match app.store.commit(tx).await {
        Ok(()) => Ok(true),
        Err(CommitError::Failed(true)) => Ok(false),
        Err(CommitError::Failed(false)) => Err(CampaignError::Conflict),
        Err(CommitError::Store(e)) => Err(e.into()),
    }
}

/// A run's drafts worth a look (errors, warnings, ignored lines).
pub async fn journal(store: &dyn Store, c: &Campaign) -> Result<Vec<Draft>, StoreError> {
    store
        .query_all(Query::gsi1(journal_partition(&c.id, c.run)))
        .await?
        .iter()
        .map(|i| i.record())
        .collect()
}

/// One family's draft in the campaign's current run.
pub async fn draft_of(
    store: &dyn Store,
    c: &Campaign,
    numero: &str,
) -> Result<Option<Draft>, StoreError> {
    store
        .get(&crate::store::Key::new(
            dc::drafts_partition(&c.id, c.run),
            numero,
        ))
        .await?
        .map(|i| i.record())
        .transpose()
}

/// One page of a run's drafts, in dossier order.
/// The drafts after a dossier number (none: from the first), and whether
/// more follow.
pub async fn drafts(
    store: &dyn Store,
    c: &Campaign,
    after: Option<&str>,
    limit: usize,
) -> Result<(Vec<Draft>, bool), StoreError> {
    let from = after.map_or_else(|| "\u{0}".to_owned(), |n| format!("{n}\u{0}"));
    let page = store
        .query(
            &Query::partition(dc::drafts_partition(&c.id, c.run))
                .between(from, "\u{10FFFF}")
                .limit(limit),
        )
        .await?;
    let drafts = page
        .items
        .iter()
        .map(|i| i.record())
        .collect::<Result<_, _>>()?;
    Ok((drafts, page.next.is_some()))
}

/// The next families' facts of the month, after the last family billed.
async fn next_families(
    store: &dyn Store,
    c: &Campaign,
) -> Result<(Vec<(String, Vec<Fact>)>, bool), StoreError> {
    let mut query = Query::partition(facts::partition(&c.mois)).limit(CHUNK_FAMILIES);
    if let Some(last) = &c.progression.curseur {
        // Dossier numbers have no character past U+FFFF.
        query = query.between(format!("{last}\u{0}"), "\u{10FFFF}");
    }
    let page = store.query(&query).await?;
    let families = page
        .items
        .iter()
        .map(|item| (item.key.sk.clone(), facts::read(item)))
        .collect();
    Ok((families, page.next.is_none()))
}

/// What a family's draft needs besides its entries, as the store keeps it.
struct Reads {
    dossier: Option<crate::domain::dossier::Dossier>,
    children: Vec<Child>,
    documents: Vec<Invoice>,
}

/// The families' dossiers, children and invoices, in one store call for the
/// whole chunk (a family with more than a page of them is read again whole).
async fn family_reads(store: &dyn Store, numeros: &[&str]) -> Result<Vec<Reads>, StoreError> {
    let part = crate::domain::dossier::partition;
    let queries: Vec<Query> = numeros
        .iter()
        .flat_map(|n| {
            [
                Query::partition(part(n)).prefix("PROFIL").limit(1),
                Query::partition(part(n)).prefix("ENFANT#").limit(1000),
                Query::partition(part(n))
                    .prefix(invoice::PREFIX)
                    .limit(1000),
            ]
        })
        .collect();
    let pages = store.query_many(&queries).await?;
    if pages.len() != queries.len() {
        return Err(StoreError::Unavailable(
            "lectures groupées incomplètes".into(),
        ));
    }
    let mut out = Vec::with_capacity(numeros.len());
    for (n, three) in numeros.iter().zip(pages.chunks(3)) {
        let [profile, kids, docs] = three else {
            return Err(StoreError::Unavailable(
                "lectures groupées incomplètes".into(),
            ));
        };
        let dossier = profile.items.first().map(Item::record).transpose()?;
        let mut children: Vec<Child> = match kids.next {
            None => kids
                .items
                .iter()
                .map(Item::record)
                .collect::<Result<_, _>>()?,
            Some(_) => crate::dossiers::children(store, n).await?,
        };
        crate::dossiers::eldest_first(&mut children);
        let documents = match docs.next {
            None => docs
                .items
                .iter()
                .map(Item::record)
                .collect::<Result<_, _>>()?,
            Some(_) => family_invoices(store, n).await?,
        };
        out.push(Reads {
            dossier,
            children,
            documents,
        });
    }
    Ok(out)
}

/// A family's draft from what was read (none without its dossier).
fn family_draft(
    app: &App,
    c: &Campaign,
    reads: &Reads,
    entries: &[Fact],
    ignored: &BTreeSet<String>,
) -> Option<Draft> {
    let dossier = reads.dossier.as_ref()?;
    // Every line keeps its sign (a credit note's reversal lines are
    // negative already).
    let invoiced: Vec<Line> = reads
        .documents
        .iter()
        .filter(|i| i.mois.as_deref() == Some(c.mois.as_str()))
        .flat_map(|i| i.lignes.iter().cloned())
        .collect();
    let credits: Vec<(String, Decimal)> = reads
        .documents
        .iter()
        .filter(|i| i.kind == Kind::Avoir && i.due() > Decimal::ZERO)
        .map(|i| (i.numero.clone(), i.due()))
        .collect();
    Some(draft::draft(
        &app.settings,
        c,
        &Family {
            dossier,
            children: &reads.children,
            entries,
            ignored,
            invoiced: &invoiced,
            credits: &credits,
        },
    ))
}

/// A family's invoices and credit notes, oldest number first.
pub async fn family_invoices(store: &dyn Store, numero: &str) -> Result<Vec<Invoice>, StoreError> {
    store
        .query_all(
            Query::partition(crate::domain::dossier::partition(numero)).prefix(invoice::PREFIX),
        )
        .await?
        .iter()
        .map(|i| i.record())
        .collect()
}

/// Bills the next chunk of families of a campaign being run. `true` when
/// work is left.
pub async fn run_chunk(app: &App, id: &str) -> Result<bool, StoreError> {
    let store = app.store.as_ref();
    let Some((mut c, version)) = load(store, id).await? else {
        return Ok(false);
    };
    if c.etape != Stage::Calcul {
        return Ok(false);
    }
    let (families, complete) = next_families(store, &c).await?;
    let partition = dc::drafts_partition(id, c.run);
    let mut writes = Vec::new();
    // The month's ignored lines, by family (few: read once a chunk).
    let mut ignored: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for item in store
        .query_all(Query::partition(dc::ignored_partition(&c.mois)))
        .await?
    {
        if let Some((numero, day)) = item.key.sk.split_once('#') {
            ignored
                .entry(numero.to_owned())
                .or_default()
                .insert(day.to_owned());
        }
    }
    let numeros: Vec<&str> = families.iter().map(|(n, _)| n.as_str()).collect();
    let reads = family_reads(store, &numeros).await?;
    let none = BTreeSet::new();
    let drafts: Vec<(String, Option<Draft>)> = families
        .iter()
        .zip(&reads)
        .map(|((numero, entries), r)| {
            let own = ignored.get(numero).unwrap_or(&none);
            (numero.clone(), family_draft(app, &c, r, entries, own))
        })
        .collect();
    let last = drafts.last().map(|(numero, _)| numero.clone());
    for (numero, d) in drafts {
        let Some(d) = d else {
            continue;
        };
        if d.lignes.is_empty() && d.journal.is_empty() {
            continue;
        }
        let p = &mut c.progression;
        p.familles += 1;
        p.total += d.total;
        if d.errors() > 0 {
            p.erreurs += 1;
        } else if d.warnings() > 0 {
            p.avertissements += 1;
        } else {
            p.ok += 1;
        }
        let mut item = Item::from_record(
            crate::store::Key::new(partition.clone(), numero.clone()),
            &d,
        )?;
        if !d.journal.is_empty() {
            item = item.with_gsi1(journal_partition(id, c.run), numero.clone());
        }
        writes.push(Write::Put {
            item,
            condition: Condition::Always,
        });
    }
    // Written together (one commit on the embedded store); the drafts are
    // idempotent, so a failure halfway is made good by the next run.
    for batch in writes.chunks(crate::store::MAX_TRANSACTION_WRITES) {
        store.transact(batch.to_vec()).await?;
    }
    if let Some(last) = last {
        c.progression.curseur = Some(last);
    }
    if complete {
        c.etape = Stage::Brouillon;
    }
    match store.write(campaign_write(&c, version)?).await {
        // Another runner recorded this chunk first: the same drafts.
        Ok(()) | Err(StoreError::ConditionFailed) => Ok(!complete),
        Err(e) => Err(e),
    }
}

/// The notice a family gets when its invoice is published.
fn published_notice(inv: &Invoice) -> crate::mail::texts::FamilyNotice {
    crate::mail::texts::invoice_published(
        inv.kind.label(),
        &inv.numero,
        &inv.periode,
        &crate::pricing::euros(inv.montant),
        inv.echeance,
    )
}

/// "novembre 2026".
pub fn period_label(mois: &str) -> String {
    MonthId::parse(mois).map_or_else(|| mois.to_owned(), |m| m.label())
}

/// Numbers and writes the next chunk of a campaign being published. `true`
/// when work is left.
pub async fn publish_chunk(app: &App, id: &str) -> Result<bool, StoreError> {
    let store = app.store.as_ref();
    for _ in 0..20 {
        let Some((mut c, version)) = load(store, id).await? else {
            return Ok(false);
        };
        if c.etape != Stage::Publication {
            return Ok(false);
        }
        let (drafts, more) = drafts(
            store,
            &c,
            c.progression.curseur_publication.as_deref(),
            PUBLISH_CHUNK,
        )
        .await?;
        let year = c.emise_le.year();
        // The drafts that fit one transaction: each writes its invoice, a
        // notice per linked account and the credit notes it uses; the
        // counters and the campaign take three more.
        let mut room = crate::store::MAX_TRANSACTION_WRITES - 3;
        let mut taken = Vec::new();
        let mut cut = false;
        for d in &drafts {
            let accounts = if d.issues_document() && d.errors() == 0 {
                crate::accounts::service::linked_accounts(store, &d.dossier).await?
            } else {
                vec![]
            };
            let cost = if d.issues_document() && d.errors() == 0 {
                1 + accounts.len() + d.avoirs.len()
            } else {
                0
            };
            if cost > room && !taken.is_empty() {
                cut = true;
                break;
            }
            room = room.saturating_sub(cost);
            taken.push((d, accounts));
        }
        let issued: Vec<&(&Draft, Vec<crate::accounts::Account>)> = taken
            .iter()
            .filter(|(d, _)| d.issues_document() && d.errors() == 0)
            .collect();
        let count = |k: Kind| issued.iter().filter(|(d, _)| kind_of(d) == k).count() as u64;
        let mut tx: Transaction<Part> = Transaction::new();
        let mut next = BTreeMap::new();
        for k in [Kind::Facture, Kind::Avoir] {
            if count(k) > 0 {
                let r = numbering::reserve(store, k.letter(), year, count(k)).await?;
                tx.add(Part::Counter, r.write);
                next.insert(k, r.first);
            }
        }
        for (d, accounts) in &issued {
            let kind = kind_of(d);
            let Some(n) = next.get_mut(&kind) else {
                continue;
            };
            let inv = final_invoice(&c, d, kind, invoice::number(kind.letter(), year, *n));
            *n += 1;
            tx.add(
                Part::Invoice,
                Write::Put {
                    item: invoice::item(&inv)?,
                    condition: Condition::NotExists,
                },
            );
            for used in &d.avoirs {
                tx.add(
                    Part::Credit,
                    use_credit(store, &inv, used, app.clock.now()).await?,
                );
            }
            tx.extend(
                Part::Other,
                crate::outbox::queue_to(app, accounts, &published_notice(&inv))?,
            );
            c.progression.publiees += 1;
        }
        if let Some((last, _)) = taken.last() {
            c.progression.curseur_publication = Some(last.dossier.clone());
        }
        let done = !more && !cut;
        if done {
            c.etape = Stage::Publiee;
        }
        tx.add(Part::Campaign, campaign_write(&c, version)?);
        match store.commit(tx).await {
            Ok(()) => return Ok(!done),
            Err(CommitError::Failed(Part::Campaign)) => return Ok(true),
            Err(CommitError::Failed(_) | CommitError::Store(StoreError::TransactionConflict)) => {
                continue;
            }
            Err(CommitError::Store(e)) => return Err(e),
        }
    }
    Ok(true)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Counter,
    Invoice,
    Credit,
    Campaign,
    Other,
}

fn kind_of(d: &Draft) -> Kind {
    if d.total < Decimal::ZERO {
        Kind::Avoir
    } else {
        Kind::Facture
    }
}

fn final_invoice(c: &Campaign, d: &Draft, kind: Kind, numero: String) -> Invoice {
    Invoice {
        numero,
        dossier: d.dossier.clone(),
        periode: period_label(&c.mois),
        emise_le: c.emise_le,
        echeance: c.echeance,
        montant: d.total.abs(),
        statut: if d.total.is_zero() {
            Status::Paid
        } else {
            Status::Unpaid
        },
        kind,
        mois: Some(c.mois.clone()),
        campagne: Some(c.id.clone()),
        payeur: d.payeur.clone(),
        adresse: d.adresse.clone(),
        lignes: d.lignes.clone(),
        paiements: vec![],
        prelevement_le: c.prelevement_le.filter(|_| d.prelevement),
        transmise_le: None,
        preleve: None,
        rejet: None,
    }
}

/// The write that records a credit note's use on an invoice (read now; the
/// transaction fails if it changed).
async fn use_credit(
    store: &dyn Store,
    inv: &Invoice,
    used: &dc::CreditUse,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Write, StoreError> {
    let key = invoice::key(&inv.dossier, &used.avoir);
    let item = store
        .get(&key)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("avoir {} absent", used.avoir)))?;
    let mut avoir: Invoice = item.record()?;
    avoir.paiements.push(Payment {
        recu: inv.numero.clone(),
        le: now,
        moyen: format!("déduit de la facture {}", inv.numero),
        montant: used.montant,
        agent: String::new(),
    });
    if avoir.due().is_zero() {
        avoir.statut = Status::Paid;
    }
    super::invoices::invoice_write(&avoir, item.version)
}

/// Advances every campaign with work left, chunk by chunk, until the
/// deadline: what the jobs run. Returns the chunks done.
pub async fn advance(app: &App, deadline: Instant) -> Result<usize, StoreError> {
    let mut chunks = 0;
    for c in list(app.store.as_ref()).await? {
        while c.etape.working() && Instant::now() < deadline {
            let more = match c.etape {
                Stage::Calcul => run_chunk(app, &c.id).await?,
                _ => publish_chunk(app, &c.id).await?,
            };
            chunks += 1;
            if !more {
                break;
            }
        }
    }
    Ok(chunks)
}
