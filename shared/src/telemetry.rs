//! Logging set-up, the same in both hosts: `tracing` to standard output
//! (CloudWatch on Lambda), level from `RUST_LOG` (default `info`).
//!
//! `RUST_LOG` takes a level (`warn`) or levels per target
//! (`info,aws_smithy_runtime=warn`): `tracing_subscriber`'s `Targets`,
//! which needs no regular-expression engine (`EnvFilter` linked one, about
//! 0.4 MB of every Lambda binary).

use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// The filter `RUST_LOG` asks for; `info` when unset or unreadable, and for
/// every target it does not name when it gives no level of its own.
pub fn filter(rust_log: Option<&str>) -> Targets {
    let targets = rust_log
        .and_then(|v| v.parse::<Targets>().ok())
        .unwrap_or_default();
    match targets.default_level() {
        Some(_) => targets,
        None => targets.with_default(tracing::Level::INFO),
    }
}

pub fn init() {
    let filter = filter(std::env::var("RUST_LOG").ok().as_deref());
    let format = tracing_subscriber::fmt::layer()
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()));
    // A second call (tests) keeps the first subscriber.
    let _ = tracing_subscriber::registry()
        .with(format)
        .with(filter)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::filter;
    use tracing::Level;

    #[test]
    fn rust_log_sets_the_level_per_target() {
        let f = filter(Some("warn,shared=debug"));
        assert!(f.would_enable("aws_smithy_runtime", &Level::WARN));
        assert!(!f.would_enable("aws_smithy_runtime", &Level::INFO));
        assert!(f.would_enable("shared::outbox", &Level::DEBUG));
        let default = filter(None);
        assert!(default.would_enable("functions", &Level::INFO));
        assert!(!default.would_enable("functions", &Level::DEBUG));
        assert!(filter(Some("pas un niveau !")).would_enable("x", &Level::INFO));
    }
}
