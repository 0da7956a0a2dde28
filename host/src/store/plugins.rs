//! Installed connector plugins (components are stored base64-encoded, pinned by SHA-256).

use super::{Store, now};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

/// An installed plugin. `spec` is the JSON of the component's `describe` result.
#[derive(Debug, Clone)]
pub struct PluginRow {
    pub connector_type: String,
    pub sha256: String,
    pub component: Vec<u8>,
    pub spec: String,
    pub builtin: bool,
    pub approved: bool,
    pub signer: Option<String>,
    pub installed_by: Option<String>,
    /// The OCI reference it was pulled from (`registry/repo:tag`), if any.
    pub source: Option<String>,
    /// The spec last approved for this type while a replacement waits for approval.
    pub approved_spec: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

type PluginTuple = (
    String,
    String,
    String,
    String,
    i64,
    i64,
    Option<String>,
    Option<String>,
    i64,
    i64,
    Option<String>,
    Option<String>,
);

fn plugin(t: PluginTuple) -> anyhow::Result<PluginRow> {
    Ok(PluginRow {
        connector_type: t.0,
        sha256: t.1,
        component: B64.decode(t.2)?,
        spec: t.3,
        builtin: t.4 != 0,
        approved: t.5 != 0,
        signer: t.6,
        installed_by: t.7,
        created_at: t.8,
        updated_at: t.9,
        source: t.10,
        approved_spec: t.11,
    })
}

const COLUMNS: &str = "connector_type, sha256, component, spec, builtin, approved, signer, installed_by, created_at, \
    updated_at, source, approved_spec";

impl Store {
    /// Insert or replace the plugin for its connector type.
    pub async fn put_plugin(&self, row: &PluginRow) -> anyhow::Result<()> {
        let _emptied = self.cache.empty_on_exit();
        sqlx::query(&format!(
            "INSERT INTO plugins ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             ON CONFLICT (connector_type) DO UPDATE SET sha256 = $2, component = $3, spec = $4, builtin = $5,
             approved = $6, signer = $7, installed_by = $8, updated_at = $10, source = $11, approved_spec = $12"
        ))
        .bind(&row.connector_type)
        .bind(&row.sha256)
        .bind(B64.encode(&row.component))
        .bind(&row.spec)
        .bind(row.builtin as i64)
        .bind(row.approved as i64)
        .bind(&row.signer)
        .bind(&row.installed_by)
        .bind(row.created_at)
        .bind(now())
        .bind(&row.source)
        .bind(&row.approved_spec)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn get_plugin(&self, connector_type: &str) -> anyhow::Result<Option<PluginRow>> {
        let row: Option<PluginTuple> =
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM plugins WHERE connector_type = $1"))
                .bind(connector_type)
                .fetch_optional(self.pool())
                .await?;
        row.map(plugin).transpose()
    }

    /// The installed component's hash and approval, without loading its bytes.
    pub async fn plugin_digest(&self, connector_type: &str) -> anyhow::Result<Option<(String, bool)>> {
        if let Some(digest) = self.cache.get(&self.cache.plugin_digests, connector_type) {
            return Ok(digest);
        }
        let generation = self.cache.generation();
        let query =
            sqlx::query_as("SELECT sha256, approved FROM plugins WHERE connector_type = $1").bind(connector_type);
        let row: Option<(String, i64)> =
            crate::metrics::store("plugin_digest", query.fetch_optional(self.pool())).await?;
        let digest = row.map(|(sha, approved)| (sha, approved != 0));
        self.cache.put(&self.cache.plugin_digests, connector_type.to_string(), digest.clone(), generation);
        Ok(digest)
    }

    pub async fn list_plugins(&self) -> anyhow::Result<Vec<PluginRow>> {
        let rows: Vec<PluginTuple> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM plugins ORDER BY connector_type"))
            .fetch_all(self.pool())
            .await?;
        rows.into_iter().map(plugin).collect()
    }

    /// Approve the installed plugin of a type if its digest is `sha256`; false when it is not
    /// installed or another component replaced it.
    pub async fn approve_plugin(&self, connector_type: &str, sha256: &str) -> anyhow::Result<bool> {
        let _emptied = self.cache.empty_on_exit();
        let done = sqlx::query(
            "UPDATE plugins SET approved = 1, approved_spec = NULL, updated_at = $2 WHERE connector_type = $1 AND sha256 = $3",
        )
        .bind(connector_type)
        .bind(now())
        .bind(sha256)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Withdraw the approval of the plugin with this digest (it misbehaved at load); false if
    /// it was not approved or was replaced meanwhile.
    pub async fn withdraw_approval(&self, connector_type: &str, sha256: &str) -> anyhow::Result<bool> {
        let _emptied = self.cache.empty_on_exit();
        let done = sqlx::query("UPDATE plugins SET approved = 0, updated_at = $3 WHERE connector_type = $1 AND sha256 = $2 AND approved = 1")
            .bind(connector_type)
            .bind(sha256)
            .bind(now())
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Remove a plugin; refused (false) while connectors of its type exist.
    pub async fn delete_plugin(&self, connector_type: &str) -> anyhow::Result<Result<bool, i64>> {
        let _emptied = self.cache.empty_on_exit();
        let mut tx = self.pool().begin().await?;
        let in_use: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM connectors WHERE connector_type = $1")
            .bind(connector_type)
            .fetch_one(&mut *tx)
            .await?;
        if in_use > 0 {
            return Ok(Err(in_use));
        }
        let done =
            sqlx::query("DELETE FROM plugins WHERE connector_type = $1").bind(connector_type).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(Ok(done.rows_affected() > 0))
    }
}

#[cfg(test)]
mod tests {
    use super::{PluginRow, Store};

    /// The cached digest follows every plugin write: install, replace, approval, withdrawal,
    /// removal.
    #[tokio::test]
    async fn the_cached_digest_follows_every_plugin_write() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&Store::sqlite_url(dir.path())).await.unwrap();
        let digest = |store: &Store| {
            let store = store.clone();
            async move { store.plugin_digest("probe").await.unwrap() }
        };
        assert_eq!(digest(&store).await, None);
        let mut row = PluginRow {
            connector_type: "probe".into(),
            sha256: "a".into(),
            component: vec![0],
            spec: "{}".into(),
            builtin: false,
            approved: false,
            signer: None,
            installed_by: None,
            source: None,
            approved_spec: None,
            created_at: 1,
            updated_at: 1,
        };
        store.put_plugin(&row).await.unwrap();
        assert_eq!(digest(&store).await, Some(("a".into(), false)), "an install is seen");
        assert!(store.approve_plugin("probe", "a").await.unwrap());
        assert_eq!(digest(&store).await, Some(("a".into(), true)), "an approval is seen");
        row.sha256 = "b".into();
        store.put_plugin(&row).await.unwrap();
        assert_eq!(digest(&store).await, Some(("b".into(), false)), "a replacement is seen");
        assert!(store.approve_plugin("probe", "b").await.unwrap());
        assert!(store.withdraw_approval("probe", "b").await.unwrap());
        assert_eq!(digest(&store).await, Some(("b".into(), false)), "a withdrawal is seen");
        assert_eq!(store.delete_plugin("probe").await.unwrap(), Ok(true));
        assert_eq!(digest(&store).await, None, "a removal is seen");
    }
}
