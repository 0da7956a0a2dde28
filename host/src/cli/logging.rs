//! Log setup. `AIRLOCK_LOG` chooses what is logged, but dependencies that see credentials (the
//! SigV4 signer prints its credentials, HTTP internals print header values) are capped at a
//! level where they say nothing secret, whatever the filter asks for.

use tracing::Level;
use tracing_subscriber::filter::{EnvFilter, filter_fn};
use tracing_subscriber::prelude::*;

/// Log target prefixes and the most verbose level kept from each.
const CAPPED_TARGETS: &[(&str, Level)] = &[
    ("aws_sigv4", Level::WARN),
    ("aws_smithy", Level::WARN),
    ("aws_credential_types", Level::WARN),
    ("aws_types", Level::WARN),
    ("jsonwebtoken", Level::WARN),
    ("hyper", Level::INFO),
    ("h2", Level::INFO),
    ("reqwest", Level::INFO),
    ("rustls", Level::INFO),
    ("tower_http", Level::INFO),
    ("sqlx", Level::INFO),
    ("cranelift", Level::INFO),
    ("wasmtime", Level::INFO),
];

/// Log to stderr with `AIRLOCK_LOG` (default `warn`), colours only on a terminal.
pub fn init() {
    let filter = std::env::var("AIRLOCK_LOG").unwrap_or_else(|_| "warn".into());
    let filter = EnvFilter::try_new(&filter).unwrap_or_else(|_| EnvFilter::new("warn"));
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_filter(filter)
        .with_filter(filter_fn(|meta| allowed(meta.target(), *meta.level())));
    tracing_subscriber::registry().with(layer).init();
}

/// Whether an event of `level` from `target` may be logged.
fn allowed(target: &str, level: Level) -> bool {
    CAPPED_TARGETS.iter().find(|(prefix, _)| target.starts_with(prefix)).is_none_or(|(_, most)| level <= *most)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_seeing_dependencies_are_capped_whatever_the_filter() {
        assert!(!allowed("aws_sigv4::http_request::sign", Level::DEBUG));
        assert!(!allowed("aws_sigv4::sign::v4", Level::TRACE));
        assert!(allowed("aws_sigv4::sign::v4", Level::WARN));
        assert!(!allowed("hyper_util::client::legacy::pool", Level::TRACE));
        assert!(!allowed("aws_smithy_runtime_api::client::identity", Level::DEBUG));
        assert!(allowed("airlock::connector", Level::TRACE));
        assert!(allowed("airlock::server", Level::DEBUG));
    }
}
