//! The local portal: builds the static site, merges every route group, serves
//! both on one address with the embedded store and the outbox mailer, and
//! seeds a demo commune on an empty database.

use anyhow::Context;
use axum::serve::ListenerExt;
use clap::{Parser, Subcommand};
use shared::App;
use shared::clock::SystemClock;
use shared::config::Config;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "portal",
    about = "Espace Famille : le portail local et ses commandes d'exploitation"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Sert le portail (par défaut).
    Serve,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    shared::telemetry::init();
    let result = match Cli::parse().command.unwrap_or(Command::Serve) {
        Command::Serve => serve().await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // The whole chain of causes, on one line, without a backtrace.
            eprintln!("Erreur : {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    let report = site::build(&config.site_dir).context("construction du site statique")?;
    tracing::info!(pages = report.pages, dir = %config.site_dir.display(), "site statique construit");

    let app = App::from_config(config.clone(), Arc::new(SystemClock)).await?;
    let seeded = shared::demo::seed_if_empty(app.store.as_ref())
        .await
        .context("données de démonstration")?;

    let router = functions::local_portal(app, &config.site_dir);

    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("écoute sur {} (variable EF_BIND)", config.bind))?;
    let address = listener.local_addr()?;
    let refs = shared::demo::references();
    println!();
    println!("  Espace Famille est prêt : http://{address}/");
    println!();
    println!("  Pour créer un compte de démonstration (étape 2 de l'inscription) :");
    println!("    numéro de dossier  : {}", refs.dossier);
    println!("    nom du responsable : {}", refs.responsable);
    println!(
        "    3 derniers chiffres d'une facture : {}",
        refs.invoice_digits
    );
    if seeded {
        println!("  (données de démonstration créées dans la base locale)");
    }
    println!("  Courriels envoyés : fichiers .eml dans la boîte d'envoi locale.");
    println!("  Ctrl-C pour arrêter.");
    println!();

    // Without TCP_NODELAY, a file body written after its headers waits for
    // the client's delayed ACK: ~40 ms per static page (BENCHMARKS.md).
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "TCP_NODELAY refusé");
        }
    });
    let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("portail arrêté");
    Ok(())
}

/// Ctrl-C, or SIGTERM from a process manager.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
