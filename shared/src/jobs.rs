//! The periodic work: each job is idempotent (running it twice does what
//! running it once does) and bounded in time per run. On AWS the `jobs`
//! function runs them every 5 minutes (EventBridge schedule); locally the
//! portal runs them on an interval. Today: the outbox's retries, the
//! online payments to re-check (attempts 5 minutes to 24 hours old: a
//! payment whose notification and return were both lost is recorded all
//! the same), the billing campaigns being run or published (chunk by
//! chunk, resumed where the last run stopped) and the actualités scheduled
//! by the web team whose time has come.

use crate::app::App;
use crate::outbox;
use crate::store::StoreError;
use std::time::{Duration, Instant};

/// How long one run may take: well under the `jobs` function's timeout, so
/// that a run always records what it did.
pub const RUN_BUDGET: Duration = Duration::from_secs(40);

/// How often the local portal runs the jobs (the outbox is delivered at
/// once, on its own signal; this interval serves its retries).
pub const LOCAL_INTERVAL: Duration = Duration::from_secs(60);

/// What a run did, job by job.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub outbox: outbox::Run,
    /// Online payment attempts settled by the re-check.
    pub payments: usize,
    /// Billing chunks done.
    pub billing: usize,
    /// Scheduled actualités published.
    pub site: usize,
}

/// Runs every job once, within `budget`.
pub async fn run(app: &App, budget: Duration) -> Result<Report, StoreError> {
    let deadline = Instant::now() + budget;
    let outbox = outbox::deliver_due(app, deadline).await?;
    let payments = crate::payment::attempts::recheck(app, deadline).await?;
    let billing = crate::billing::campaigns::advance(app, deadline).await?;
    let site = crate::publishing::publish_due(app).await?;
    Ok(Report {
        outbox,
        payments,
        billing,
        site,
    })
}

/// The local portal's worker: delivers the outbox as soon as the embedded
/// store says a message was queued (the counterpart of the `mailer`
/// function), and runs every job each `every` (the counterpart of the
/// `jobs` function's schedule). Runs until the process ends.
pub async fn run_locally(app: App, every: Duration) {
    let signal = app.outbox_signal.clone();
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let queued = async {
            match &signal {
                Some(s) => s.notified().await,
                None => std::future::pending().await,
            }
        };
        let result = tokio::select! {
            () = queued => outbox::deliver_due(&app, Instant::now() + RUN_BUDGET).await.map(|outbox| Report { outbox, ..Report::default() }),
            _ = tick.tick() => run(&app, RUN_BUDGET).await,
        };
        match result {
            Ok(report) if report != Report::default() => {
                tracing::info!(?report, "travaux périodiques");
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "travaux périodiques interrompus"),
        }
    }
}
