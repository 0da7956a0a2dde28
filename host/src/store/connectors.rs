//! Registered connectors and their sealed secrets.

use super::grants::{Grant, GrantTuple, grant};
use super::{Store, now};
use crate::vault::Sealed;
use serde::Serialize;
use std::collections::BTreeMap;

/// A connector as stored (secrets separately, sealed).
#[derive(Debug, Clone, Serialize)]
pub struct ConnectorRow {
    pub id: String,
    pub name: String,
    pub connector_type: String,
    pub auth_method: String,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    /// Non-secret attributes.
    pub config: BTreeMap<String, String>,
    pub description: String,
    pub labels: BTreeMap<String, String>,
    pub expiration_seconds: Option<i64>,
    pub expires_at: Option<i64>,
    pub expires_skew_tolerance: Option<i64>,
    pub owner_id: String,
    /// Who else may use or manage it.
    pub grants: Vec<Grant>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Increases with every update; clients send it back in `If-Match`.
    pub version: i64,
    /// Names of the secret attributes that are set (never their values).
    pub secrets: Vec<String>,
}

/// Secrets to write and to delete in an update.
#[derive(Debug, Default)]
pub struct SecretChanges {
    pub set: Vec<(String, Sealed)>,
    pub remove: Vec<String>,
}

const COLUMNS: &str = "id, name, connector_type, auth_method, resource_type, resource_id, config, description, labels, \
    expiration_seconds, expires_at, expires_skew_tolerance, owner_id, created_at, updated_at, version";

/// The grants of one connector, and of all, in a stable order.
const GRANTS_OF_ONE: &str = "SELECT connector_id, grantee_kind, grantee_id, level FROM grants WHERE connector_id = $1 \
    ORDER BY grantee_kind, grantee_id";
const GRANTS_OF_ALL: &str =
    "SELECT connector_id, grantee_kind, grantee_id, level FROM grants ORDER BY grantee_kind, grantee_id";

/// A connector row (secret names and grants filled in separately).
struct Record(ConnectorRow);

impl<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> for Record {
    fn from_row(r: &'r sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        let json = |i: usize| -> Result<BTreeMap<String, String>, sqlx::Error> {
            serde_json::from_str(&r.try_get::<String, _>(i)?).map_err(|e| sqlx::Error::Decode(Box::new(e)))
        };
        Ok(Record(ConnectorRow {
            id: r.try_get(0)?,
            name: r.try_get(1)?,
            connector_type: r.try_get(2)?,
            auth_method: r.try_get(3)?,
            resource_type: r.try_get(4)?,
            resource_id: r.try_get(5)?,
            config: json(6)?,
            description: r.try_get(7)?,
            labels: json(8)?,
            expiration_seconds: r.try_get(9)?,
            expires_at: r.try_get(10)?,
            expires_skew_tolerance: r.try_get(11)?,
            owner_id: r.try_get(12)?,
            grants: Vec::new(),
            created_at: r.try_get(13)?,
            updated_at: r.try_get(14)?,
            version: r.try_get(15)?,
            secrets: Vec::new(),
        }))
    }
}

/// A connector row joined with one of its secret names.
struct RecordWithSecret(ConnectorRow, Option<String>);

impl<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> for RecordWithSecret {
    fn from_row(r: &'r sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        Ok(RecordWithSecret(Record::from_row(r)?.0, r.try_get(16)?))
    }
}

