//! Grants: who besides its owner may use or manage a connector. A grant names a user, a team
//! or everyone; changing one bumps the connector's version (its access is part of it).

use super::{Store, now};
use serde::{Deserialize, Serialize};

/// What a grant allows.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, clap::ValueEnum, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// See it, list its resources, obtain client credentials from it.
    Use,
    /// Also verify, update and delete it.
    Manage,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Use => "use",
            Level::Manage => "manage",
        }
    }

    fn parse(text: &str) -> Option<Level> {
        match text {
            "use" => Some(Level::Use),
            "manage" => Some(Level::Manage),
            _ => None,
        }
    }
}

/// Whom a grant is for (users and teams by id).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Grantee {
    User(String),
    Team(String),
    Everyone,
}

impl Grantee {
    fn columns(&self) -> (&'static str, &str) {
        match self {
            Grantee::User(id) => ("user", id),
            Grantee::Team(id) => ("team", id),
            Grantee::Everyone => ("everyone", ""),
        }
    }

    fn of(kind: &str, id: String) -> Option<Grantee> {
        match kind {
            "user" => Some(Grantee::User(id)),
            "team" => Some(Grantee::Team(id)),
            "everyone" => Some(Grantee::Everyone),
            _ => None,
        }
    }
}

/// One grant on a connector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    pub grantee: Grantee,
    pub level: Level,
}

/// A stored grant row: (connector id, kind, grantee id, level).
pub(super) type GrantTuple = (String, String, String, String);

/// The grant of a stored row; a row of a kind or level this version does not know grants
/// nothing (access fails closed).
pub(super) fn grant((_, kind, id, level): GrantTuple) -> Option<Grant> {
    Some(Grant { grantee: Grantee::of(&kind, id)?, level: Level::parse(&level)? })
}

/// The previous version's `connectors.shared` flag for these grants (kept for its replicas
/// during a rolling upgrade).
pub(super) fn shared_flag(grants: &[Grant]) -> i64 {
    grants.iter().any(|g| g.grantee == Grantee::Everyone) as i64
}

/// Replace a connector's grants with `grants` inside `tx`.
pub(super) async fn write_all(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    connector_id: &str,
    grants: &[Grant],
) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM grants WHERE connector_id = $1").bind(connector_id).execute(&mut **tx).await?;
    for grant in grants {
        let (kind, id) = grant.grantee.columns();
        sqlx::query(
            "INSERT INTO grants (connector_id, grantee_kind, grantee_id, level, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(connector_id)
        .bind(kind)
        .bind(id)
        .bind(grant.level.as_str())
        .bind(now())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Drop every grant to this grantee, raising the version of each connector that had one (its
/// access changed, so an update computed before this does not write the grant back).
pub(super) async fn drop_grants_to(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    kind: &str,
    grantee_id: &str,
) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE connectors SET version = version + 1 WHERE id IN
         (SELECT connector_id FROM grants WHERE grantee_kind = $1 AND grantee_id = $2)",
    )
    .bind(kind)
    .bind(grantee_id)
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM grants WHERE grantee_kind = $1 AND grantee_id = $2")
        .bind(kind)
        .bind(grantee_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Store {
    /// Set a connector's grants and owner if its version is still `version`; the version goes
    /// up by one. False, with nothing written, when another change came first. With `narrowed`
    /// (a grant taken back, a new owner) the leases of everyone but the owner are revoked too:
    /// their cached credentials are not handed out again, and whoever still has access mints anew.
    pub async fn set_access(
        &self,
        connector_id: &str,
        version: i64,
        owner_id: &str,
        grants: &[Grant],
        narrowed: bool,
    ) -> anyhow::Result<bool> {
        let _emptied = self.cache.empty_on_exit();
        let mut tx = self.pool().begin().await?;
        let updated = sqlx::query(
            "UPDATE connectors SET owner_id = $2, updated_at = $3, shared = $5, version = version + 1
             WHERE id = $1 AND version = $4",
        )
        .bind(connector_id)
        .bind(owner_id)
        .bind(now())
        .bind(version)
        .bind(shared_flag(grants))
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Ok(false);
        }
        write_all(&mut tx, connector_id, grants).await?;
        if narrowed {
            sqlx::query("UPDATE leases SET revoked = 1 WHERE connector_id = $1 AND user_id <> $2")
                .bind(connector_id)
                .bind(owner_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::{Grant, Grantee, Level};

    /// A database made by the previous version, with one shared and one private connector,
    /// keeps both through the migration: the shared one now has a `use` grant to everyone.
    #[tokio::test]
    async fn the_shared_flag_becomes_a_grant_to_everyone() {
        sqlx::any::install_default_drivers();
        let dir = tempfile::tempdir().unwrap();
        let earlier = dir.path().join("migrations");
        std::fs::create_dir(&earlier).unwrap();
        let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        for file in ["0001_init.sql", "0002_connector_version.sql", "0003_plugin_source.sql"] {
            std::fs::copy(source.join(file), earlier.join(file)).unwrap();
        }
        let url = super::Store::sqlite_url(dir.path());
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        sqlx::migrate::Migrator::new(earlier.as_path()).await.unwrap().run(&pool).await.unwrap();
        sqlx::query("INSERT INTO users (id, name, role, created_at) VALUES ('u1', 'owner', 'member', 1)")
            .execute(&pool)
            .await
            .unwrap();
        for (id, name, shared) in [("c1", "open", 1), ("c2", "private", 0)] {
            sqlx::query(
                "INSERT INTO connectors (id, name, connector_type, auth_method, config, description, labels, owner_id, \
                 shared, created_at, updated_at) VALUES ($1, $2, 'docker', 'password', '{}', '', '{}', 'u1', $3, 1, 2)",
            )
            .bind(id)
            .bind(name)
            .bind(shared)
            .execute(&pool)
            .await
            .unwrap();
        }
        pool.close().await;

        let store = super::Store::connect(&url).await.unwrap();
        let connectors = store.list_connectors().await.unwrap();
        let grants: Vec<(&str, &[Grant])> = connectors.iter().map(|c| (c.name.as_str(), c.grants.as_slice())).collect();
        let everyone = [Grant { grantee: Grantee::Everyone, level: Level::Use }];
        assert_eq!(grants, vec![("open", &everyone[..]), ("private", &[][..])]);
    }
}
