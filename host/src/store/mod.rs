//! The store: SQLite by default, PostgreSQL for several replicas, through one set of portable
//! migrations. Every multi-row change is one transaction, so a crash leaves either all of it or
//! none of it.

mod audit;
mod cache;
mod connectors;
mod grants;
mod leases;
mod plugins;
mod teams;
mod users;
mod writer;

pub use audit::AuditRow;
pub use connectors::{ConnectorRow, Lookup, SecretChanges};
pub use grants::{Grant, Grantee, Level};
pub use leases::LeaseRow;
pub use plugins::PluginRow;
pub use teams::TeamRow;
pub use users::{Principal, Role, TokenRow, UserRow};

use anyhow::Context;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A handle on the database.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    writer: writer::Writer,
    cache: std::sync::Arc<cache::ReadCache>,
}

impl Store {
    /// Connect to `url` (`sqlite://path` or `postgres://...`) and apply the migrations.
    pub async fn connect(url: &str) -> anyhow::Result<Store> {
        sqlx::any::install_default_drivers();
        let sqlite = url.starts_with("sqlite:");
        let options = AnyConnectOptions::from_str(url).context("invalid database URL")?;
        let pool = AnyPoolOptions::new()
            .max_connections(if sqlite { 8 } else { 16 })
            // A SQLite connection is a file handle that cannot go stale; pinging it before every
            // query doubled the round trips to its worker thread. PostgreSQL connections are
            // still checked (a restarted database or proxy drops them).
            .test_before_acquire(!sqlite)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if sqlite {
                        // WAL with NORMAL sync survives a killed process (SIGKILL) without losing
                        // a committed transaction; busy_timeout serialises writers politely.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .with_context(|| format!("cannot open the database ({})", redact_url(url)))?;
        MIGRATOR.run(&pool).await.context("applying database migrations")?;
        let cache = std::sync::Arc::new(cache::ReadCache::new(sqlite));
        let writer = match sqlite {
            true => {
                let options = sqlx::sqlite::SqliteConnectOptions::from_str(url).context("invalid database URL")?;
                writer::Writer::start_sqlite(options.get_filename())?
            }
            false => writer::Writer::start_postgres(pool.clone()),
        };
        Ok(Store { writer, pool, cache })
    }

    /// The SQLite URL for a data directory (file created on first run).
    pub fn sqlite_url(data_dir: &std::path::Path) -> String {
        format!("sqlite://{}?mode=rwc", data_dir.join("airlock.db").display())
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

/// Unix seconds now.
pub fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or_default()
}

/// A new time-ordered id.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Whether `text` has the form of an id: a hyphenated UUID, as [`new_id`] makes them. Names
/// never have this form.
pub fn is_id(text: &str) -> bool {
    text.len() == 36 && uuid::Uuid::try_parse(text).is_ok()
}

/// A database URL with any password removed, for messages.
fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("[HIDDEN]"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}
