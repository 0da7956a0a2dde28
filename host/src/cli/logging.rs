//! Log setup. `AIRLOCK_LOG` chooses what is logged, but dependencies that see credentials (the
//! SigV4 signer prints its credentials, HTTP internals print header values) are capped at a
//! level where they say nothing secret, whatever the filter asks for.

use tracing::Level;
use tracing_subscriber::filter::EnvFilter;

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
    let filter = EnvFilter::try_new(capped(&filter)).unwrap_or_else(|_| EnvFilter::new(capped("warn")));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

/// The user's filter directives with every directive for a capped target replaced by its cap.
/// (Static directives, so disabled call sites cost nothing at run time.)
fn capped(filter: &str) -> String {
    let is_capped = |directive: &str| {
        let target = directive.split(['=', '[']).next().unwrap_or_default();
        !target.is_empty() && CAPPED_TARGETS.iter().any(|(prefix, _)| target.starts_with(prefix))
    };
    let kept = filter.split(',').map(str::trim).filter(|d| !d.is_empty() && !is_capped(d)).map(str::to_string);
    let caps = CAPPED_TARGETS.iter().map(|(prefix, level)| format!("{prefix}={level}"));
    kept.chain(caps).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_seeing_dependencies_are_capped_whatever_the_filter() {
        let filter = capped("trace,aws_sigv4=trace,aws_sigv4::sign=debug,hyper_util::client=trace,airlock=debug");
        let directives: Vec<&str> = filter.split(',').collect();
        assert!(directives.contains(&"trace") && directives.contains(&"airlock=debug"), "{filter}");
        assert!(directives.contains(&"aws_sigv4=WARN") && directives.contains(&"hyper=INFO"), "{filter}");
        assert!(
            !filter.contains("aws_sigv4=trace") && !filter.contains("sign=debug") && !filter.contains("client=trace")
        );
        assert!(EnvFilter::try_new(&filter).is_ok());
    }
}
