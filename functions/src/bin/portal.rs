//! The local portal: builds the static site, merges every route group, serves
//! both on one address with the embedded store and the outbox mailer, and
//! seeds a demo commune on an empty database.

shared::allocator!();

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
    /// Comptes des agents de la mairie.
    #[command(subcommand)]
    Agent(AgentCommand),
    /// Import des données existantes de la mairie.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Données de démonstration ou de formation.
    #[command(subcommand)]
    Demo(DemoCommand),
    /// Paiements en ligne.
    #[command(subcommand)]
    Paiements(PaymentCommand),
    /// Le site public (actualités et documents de l'équipe web).
    #[command(subcommand)]
    Site(SiteCommand),
}

#[derive(Subcommand)]
enum SiteCommand {
    /// Construit le site depuis le contenu du stockage (repris une première
    /// fois du dossier de contenu) et le publie : avec EF_SITE_BUCKET, dans
    /// ce bucket S3 (seuls les fichiers changés sont envoyés, puis les
    /// adresses invalidées sur CloudFront avec EF_CLOUDFRONT_DISTRIBUTION) ;
    /// sinon dans le dossier du portail local (EF_SITE_DIR).
    Publier {
        /// Le dossier de contenu d'où reprendre le site la première fois.
        #[arg(long)]
        contenu: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
enum PaymentCommand {
    /// Interroge tout de suite la passerelle sur chaque paiement en ligne
    /// resté sans résultat depuis moins de 24 heures (la vérification
    /// périodique ne le fait qu'après 5 minutes) : pour une famille qui dit
    /// avoir payé et dont la facture ne le montre pas encore.
    Verifier,
}

#[derive(Subcommand)]
enum DemoCommand {
    /// Réserve et pointe un mois passé de cantine pour les enfants d'un
    /// dossier (présents chaque jour, sauf le dernier jour laissé sans
    /// pointage) : de quoi lancer une campagne de facturation de
    /// démonstration.
    MoisPasse {
        /// Le numéro du dossier, par exemple D2026-0142.
        #[arg(long)]
        dossier: String,
        /// Le mois, AAAA-MM (par défaut le mois dernier).
        #[arg(long)]
        mois: Option<String>,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Importe les dossiers familles d'un fichier CSV (format dans le README).
    /// Réimporter le même fichier met à jour, sans doublon.
    Dossiers {
        /// Le fichier CSV (UTF-8 ou Latin-1, séparateur ; ou ,).
        file: std::path::PathBuf,
        /// Vérifie le fichier et dit ce qui serait fait, sans rien écrire.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
enum AgentCommand {
    /// Crée un compte d'agent et affiche le lien, valable 72 heures, qui lui
    /// permet de choisir son mot de passe.
    Add {
        /// Prénom et nom de l'agent, par exemple « Claire Martin ».
        #[arg(long)]
        name: String,
        /// Adresse e-mail professionnelle (son identifiant de connexion).
        #[arg(long)]
        email: String,
        /// Service de l'agent.
        #[arg(long, value_enum)]
        service: ServiceArg,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ServiceArg {
    Regie,
    Enfance,
    /// The web team (actualités and documents of the site).
    Communication,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    shared::telemetry::init();
    let result = match Cli::parse().command.unwrap_or(Command::Serve) {
        Command::Serve => serve().await,
        Command::Agent(AgentCommand::Add {
            name,
            email,
            service,
        }) => add_agent(&name, &email, service).await,
        Command::Import(ImportCommand::Dossiers { file, dry_run }) => {
            import_dossiers(&file, dry_run).await
        }
        Command::Demo(DemoCommand::MoisPasse { dossier, mois }) => {
            demo_past_month(&dossier, mois.as_deref()).await
        }
        Command::Paiements(PaymentCommand::Verifier) => recheck_payments().await,
        Command::Site(SiteCommand::Publier { contenu }) => publish_site(contenu).await,
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
    let app = App::from_config(config.clone(), Arc::new(SystemClock)).await?;
    let seeded = shared::demo::seed_if_empty(app.store.as_ref())
        .await
        .context("données de démonstration")?;
    // The site from the store's content (seeded from site/content on the
    // first run), as every later publication builds it.
    // This process is the only builder of its folder: a lease left by a
    // portal stopped during a build is not waited for.
    shared::publishing::forget_lease(app.store.as_ref()).await?;
    let (app, site, builds) = functions::with_local_builds(app, &config.site_dir);
    builds
        .rebuild(&app)
        .await
        .map_err(anyhow::Error::msg)
        .context("construction du site statique")?;
    tracing::info!(dir = %config.site_dir.display(), "site statique construit");

    // The outbox's sender and the periodic jobs, as the `mailer` and `jobs`
    // functions run them on AWS.
    tokio::spawn(shared::jobs::run_locally(
        app.clone(),
        shared::jobs::LOCAL_INTERVAL,
    ));
    let router = functions::local_portal_with(app, site);

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

async fn add_agent(name: &str, email: &str, service: ServiceArg) -> anyhow::Result<()> {
    use shared::accounts::{Service, validation};
    let name = validation::text(name).map_err(|e| anyhow::anyhow!("--name : {e}"))?;
    let email = validation::email(email).map_err(|e| anyhow::anyhow!("--email : {e}"))?;
    let (prenom, nom) = name.split_once(' ').unwrap_or(("", name.as_str()));
    let service = match service {
        ServiceArg::Regie => Service::Regie,
        ServiceArg::Enfance => Service::Enfance,
        ServiceArg::Communication => Service::Communication,
    };
    let config = Config::from_env()?;
    let app = App::from_config(config, Arc::new(SystemClock)).await?;
    let link = shared::accounts::service::create_agent(&app, nom, prenom, &email, service)
        .await
        .map_err(|e| anyhow::anyhow!("création du compte : {e}"))?;
    println!(
        "Compte d'agent créé pour {name} ({email}, service {}).",
        service.label()
    );
    println!("Transmettez-lui ce lien, valable 72 heures, pour choisir son mot de passe :");
    println!("  {link}");
    Ok(())
}

async fn publish_site(contenu: Option<std::path::PathBuf>) -> anyhow::Result<()> {
    let config = Config::from_env()?;
    let app = App::from_config(config.clone(), Arc::new(SystemClock)).await?;
    let folder = contenu.unwrap_or_else(site::default_content_dir);
    let started = std::time::Instant::now();
    if std::env::var("EF_SITE_BUCKET").is_ok_and(|v| !v.trim().is_empty()) {
        let bucket =
            site::publish::Bucket::from_lookup(&config.aws_region, |k| std::env::var(k).ok())
                .await?;
        let work = tempfile_dir()?;
        let (rebuilt, synced) = bucket
            .publish(&app, &work, &config.public_url, Some(folder))
            .await
            .map_err(anyhow::Error::msg)?;
        let _ = std::fs::remove_dir_all(&work);
        println!(
            "Site publié dans le bucket {} ({rebuilt:?}) : {} fichier(s) envoyé(s), {} supprimé(s), {} inchangé(s), {} adresse(s) invalidée(s) ; {:.1} s.",
            bucket.bucket,
            synced.uploaded.len(),
            synced.deleted.len(),
            synced.unchanged,
            synced.invalidated.len(),
            started.elapsed().as_secs_f64()
        );
    } else {
        let builds = site::publish::LocalBuilds {
            out: config.site_dir.clone(),
            site_url: config.public_url.clone(),
            seed_from: Some(folder),
            on_built: Box::new(|| {}),
        };
        let rebuilt = builds.rebuild(&app).await.map_err(anyhow::Error::msg)?;
        println!(
            "Site construit dans {} ({rebuilt:?}) en {:.1} s.",
            config.site_dir.display(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// A new folder in the system's temporary space.
fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("espace-famille-site-{}", ulid::Ulid::new()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir.join("site"))
}

async fn recheck_payments() -> anyhow::Result<()> {
    let app = App::from_config(Config::from_env()?, Arc::new(SystemClock)).await?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(600);
    let settled =
        shared::payment::attempts::recheck_from(&app, deadline, chrono::Duration::zero()).await?;
    // The receipts leave now rather than at the portal's next round.
    shared::outbox::deliver_due(&app, deadline).await?;
    println!("{settled} paiement(s) réglé(s) par la vérification.");
    Ok(())
}

async fn demo_past_month(dossier: &str, mois: Option<&str>) -> anyhow::Result<()> {
    use shared::ids::{DossierNumber, MonthId};
    let numero = DossierNumber::parse(dossier)
        .map_err(|_| anyhow::anyhow!("--dossier : numéro de dossier invalide"))?;
    let app = App::from_config(Config::from_env()?, Arc::new(SystemClock)).await?;
    let today = shared::planning::rules::paris_date(app.clock.now());
    let month = match mois {
        Some(m) => MonthId::parse(m).ok_or_else(|| anyhow::anyhow!("--mois : AAAA-MM attendu"))?,
        None => MonthId::of(MonthId::of(today).first_day().pred_opt().unwrap_or(today)),
    };
    if month.last_day() >= today {
        anyhow::bail!("--mois : {} n'est pas terminé", month.label());
    }
    if shared::dossiers::get(app.store.as_ref(), numero.as_str())
        .await?
        .is_none()
    {
        anyhow::bail!("--dossier : aucun dossier {}", numero.as_str());
    }
    let days = shared::demo::seed_past_month(&app, numero.as_str(), month).await?;
    println!(
        "{days} jour(s) de cantine réservés en {} pour le dossier {} (le dernier sans pointage).",
        month.label(),
        numero.as_str()
    );
    Ok(())
}

async fn import_dossiers(file: &std::path::Path, dry_run: bool) -> anyhow::Result<()> {
    use shared::import::{self, Encoding, Outcome};
    let bytes = std::fs::read(file).with_context(|| format!("lecture de {}", file.display()))?;
    let parsed = import::parse(&bytes).map_err(|e| anyhow::anyhow!("{} : {e}", file.display()))?;
    println!(
        "{} : encodage {}, séparateur « {} », {} dossier(s) valide(s), {} ligne(s) rejetée(s).",
        file.display(),
        match parsed.encoding {
            Encoding::Utf8 => "UTF-8",
            Encoding::Latin1 => "Latin-1 (Windows-1252)",
        },
        parsed.separator as char,
        parsed.records.len(),
        parsed.rejected.len()
    );
    for r in &parsed.rejected {
        println!("  ligne {} rejetée : {}", r.line, r.reason);
    }
    if dry_run {
        println!("Essai (--dry-run) : rien n'a été écrit.");
        return Ok(());
    }
    let app = App::from_config(Config::from_env()?, Arc::new(SystemClock)).await?;
    let bar = indicatif::ProgressBar::new(parsed.records.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} dossiers ({eta} restantes)")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let (mut created, mut updated, mut failed) = (0, 0, 0);
    for r in &parsed.records {
        match import::write(app.store.as_ref(), r).await {
            Ok(Outcome::Created) => created += 1,
            Ok(Outcome::Updated) => updated += 1,
            Err(e) => {
                failed += 1;
                bar.suspend(|| println!("  ligne {} non écrite : {e}", r.line));
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    println!("{created} dossier(s) créé(s), {updated} mis à jour, {failed} en échec.");
    if failed > 0 {
        anyhow::bail!("{failed} dossier(s) n'ont pas pu être écrits");
    }
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