/// How a stored object is looked up: ids and names never stand for each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup<'a> {
    Id(&'a str),
    Name(&'a str),
}

impl<'a> Lookup<'a> {
    /// An id if the text parses as one (names cannot), a name otherwise.
    pub fn of(id_or_name: &'a str) -> Self {
        match super::is_id(id_or_name) {
            true => Lookup::Id(id_or_name),
            false => Lookup::Name(id_or_name),
        }
    }
}

impl Store {
    /// Insert a connector and its sealed secrets in one transaction.
    pub async fn insert_connector(&self, row: &ConnectorRow, secrets: &[(String, Sealed)]) -> anyhow::Result<()> {
        let _emptied = self.cache.empty_on_exit();
        let mut tx = self.pool().begin().await?;
        sqlx::query(&format!(
            "INSERT INTO connectors ({COLUMNS}, shared) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
        ))
        .bind(&row.id)
        .bind(&row.name)
        .bind(&row.connector_type)
        .bind(&row.auth_method)
        .bind(&row.resource_type)
        .bind(&row.resource_id)
        .bind(serde_json::to_string(&row.config)?)
        .bind(&row.description)
        .bind(serde_json::to_string(&row.labels)?)
        .bind(row.expiration_seconds)
        .bind(row.expires_at)
        .bind(row.expires_skew_tolerance)
        .bind(&row.owner_id)
        .bind(row.created_at)
        .bind(row.updated_at)
        .bind(row.version)
        .bind(super::grants::shared_flag(&row.grants))
        .execute(&mut *tx)
        .await?;
        for (name, sealed) in secrets {
            insert_secret(&mut tx, &row.id, name, sealed).await?;
        }
        super::grants::write_all(&mut tx, &row.id, &row.grants).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Write a connector's fields and apply secret changes in one transaction, if the stored
    /// version is still `row.version` (the one the change was computed from); the version then
    /// goes up by one. False, with nothing written, when another update came first.
    /// `grants`, when the update changes them (the `shared` flag), replaces the stored ones;
    /// otherwise they are left as they are.
    pub async fn update_connector(
        &self,
        row: &ConnectorRow,
        changes: &SecretChanges,
        grants: Option<&[Grant]>,
    ) -> anyhow::Result<bool> {
        let _emptied = self.cache.empty_on_exit();
        let mut tx = self.pool().begin().await?;
        let updated = sqlx::query(
            "UPDATE connectors SET name = $2, auth_method = $3, resource_type = $4, resource_id = $5, config = $6,
             description = $7, labels = $8, expiration_seconds = $9, expires_at = $10, expires_skew_tolerance = $11,
             updated_at = $12, version = version + 1 WHERE id = $1 AND version = $13",
        )
        .bind(&row.id)
        .bind(&row.name)
        .bind(&row.auth_method)
        .bind(&row.resource_type)
        .bind(&row.resource_id)
        .bind(serde_json::to_string(&row.config)?)
        .bind(&row.description)
        .bind(serde_json::to_string(&row.labels)?)
        .bind(row.expiration_seconds)
        .bind(row.expires_at)
        .bind(row.expires_skew_tolerance)
        .bind(now())
        .bind(row.version)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Ok(false);
        }
        for name in &changes.remove {
            sqlx::query("DELETE FROM secrets WHERE connector_id = $1 AND name = $2")
                .bind(&row.id)
                .bind(name)
                .execute(&mut *tx)
                .await?;
        }
        for (name, sealed) in &changes.set {
            sqlx::query("DELETE FROM secrets WHERE connector_id = $1 AND name = $2")
                .bind(&row.id)
                .bind(name)
                .execute(&mut *tx)
                .await?;
            insert_secret(&mut tx, &row.id, name, sealed).await?;
        }
        if let Some(grants) = grants {
            super::grants::write_all(&mut tx, &row.id, grants).await?;
            sqlx::query("UPDATE connectors SET shared = $2 WHERE id = $1")
                .bind(&row.id)
                .bind(super::grants::shared_flag(grants))
                .execute(&mut *tx)
                .await?;
        }
        // Credentials issued under the old configuration are no longer reused.
        sqlx::query("UPDATE leases SET revoked = 1 WHERE connector_id = $1").bind(&row.id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// A connector by id or by its unique name (one query: a row per secret name).
    pub async fn get_connector(&self, lookup: Lookup<'_>) -> anyhow::Result<Option<ConnectorRow>> {
        let columns = COLUMNS.split(", ").map(|c| format!("c.{c}")).collect::<Vec<_>>().join(", ");
        let (column, key) = match lookup {
            Lookup::Id(id) => ("id", id),
            Lookup::Name(name) => ("name", name),
        };
        let cache_key = format!("{column}:{key}");
        if let Some(row) = self.cache.get(&self.cache.connectors, &cache_key) {
            return Ok(Some(row));
        }
        let generation = self.cache.generation();
        let sql = format!(
            "SELECT {columns}, s.name FROM connectors c LEFT JOIN secrets s ON s.connector_id = c.id
             WHERE c.{column} = $1 ORDER BY s.name"
        );
        let query = sqlx::query_as(&sql).bind(key).fetch_all(self.pool());
        let rows: Vec<RecordWithSecret> = crate::metrics::store("get_connector", query).await?;
        let secrets = rows.iter().filter_map(|r| r.1.clone()).collect();
        let Some(RecordWithSecret(row, _)) = rows.into_iter().next() else {
            return Ok(None);
        };
        let grants: Vec<GrantTuple> = sqlx::query_as(GRANTS_OF_ONE).bind(&row.id).fetch_all(self.pool()).await?;
        let grants = grants.into_iter().filter_map(grant).collect();
        let found = Some(ConnectorRow { secrets, grants, ..row });
        if let Some(row) = &found {
            self.cache.put(&self.cache.connectors, cache_key, row.clone(), generation);
        }
        Ok(found)
    }

    pub async fn list_connectors(&self) -> anyhow::Result<Vec<ConnectorRow>> {
        let rows: Vec<Record> =
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM connectors ORDER BY name")).fetch_all(self.pool()).await?;
        let names: Vec<(String, String)> =
            sqlx::query_as("SELECT connector_id, name FROM secrets ORDER BY name").fetch_all(self.pool()).await?;
        let mut grants: BTreeMap<String, Vec<Grant>> = BTreeMap::new();
        let all: Vec<GrantTuple> = sqlx::query_as(GRANTS_OF_ALL).fetch_all(self.pool()).await?;
        for row in all {
            let connector = row.0.clone();
            grants.entry(connector).or_default().extend(grant(row));
        }
        Ok(rows
            .into_iter()
            .map(|Record(row)| {
                let secrets = names.iter().filter(|(c, _)| *c == row.id).map(|(_, n)| n.clone()).collect();
                let grants = grants.remove(&row.id).unwrap_or_default();
                ConnectorRow { secrets, grants, ..row }
            })
            .collect())
    }

    pub async fn delete_connector(&self, id: &str) -> anyhow::Result<bool> {
        let _emptied = self.cache.empty_on_exit();
        let done = sqlx::query("DELETE FROM connectors WHERE id = $1").bind(id).execute(self.pool()).await?;
        Ok(done.rows_affected() > 0)
    }

    /// A connector's sealed secrets.
    pub async fn sealed_secrets(&self, connector_id: &str) -> anyhow::Result<Vec<(String, Sealed)>> {
        if let Some(secrets) = self.cache.get(&self.cache.secrets, connector_id) {
            return Ok(secrets);
        }
        let generation = self.cache.generation();
        let query =
            sqlx::query_as("SELECT name, key_id, sealed FROM secrets WHERE connector_id = $1").bind(connector_id);
        let rows: Vec<(String, String, String)> =
            crate::metrics::store("sealed_secrets", query.fetch_all(self.pool())).await?;
        let secrets: Vec<(String, Sealed)> =
            rows.into_iter().map(|(name, key_id, sealed)| (name, Sealed { key_id, sealed })).collect();
        self.cache.put(&self.cache.secrets, connector_id.to_string(), secrets.clone(), generation);
        Ok(secrets)
    }

    /// Every sealed value (secrets and cached lease credentials) with its row identity, for key
    /// rotation: `reseal` maps (aad, sealed) to the new sealed value; all rows change in one
    /// transaction.
    pub async fn reseal_all(&self, reseal: impl Fn(&str, &Sealed) -> anyhow::Result<Sealed>) -> anyhow::Result<usize> {
        let _emptied = self.cache.empty_on_exit();
        let mut tx = self.pool().begin().await?;
        let secrets: Vec<(String, String, String, String)> =
            sqlx::query_as("SELECT connector_id, name, key_id, sealed FROM secrets").fetch_all(&mut *tx).await?;
        for (connector_id, name, key_id, sealed) in &secrets {
            let new = reseal(
                &format!("secret/{connector_id}/{name}"),
                &Sealed { key_id: key_id.clone(), sealed: sealed.clone() },
            )?;
            sqlx::query("UPDATE secrets SET key_id = $3, sealed = $4 WHERE connector_id = $1 AND name = $2")
                .bind(connector_id)
                .bind(name)
                .bind(&new.key_id)
                .bind(&new.sealed)
                .execute(&mut *tx)
                .await?;
        }
        let leases: Vec<(String, String, String)> =
            sqlx::query_as("SELECT id, key_id, sealed FROM leases").fetch_all(&mut *tx).await?;
        for (id, key_id, sealed) in &leases {
            let new = reseal(&format!("lease/{id}"), &Sealed { key_id: key_id.clone(), sealed: sealed.clone() })?;
            sqlx::query("UPDATE leases SET key_id = $2, sealed = $3 WHERE id = $1")
                .bind(id)
                .bind(&new.key_id)
                .bind(&new.sealed)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(secrets.len() + leases.len())
    }
}

async fn insert_secret(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    connector_id: &str,
    name: &str,
    sealed: &Sealed,
) -> anyhow::Result<()> {
    sqlx::query("INSERT INTO secrets (connector_id, name, key_id, sealed) VALUES ($1, $2, $3, $4)")
        .bind(connector_id)
        .bind(name)
        .bind(&sealed.key_id)
        .bind(&sealed.sealed)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
