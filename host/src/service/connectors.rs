//! Connector verbs: register, list, describe, update, delete, verify, list resources.

use super::access::Verb;
use super::input::{
    check_configuration, check_description, check_identifier, check_label, check_labels, check_name, check_resource_id,
};
use super::sharing::{GrantView, Names};
use super::{Actor, Service, ServiceError, Warned};
use crate::instance::{ConnectorConfig, Instance};
use crate::runtime::bindings::{AuthMethodSpec, ConnectorSpec, ResourceListing};
use crate::runtime::{CallError, Limit, LimitExceeded, Plugin};
use crate::store::{AuditRow, ConnectorRow, Grant, Grantee, LeaseRow, Level, Lookup, SecretChanges, new_id, now};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Shown instead of secret values.
pub const HIDDEN: &str = "[HIDDEN]";

/// A new connector.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// 1-128 letters, digits, `-_.@`; not `.`/`..`, never in the form of an id.
    #[schema(
        pattern = "^(?!\\.{1,2}$)(?![0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$)[A-Za-z0-9_.@-]{1,128}$"
    )]
    pub name: String,
    #[schema(pattern = "^[A-Za-z0-9-]{1,64}$")]
    pub connector_type: String,
    #[schema(pattern = "^[A-Za-z0-9-]{1,64}$")]
    pub auth_method: Option<String>,
    #[schema(pattern = "^[A-Za-z0-9-]{1,64}$")]
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    /// Attributes, secret ones included (they are sealed before they are stored).
    #[serde(default)]
    pub configuration: BTreeMap<String, String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    pub expiration_seconds: Option<i64>,
    pub expires_at: Option<i64>,
    pub expires_skew_tolerance: Option<i64>,
    /// Grant `use` to everyone (the same as sharing with `everyone`).
    #[serde(default)]
    pub shared: bool,
    /// Verify before registering (default true).
    pub verify: Option<bool>,
}

/// Changes to a connector; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRequest {
    /// A new name (the rules of `RegisterRequest.name`).
    #[schema(
        pattern = "^(?!\\.{1,2}$)(?![0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$)[A-Za-z0-9_.@-]{1,128}$"
    )]
    pub name: Option<String>,
    #[schema(pattern = "^[A-Za-z0-9-]{1,64}$")]
    pub auth_method: Option<String>,
    #[schema(pattern = "^[A-Za-z0-9-]{1,64}$")]
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    /// Attributes to set (merged into the existing ones).
    #[serde(default)]
    pub configuration: BTreeMap<String, String>,
    /// Attributes to remove (also `resource_type`, `resource_id`, `expiration_seconds`,
    /// `expires_at`).
    #[serde(default)]
    pub remove_attributes: Vec<String>,
    pub description: Option<String>,
    /// Labels to set; a label set to the empty string is removed.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    pub expiration_seconds: Option<i64>,
    pub expires_at: Option<i64>,
    pub expires_skew_tolerance: Option<i64>,
    /// Grant `use` to everyone, or take every grant to everyone back (owner or admin only).
    pub shared: Option<bool>,
    pub verify: Option<bool>,
}

/// List filters.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConnectorFilter {
    pub connector_type: Option<String>,
    pub resource_type: Option<String>,
    pub auth_method: Option<String>,
    /// Substring of the name.
    pub name: Option<String>,
    /// `key` or `key=value`, comma-separated; all must match.
    pub labels: Option<String>,
    /// Connectors configured for exactly this resource id.
    pub resource_id: Option<String>,
    /// The owner's user name or id.
    pub owner: Option<String>,
    /// `true`: only connectors whose own credentials have expired (within their skew tolerance);
    /// `false`: only those that have not.
    pub expired: Option<bool>,
    /// `name`, `type`, `created`, `updated` or `expires`; `-` before it sorts descending.
    #[param(pattern = "^-?(name|type|created|updated|expires)$")]
    pub sort_by: Option<String>,
    /// Page number (from 1) of `size` connectors; without `size` every connector is returned.
    #[param(minimum = 1)]
    pub page: Option<u32>,
    /// Connectors per page (1–1000).
    #[param(minimum = 1, maximum = 1000)]
    pub size: Option<u32>,
}

/// A connector as callers see it: secret values hidden.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConnectorView {
    pub id: String,
    pub name: String,
    pub connector_type: String,
    pub auth_method: String,
    /// The resource types this connector serves (all of the type's for a multi-type connector).
    pub resource_types: Vec<String>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub description: String,
    pub labels: BTreeMap<String, String>,
    pub configuration: BTreeMap<String, String>,
    pub expiration_seconds: Option<i64>,
    pub expires_at: Option<i64>,
    pub expires_skew_tolerance: Option<i64>,
    pub owner_id: String,
    /// The owner's user name.
    pub owner: String,
    /// Whether everyone has a grant.
    pub shared: bool,
    /// Who else may use or manage it (shown to those who may manage it).
    pub grants: Vec<GrantView>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Goes up with every update; its `ETag`.
    pub version: i64,
}

/// Resources one connector reaches, or why they could not be listed.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConnectorResources {
    pub id: String,
    pub name: String,
    pub connector_type: String,
    pub resources: Vec<ResourceListing>,
    /// Egress denials the connector got past while listing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    pub error: Option<String>,
}

impl ConnectorView {
    fn of(row: &ConnectorRow, spec: Option<&ConnectorSpec>, actor: &Actor, names: &Names) -> Self {
        let mut configuration = row.config.clone();
        for secret in &row.secrets {
            configuration.insert(secret.clone(), HIDDEN.into());
        }
        let resource_types = match (&row.resource_type, spec) {
            (Some(rt), _) => vec![rt.clone()],
            (None, Some(spec)) => spec.resource_types.iter().map(|r| r.resource_type.clone()).collect(),
            (None, None) => Vec::new(),
        };
        ConnectorView {
            id: row.id.clone(),
            name: row.name.clone(),
            connector_type: row.connector_type.clone(),
            auth_method: row.auth_method.clone(),
            resource_types,
            resource_type: row.resource_type.clone(),
            resource_id: row.resource_id.clone(),
            description: row.description.clone(),
            labels: row.labels.clone(),
            configuration,
            expiration_seconds: row.expiration_seconds,
            expires_at: row.expires_at,
            expires_skew_tolerance: row.expires_skew_tolerance,
            owner_id: row.owner_id.clone(),
            owner: names.user(&row.owner_id).to_string(),
            shared: row.grants.iter().any(|g| g.grantee == Grantee::Everyone),
            grants: names.grants(actor, row),
            created_at: row.created_at,
            updated_at: row.updated_at,
            version: row.version,
        }
    }
}

/// Everything about a connector that a configuration decides, checked against its type.
struct Checked {
    plugin: Arc<Plugin>,
    instance: Arc<Instance>,
    resource_type: Option<String>,
    resource_id: Option<String>,
    secrets: Vec<(String, SecretString)>,
}

impl Service {
    /// Register a connector: check, verify (unless told not to), then store it with its secrets
    /// sealed, all in one transaction.
    pub async fn register(
        &self,
        actor: &Actor,
        request: RegisterRequest,
    ) -> Result<Warned<(ConnectorView, Vec<ResourceListing>)>, ServiceError> {
        actor.check_can_register()?;
        check_register(&request)?;
        let _slot = self.quota.acquire(&actor.user.id)?;
        // A type with a single resource type serves just that one.
        let plugin = self.plugin(&request.connector_type, false).await?;
        let resource_type = match (request.resource_type, plugin.spec.resource_types.as_slice()) {
            (None, [only]) => Some(only.resource_type.clone()),
            (given, _) => given,
        };
        let checked = self
            .check_config(
                &request.connector_type,
                request.auth_method.as_deref(),
                request.configuration,
                resource_type,
                request.resource_id,
            )
            .await?;
        check_expiration(&checked.plugin.spec, &checked.instance.auth_method, request.expiration_seconds)?;
        check_expiry(request.expires_at, request.expires_skew_tolerance)?;
        let verified = self.verify_checked(&checked, request.verify.unwrap_or(true)).await;
        let warnings = self.settle_calls(actor, &request.name, &checked.instance).await?;
        let (resource_id, listings) = verified?;
        let id = new_id();
        let row = ConnectorRow {
            id: id.clone(),
            name: request.name,
            connector_type: request.connector_type,
            auth_method: checked.instance.auth_method.clone(),
            resource_type: checked.resource_type.clone(),
            resource_id,
            config: checked.instance.config.clone(),
            description: request.description,
            labels: request.labels,
            expiration_seconds: request.expiration_seconds,
            expires_at: request.expires_at,
            expires_skew_tolerance: request.expires_skew_tolerance,
            owner_id: actor.user.id.clone(),
            grants: match request.shared {
                true => vec![Grant { grantee: Grantee::Everyone, level: Level::Use }],
                false => Vec::new(),
            },
            created_at: now(),
            updated_at: now(),
            version: 1,
            secrets: checked.secrets.iter().map(|(n, _)| n.clone()).collect(),
        };
        let sealed: Vec<_> =
            checked.secrets.iter().map(|(name, value)| (name.clone(), self.seal_secret(&id, name, value))).collect();
        if self.store.get_connector(Lookup::Name(&row.name)).await?.is_some() {
            return Err(name_taken(&row.name));
        }
        self.store.insert_connector(&row, &sealed).await.map_err(|e| conflict_or_internal(e, &row.name))?;
        self.store
            .audit(
                actor.name(),
                "connector.register",
                &row.name,
                "ok",
                &format!("type={} method={}", row.connector_type, row.auth_method),
            )
            .await?;
        let view = ConnectorView::of(&row, Some(&checked.plugin.spec), actor, &self.names_for(&[&row]).await?);
        Ok(Warned { value: (view, listings), warnings })
    }

    /// Verify a configuration without storing it.
    pub async fn verify_config(
        &self,
        actor: &Actor,
        request: RegisterRequest,
    ) -> Result<Warned<Vec<ResourceListing>>, ServiceError> {
        actor.check_can_register()?;
        check_register(&request)?;
        let _slot = self.quota.acquire(&actor.user.id)?;
        let checked = self
            .check_config(
                &request.connector_type,
                request.auth_method.as_deref(),
                request.configuration,
                request.resource_type,
                request.resource_id,
            )
            .await?;
        let verified = self.verify_checked(&checked, true).await;
        let warnings = self.settle_calls(actor, "(unsaved)", &checked.instance).await?;
        Ok(Warned { value: verified?.1, warnings })
    }

    pub async fn list_connectors(
        &self,
        actor: &Actor,
        filter: &ConnectorFilter,
    ) -> Result<Vec<ConnectorView>, ServiceError> {
        let sort = filter.sort_by.as_deref().map(SortBy::parse).transpose()?;
        let page = page_bounds(filter.page, filter.size)?;
        let owner = match &filter.owner {
            Some(owner) => Some(self.user_lookup(owner).await?),
            None => None,
        };
        let mut rows: Vec<ConnectorRow> = self
            .store
            .list_connectors()
            .await?
            .into_iter()
            .filter(|r| actor.may(Verb::Read, r) && matches(filter, r))
            .filter(|r| owner.as_ref().is_none_or(|o| o.as_ref().is_some_and(|o| o.id == r.owner_id)))
            .collect();
        if let Some(sort) = sort {
            sort.apply(&mut rows);
        }
        let names = self.names_for(&rows.iter().collect::<Vec<_>>()).await?;
        let mut specs: BTreeMap<String, Option<ConnectorSpec>> = BTreeMap::new();
        let mut views = Vec::new();
        for row in &rows {
            if !specs.contains_key(&row.connector_type) {
                let spec = self.plugin(&row.connector_type, true).await.ok().map(|p| p.spec.clone());
                specs.insert(row.connector_type.clone(), spec);
            }
            let view = ConnectorView::of(row, specs[&row.connector_type].as_ref(), actor, &names);
            if filter.resource_type.as_ref().is_none_or(|rt| view.resource_types.contains(rt)) {
                views.push(view);
            }
        }
        Ok(match page {
            Some((skip, take)) => views.into_iter().skip(skip).take(take).collect(),
            None => views,
        })
    }

    /// The stored secret values of a connector, for its owner or an admin (`describe -x`).
    /// Every reveal is audited; other callers are refused even if they may use the connector.
    pub async fn reveal_secrets(
        &self,
        actor: &Actor,
        id_or_name: &str,
    ) -> Result<BTreeMap<String, String>, ServiceError> {
        let row = self.connector(actor, Verb::Read, id_or_name).await?;
        if row.owner_id != actor.user.id && !actor.is_admin() {
            self.store.audit(actor.name(), "connector.reveal", &row.name, "denied", "").await?;
            return Err(ServiceError::Forbidden(format!(
                "only the owner of `{}` or an admin may see its secrets",
                row.name
            )));
        }
        let secrets = self.open_secrets(&row).await?;
        let names: Vec<&str> = secrets.iter().map(|(n, _)| n.as_str()).collect();
        self.store.audit(actor.name(), "connector.reveal", &row.name, "ok", &names.join(",")).await?;
        Ok(secrets.into_iter().map(|(k, v)| (k, secrecy::ExposeSecret::expose_secret(&v).to_string())).collect())
    }

    pub async fn describe_connector(&self, actor: &Actor, id_or_name: &str) -> Result<ConnectorView, ServiceError> {
        let row = self.connector(actor, Verb::Read, id_or_name).await?;
        let spec = self.plugin(&row.connector_type, true).await.ok().map(|p| p.spec.clone());
        Ok(ConnectorView::of(&row, spec.as_ref(), actor, &self.names_for(&[&row]).await?))
    }

    /// Update a connector: change what the update names, re-check and (by default) re-verify,
    /// then write it if nobody else updated it meanwhile (optimistic concurrency on the row's
    /// version). Without `if_match` a concurrent update is merged by starting again from the
    /// new version; with it, a stale version is refused. Reusable leases of the old
    /// configuration are revoked.
    pub async fn update_connector(
        &self,
        actor: &Actor,
        id_or_name: &str,
        update: UpdateRequest,
        if_match: Option<i64>,
    ) -> Result<Warned<ConnectorView>, ServiceError> {
        check_update(&update)?;
        let _slot = self.quota.acquire(&actor.user.id)?;
        // Updates of one connector take turns on this replica; the version check catches
        // another replica's update in between.
        let row = self.connector(actor, Verb::Manage, id_or_name).await?;
        if update.shared.is_some() {
            actor.check(Verb::Share, &row)?;
        }
        let id = row.id;
        let _connector_slot = self.connector_quota.acquire(&id)?;
        let _turn = self.update_turns.lock(&id).await;
        for attempt in 0..UPDATE_ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(rand::random_range(5..50))).await;
            }
            let row = self.connector(actor, Verb::Manage, &id).await?;
            if if_match.is_some_and(|expected| expected != row.version) {
                return Err(stale(&row));
            }
            match self.try_update(actor, row, &update).await? {
                Ok(updated) => return Ok(updated),
                Err(row) if if_match.is_some() => return Err(stale(&row)),
                Err(_) => continue,
            }
        }
        Err(ServiceError::Conflict(format!(
            "the connector `{id_or_name}` kept changing under {UPDATE_ATTEMPTS} attempts to update it; try again"
        )))
    }

    /// One attempt at an update computed from `row`; the row back if its version moved on.
    async fn try_update(
        &self,
        actor: &Actor,
        mut row: ConnectorRow,
        update: &UpdateRequest,
    ) -> Result<Result<Warned<ConnectorView>, ConnectorRow>, ServiceError> {
        let plugin = self.plugin(&row.connector_type, false).await?;
        check_secrets_stay_secret(&plugin.spec, &row)?;
        let mut attributes: BTreeMap<String, String> = row.config.clone();
        for (name, value) in self.open_secrets(&row).await? {
            attributes.insert(name, secrecy::ExposeSecret::expose_secret(&value).to_string());
        }
        let removes = |field: &str| update.remove_attributes.iter().any(|a| a == field);
        for name in &update.remove_attributes {
            attributes.remove(name);
        }
        let auth_method = update.auth_method.clone().unwrap_or(row.auth_method.clone());
        check_secrets_carried_over(&plugin.spec, &row, &auth_method, &attributes, &update.configuration)?;
        if !actor.may(Verb::Share, &row) {
            check_secrets_stay_where_they_go(&plugin.spec, &row, &auth_method, update)?;
        }
        attributes.extend(update.configuration.clone());
        let resource_type =
            if removes("resource_type") { None } else { update.resource_type.clone().or(row.resource_type.clone()) };
        let resource_id =
            if removes("resource_id") { None } else { update.resource_id.clone().or(row.resource_id.clone()) };
        let checked =
            self.check_config(&row.connector_type, Some(&auth_method), attributes, resource_type, resource_id).await?;
        if removes("expiration_seconds") {
            row.expiration_seconds = None;
        }
        if removes("expires_at") {
            row.expires_at = None;
        }
        row.expiration_seconds = update.expiration_seconds.or(row.expiration_seconds);
        row.expires_at = update.expires_at.or(row.expires_at);
        row.expires_skew_tolerance = update.expires_skew_tolerance.or(row.expires_skew_tolerance);
        check_expiration(&checked.plugin.spec, &checked.instance.auth_method, row.expiration_seconds)?;
        check_expiry(update.expires_at, row.expires_skew_tolerance)?;
        let verified = self.verify_checked(&checked, update.verify.unwrap_or(true)).await;
        let warnings = self.settle_calls(actor, &row.name, &checked.instance).await?;
        let (resource_id, _) = verified?;
        if let Some(name) = &update.name {
            row.name = name.clone();
        }
        if let Some(description) = &update.description {
            row.description = description.clone();
        }
        for (key, value) in &update.labels {
            match value.is_empty() {
                true => row.labels.remove(key),
                false => row.labels.insert(key.clone(), value.clone()),
            };
        }
        check_labels(&row.labels)?;
        if let Some(shared) = update.shared {
            row.grants.retain(|g| g.grantee != Grantee::Everyone);
            if shared {
                row.grants.push(Grant { grantee: Grantee::Everyone, level: Level::Use });
            }
        }
        row.auth_method = checked.instance.auth_method.clone();
        row.resource_type = checked.resource_type.clone();
        row.resource_id = resource_id;
        row.config = checked.instance.config.clone();
        // Only the secrets the update names are sealed again; the others keep their rows.
        let new_names: Vec<String> = checked.secrets.iter().map(|(n, _)| n.clone()).collect();
        let changes = SecretChanges {
            set: checked
                .secrets
                .iter()
                .filter(|(name, _)| update.configuration.contains_key(name))
                .map(|(name, value)| (name.clone(), self.seal_secret(&row.id, name, value)))
                .collect(),
            remove: row.secrets.iter().filter(|n| !new_names.contains(n)).cloned().collect(),
        };
        row.secrets = new_names;
        if let Some(name) = &update.name
            && self.store.get_connector(Lookup::Name(name)).await?.is_some_and(|other| other.id != row.id)
        {
            return Err(name_taken(name));
        }
        let grants = update.shared.map(|_| row.grants.as_slice());
        let written = self
            .store
            .update_connector(&row, &changes, grants)
            .await
            .map_err(|e| conflict_or_internal(e, &row.name))?;
        if !written {
            return Ok(Err(row));
        }
        row.version += 1;
        self.store.audit(actor.name(), "connector.update", &row.name, "ok", "").await?;
        let view = ConnectorView::of(&row, Some(&checked.plugin.spec), actor, &self.names_for(&[&row]).await?);
        Ok(Ok(Warned { value: view, warnings }))
    }

    /// Whether the caller may verify, update and delete the connector (pages offer only that).
    pub async fn may_manage(&self, actor: &Actor, id_or_name: &str) -> bool {
        self.connector(actor, Verb::Manage, id_or_name).await.is_ok()
    }

    pub async fn delete_connector(&self, actor: &Actor, id_or_name: &str) -> Result<(), ServiceError> {
        let row = self.connector(actor, Verb::Manage, id_or_name).await?;
        self.store.delete_connector(&row.id).await?;
        self.store.audit(actor.name(), "connector.delete", &row.name, "ok", "").await?;
        Ok(())
    }

    /// Verify a stored connector, optionally for one resource type or id (owner, admins and
    /// `manage` grantees).
    pub async fn verify_connector(
        &self,
        actor: &Actor,
        id_or_name: &str,
        resource_type: Option<&str>,
        resource_id: Option<&str>,
    ) -> Result<Warned<Vec<ResourceListing>>, ServiceError> {
        self.verify_stored(actor, Verb::Verify, id_or_name, resource_type, resource_id).await
    }

    /// The resources a stored connector reaches (also for `use` grantees): a verify underneath.
    pub async fn connector_resources(
        &self,
        actor: &Actor,
        id_or_name: &str,
        resource_type: Option<&str>,
        resource_id: Option<&str>,
    ) -> Result<Warned<Vec<ResourceListing>>, ServiceError> {
        self.verify_stored(actor, Verb::Use, id_or_name, resource_type, resource_id).await
    }

    async fn verify_stored(
        &self,
        actor: &Actor,
        verb: Verb,
        id_or_name: &str,
        resource_type: Option<&str>,
        resource_id: Option<&str>,
    ) -> Result<Warned<Vec<ResourceListing>>, ServiceError> {
        check_common(None, resource_type, resource_id)?;
        let row = self.connector(actor, verb, id_or_name).await?;
        let _slot = self.quota.acquire(&actor.user.id)?;
        let _connector_slot = self.connector_quota.acquire(&row.id)?;
        let result = self.verify_row(actor, &row, resource_type, resource_id).await;
        let outcome = if result.is_ok() { "ok" } else { "failed" };
        let action = if verb == Verb::Verify { "connector.verify" } else { "connector.resources" };
        self.store.audit(actor.name(), action, &row.name, outcome, "").await?;
        result
    }

    /// List resources across every connector the caller may use, concurrently, each with a
    /// timeout; a failing connector reports its error and does not hide the others.
    pub async fn list_all_resources(
        &self,
        actor: &Actor,
        connector_type: Option<&str>,
        resource_type: Option<&str>,
        resource_id: Option<&str>,
    ) -> Result<Vec<ConnectorResources>, ServiceError> {
        let rows: Vec<ConnectorRow> = self
            .store
            .list_connectors()
            .await?
            .into_iter()
            .filter(|r| actor.may(Verb::Use, r))
            .filter(|r| connector_type.is_none_or(|t| t == r.connector_type))
            .filter(|r| resource_type.is_none_or(|rt| r.resource_type.as_deref().is_none_or(|own| own == rt)))
            .collect();
        let timeout = self.policy.list_timeout;
        let results = futures::future::join_all(rows.iter().map(|row| async move {
            let _slot = self.quota.wait(&actor.user.id).await;
            let listed = tokio::time::timeout(timeout, self.verify_row(actor, row, resource_type, resource_id)).await;
            let (resources, warnings, error) = match listed {
                Ok(Ok(Warned { value, warnings })) => (value, warnings, None),
                Ok(Err(e)) => (Vec::new(), Vec::new(), Some(e.to_string())),
                Err(_) => (Vec::new(), Vec::new(), Some(format!("timed out after {timeout:?}"))),
            };
            let (id, name, connector_type) = (row.id.clone(), row.name.clone(), row.connector_type.clone());
            ConnectorResources { id, name, connector_type, resources, warnings, error }
        }))
        .await;
        Ok(results.into_iter().filter(|r| r.error.is_some() || !r.resources.is_empty()).collect())
    }

    /// The stored connector, if the caller may `verb` it.
    pub(crate) async fn connector(
        &self,
        actor: &Actor,
        verb: Verb,
        id_or_name: &str,
    ) -> Result<ConnectorRow, ServiceError> {
        let lookup = Lookup::of(id_or_name);
        let row = self.store.get_connector(lookup).await?.ok_or_else(|| match lookup {
            Lookup::Id(id) => ServiceError::NotFound(format!("no connector with the id `{id}`")),
            Lookup::Name(name) => ServiceError::NotFound(format!("no connector named `{name}`")),
        })?;
        actor.check(verb, &row)?;
        Ok(row)
    }

    async fn verify_row(
        &self,
        actor: &Actor,
        row: &ConnectorRow,
        resource_type: Option<&str>,
        resource_id: Option<&str>,
    ) -> Result<Warned<Vec<ResourceListing>>, ServiceError> {
        let (plugin, instance) = self.instance_of(row).await?;
        let resource_type = resource_type.or(row.resource_type.as_deref());
        if let (Some(own), Some(asked)) = (&row.resource_type, resource_type)
            && own != asked
        {
            return Err(ServiceError::Invalid(format!("the connector `{}` only serves `{own}`", row.name)));
        }
        let resource_id = resource_id.or(row.resource_id.as_deref());
        let result = self.verify_call(&plugin, instance.clone(), resource_type, resource_id).await;
        let warnings = self.settle_calls(actor, &row.name, &instance).await?;
        Ok(Warned { value: result?, warnings })
    }

    /// `verify` within the verify timeout, which is shorter than a call's wall time: a verify or
    /// listing against a host that does not answer frees its slot sooner.
    pub(super) async fn verify_call(
        &self,
        plugin: &Plugin,
        instance: Arc<Instance>,
        resource_type: Option<&str>,
        resource_id: Option<&str>,
    ) -> Result<Vec<ResourceListing>, CallError> {
        let limit = self.policy.verify_timeout;
        let verified = self.runtime.verify(plugin, instance, resource_type, resource_id);
        tokio::time::timeout(limit, verified).await.unwrap_or_else(|_| {
            Err(CallError::Limit(LimitExceeded::new(Limit::WallTime, format!("{limit:?} for a verify"))))
        })
    }

    /// The plugin and a prepared instance (secrets opened) for a stored connector.
    pub(crate) async fn instance_of(&self, row: &ConnectorRow) -> Result<(Arc<Plugin>, Arc<Instance>), ServiceError> {
        check_not_expired(row)?;
        let plugin = self.plugin(&row.connector_type, false).await?;
        check_secrets_stay_secret(&plugin.spec, row)?;
        let mut attributes: BTreeMap<String, SecretString> =
            row.config.iter().map(|(k, v)| (k.clone(), SecretString::from(v.clone()))).collect();
        attributes.extend(self.open_secrets(row).await?);
        let config = ConnectorConfig { auth_method: Some(row.auth_method.clone()), attributes };
        let instance = Instance::prepare(&plugin.spec, config, &self.policy.egress)?;
        Ok((plugin, Arc::new(instance)))
    }

    async fn open_secrets(&self, row: &ConnectorRow) -> Result<Vec<(String, SecretString)>, ServiceError> {
        let sealed = self.store.sealed_secrets(&row.id).await?;
        sealed
            .into_iter()
            .map(|(name, sealed)| {
                let plain = self.keyring.open(&format!("secret/{}/{name}", row.id), &sealed)?;
                let text =
                    String::from_utf8(plain.to_vec()).map_err(|_| anyhow::anyhow!("a stored secret is not UTF-8"))?;
                Ok((name, SecretString::from(text)))
            })
            .collect()
    }

    fn seal_secret(&self, connector_id: &str, name: &str, value: &SecretString) -> crate::vault::Sealed {
        self.keyring
            .seal(&format!("secret/{connector_id}/{name}"), secrecy::ExposeSecret::expose_secret(value).as_bytes())
    }

    /// Check a configuration against its type: auth method, attributes, resource type and id.
    async fn check_config(
        &self,
        connector_type: &str,
        auth_method: Option<&str>,
        configuration: BTreeMap<String, String>,
        resource_type: Option<String>,
        resource_id: Option<String>,
    ) -> Result<Checked, ServiceError> {
        let plugin = self.plugin(connector_type, false).await?;
        let attributes: BTreeMap<String, SecretString> =
            configuration.into_iter().map(|(k, v)| (k, SecretString::from(v))).collect();
        let secret_values: Vec<(String, SecretString)> =
            attributes.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let instance = Instance::prepare(
            &plugin.spec,
            ConnectorConfig { auth_method: auth_method.map(str::to_string), attributes },
            &self.policy.egress,
        )?;
        let secret_names = Instance::secret_names(&plugin.spec, &instance.auth_method);
        let secrets = secret_values.into_iter().filter(|(k, _)| secret_names.contains(k)).collect();
        let spec = &plugin.spec;
        if let Some(rt) = &resource_type {
            let found = spec.resource_types.iter().find(|r| &r.resource_type == rt).ok_or_else(|| {
                ServiceError::Invalid(format!(
                    "connector type `{connector_type}` has no resource type `{rt}` (available: {})",
                    spec.resource_types.iter().map(|r| r.resource_type.as_str()).collect::<Vec<_>>().join(", ")
                ))
            })?;
            if !found.auth_methods.contains(&instance.auth_method) {
                return Err(ServiceError::Invalid(format!(
                    "auth method `{}` cannot reach resource type `{rt}`",
                    instance.auth_method
                )));
            }
        } else if resource_id.is_some() {
            return Err(ServiceError::Invalid("a resource id needs a resource type".into()));
        }
        let instance = Arc::new(instance);
        let resource_id = match (&resource_type, resource_id) {
            (Some(rt), Some(id)) => Some(self.runtime.canonical_resource_id(&plugin, instance.clone(), rt, &id).await?),
            _ => None,
        };
        Ok(Checked { plugin, instance, resource_type, resource_id, secrets })
    }

    /// Verify when asked; a single-instance resource type's one id becomes the connector's id.
    async fn verify_checked(
        &self,
        checked: &Checked,
        verify: bool,
    ) -> Result<(Option<String>, Vec<ResourceListing>), ServiceError> {
        if !verify {
            return Ok((checked.resource_id.clone(), Vec::new()));
        }
        let (resource_type, resource_id) = (checked.resource_type.as_deref(), checked.resource_id.as_deref());
        let listings = self.verify_call(&checked.plugin, checked.instance.clone(), resource_type, resource_id).await?;
        if checked.resource_id.is_some() {
            return Ok((checked.resource_id.clone(), listings));
        }
        let single = checked.resource_type.as_ref().and_then(|rt| {
            let spec = checked.plugin.spec.resource_types.iter().find(|r| &r.resource_type == rt)?;
            let listing = listings.iter().find(|l| &l.resource_type == rt)?;
            (!spec.supports_instances && listing.resource_ids.len() == 1).then(|| (rt, &listing.resource_ids[0]))
        });
        // The listed id is stored only in the form the connector accepts as a resource id.
        let Some((rt, id)) = single else { return Ok((None, listings)) };
        crate::runtime::storable_resource_id(id)?;
        let canonical = self.runtime.canonical_resource_id(&checked.plugin, checked.instance.clone(), rt, id).await?;
        Ok((Some(canonical), listings))
    }

    /// After connector calls: one audit row per use the host made of a credential binding; the
    /// calls' warnings for the caller.
    pub(crate) async fn settle_calls(
        &self,
        actor: &Actor,
        connector: &str,
        instance: &Instance,
    ) -> Result<Vec<String>, ServiceError> {
        self.settle_calls_with(actor, connector, instance, Vec::new(), None).await
    }

    /// As [`Service::settle_calls`], with the action's own audit rows (`outcome`) and its
    /// lease: all are committed in one transaction, so none is recorded without the others.
    pub(crate) async fn settle_calls_with(
        &self,
        actor: &Actor,
        connector: &str,
        instance: &Instance,
        outcome: Vec<AuditRow>,
        lease: Option<LeaseRow>,
    ) -> Result<Vec<String>, ServiceError> {
        let mut rows: Vec<AuditRow> = instance
            .take_binding_uses()
            .into_iter()
            .map(|used| {
                let status = used.status.map(|s| s.to_string()).unwrap_or_else(|| "no response".into());
                let detail =
                    format!("bindings={} {} {} -> {status}", used.bindings.join(","), used.method, used.origin);
                AuditRow::new(actor.name(), "binding.use", connector, "ok", &detail)
            })
            .collect();
        rows.extend(outcome);
        if !rows.is_empty() || lease.is_some() {
            self.store.record(rows, lease).await?;
        }
        Ok(instance.take_warnings())
    }
}

/// A connector whose own credentials expired (within the skew tolerance) is not used.
pub(crate) fn check_not_expired(row: &ConnectorRow) -> Result<(), ServiceError> {
    let Some(expires_at) = row.expires_at else { return Ok(()) };
    let tolerance = row.expires_skew_tolerance.unwrap_or(DEFAULT_SKEW_TOLERANCE);
    if has_expired(row) {
        return Err(ServiceError::Invalid(format!(
            "the connector `{}` has expired (its credentials were valid until {expires_at}, skew tolerance {tolerance}s); update it with fresh credentials",
            row.name
        )));
    }
    Ok(())
}

/// Seconds before `expires_at` from which a connector counts as expired, unless it sets its own.
const DEFAULT_SKEW_TOLERANCE: i64 = 300;

/// Whether a connector's own credentials count as expired (within its skew tolerance).
fn has_expired(row: &ConnectorRow) -> bool {
    row.expires_at.is_some_and(|at| at - row.expires_skew_tolerance.unwrap_or(DEFAULT_SKEW_TOLERANCE) <= now())
}

/// A replaced plugin may not turn a stored secret into plain configuration (which the guest
/// could read and an update would store in clear).
fn check_secrets_stay_secret(spec: &ConnectorSpec, row: &ConnectorRow) -> Result<(), ServiceError> {
    let secret_now = Instance::secret_names(spec, &row.auth_method);
    match row.secrets.iter().find(|s| !secret_now.contains(s)) {
        Some(name) => Err(ServiceError::Conflict(format!(
            "the installed `{}` plugin no longer treats `{name}` as secret; the connector `{}` is not used with it",
            row.connector_type, row.name
        ))),
        None => Ok(()),
    }
}

/// A stored secret kept by an update that switches auth methods must stay secret: if the new
/// method declares an attribute of that name as plain configuration, the update is refused
/// (the value would be shown by `describe`, readable by the connector and stored in clear).
/// Giving the attribute a new value in the same update, or removing it, is accepted.
fn check_secrets_carried_over(
    spec: &ConnectorSpec,
    row: &ConnectorRow,
    auth_method: &str,
    kept: &BTreeMap<String, String>,
    given: &BTreeMap<String, String>,
) -> Result<(), ServiceError> {
    let Some(method) = spec.auth_methods.iter().find(|m| m.auth_method == auth_method) else {
        return Ok(()); // an unknown method is refused by the configuration check
    };
    let carried = row.secrets.iter().filter(|name| kept.contains_key(*name) && !given.contains_key(*name));
    for name in carried {
        if method.attributes.iter().any(|a| &a.name == name && !a.secret) {
            return Err(ServiceError::Invalid(format!(
                "`{name}` is a secret of auth method `{}` but plain configuration of `{auth_method}`; the stored secret is not turned into plain configuration: give `{name}` a new value or remove it in the same update",
                row.auth_method
            )));
        }
    }
    Ok(())
}

/// A `manage` grantee may change a connector but not see its stored secrets, so it may not
/// point them elsewhere either: changing the auth method or an attribute that names where the
/// connector connects (an `egress` attribute, whose host may receive the secrets) needs the
/// owner or an admin, unless the update gives every secret of the method anew.
fn check_secrets_stay_where_they_go(
    spec: &ConnectorSpec,
    row: &ConnectorRow,
    auth_method: &str,
    update: &UpdateRequest,
) -> Result<(), ServiceError> {
    let Some(method) = spec.auth_methods.iter().find(|m| m.auth_method == auth_method) else {
        return Ok(()); // an unknown method is refused by the configuration check
    };
    let touched =
        |name: &str| update.configuration.contains_key(name) || update.remove_attributes.iter().any(|a| a == name);
    let redirects =
        auth_method != row.auth_method || method.attributes.iter().any(|a| a.egress && !a.secret && touched(&a.name));
    let kept = method
        .attributes
        .iter()
        .any(|a| a.secret && row.secrets.contains(&a.name) && !update.configuration.contains_key(&a.name));
    if redirects && kept {
        return Err(ServiceError::Forbidden(format!(
            "only the owner of `{}` or an admin may change where its stored secrets are sent (the auth method or an endpoint); give every secret anew in the same update to do it yourself",
            row.name
        )));
    }
    Ok(())
}

fn matches(filter: &ConnectorFilter, row: &ConnectorRow) -> bool {
    let labels_match = filter.labels.as_deref().is_none_or(|labels| {
        labels.split(',').map(str::trim).filter(|l| !l.is_empty()).all(|label| match label.split_once('=') {
            Some((k, v)) => row.labels.get(k).is_some_and(|own| own == v),
            None => row.labels.contains_key(label),
        })
    });
    labels_match
        && filter.resource_id.as_ref().is_none_or(|id| row.resource_id.as_ref() == Some(id))
        && filter.expired.is_none_or(|want| has_expired(row) == want)
        && filter.connector_type.as_ref().is_none_or(|t| *t == row.connector_type)
        && filter.auth_method.as_ref().is_none_or(|m| *m == row.auth_method)
        && filter.name.as_ref().is_none_or(|n| row.name.contains(n.as_str()))
}

/// The order `sort_by` asks for.
struct SortBy {
    key: fn(&ConnectorRow) -> (String, i64),
    descending: bool,
}

impl SortBy {
    fn parse(text: &str) -> Result<Self, ServiceError> {
        let (descending, field) = match text.strip_prefix('-') {
            Some(field) => (true, field),
            None => (false, text),
        };
        let key: fn(&ConnectorRow) -> (String, i64) = match field {
            "name" => |r| (r.name.clone(), 0),
            "type" => |r| (r.connector_type.clone(), 0),
            "created" => |r| (String::new(), r.created_at),
            "updated" => |r| (String::new(), r.updated_at),
            "expires" => |r| (String::new(), r.expires_at.unwrap_or(i64::MAX)),
            _ => {
                return Err(ServiceError::Invalid(format!(
                    "sort_by: cannot sort by `{text}`; use name, type, created, updated or expires (`-` before it for descending)"
                )));
            }
        };
        Ok(SortBy { key, descending })
    }

    /// Sort stably, ties broken by name.
    fn apply(&self, rows: &mut [ConnectorRow]) {
        rows.sort_by(|a, b| {
            let order = (self.key)(a).cmp(&(self.key)(b)).then_with(|| a.name.cmp(&b.name));
            if self.descending { order.reverse() } else { order }
        });
    }
}

/// `(skip, take)` for a page of `size` connectors, or `None` for all of them.
fn page_bounds(page: Option<u32>, size: Option<u32>) -> Result<Option<(usize, usize)>, ServiceError> {
    match (page, size) {
        (_, Some(size)) if !(1..=1000).contains(&size) => {
            Err(ServiceError::Invalid(format!("size must be 1 to 1000, not {size}")))
        }
        (Some(0), _) => Err(ServiceError::Invalid("page numbers start at 1".into())),
        (Some(_), None) => Err(ServiceError::Invalid("page needs size (connectors per page)".into())),
        (page, Some(size)) => Ok(Some(((page.unwrap_or(1) as usize - 1).saturating_mul(size as usize), size as usize))),
        (None, None) => Ok(None),
    }
}

/// Updates attempted before giving up on a connector that keeps changing.
const UPDATE_ATTEMPTS: usize = 5;

/// The answer to an `If-Match` that is no longer the connector's version.
fn stale(row: &ConnectorRow) -> ServiceError {
    ServiceError::PreconditionFailed(format!(
        "the connector `{}` changed since you read it (now version {}); read it again and retry",
        row.name, row.version
    ))
}

/// Neutral about whose connector holds the name: private connectors stay private.
fn name_taken(name: &str) -> ServiceError {
    ServiceError::Conflict(format!("the connector name `{name}` is not available; choose another"))
}

/// Every text field of a registration, checked before anything runs or is written.
fn check_register(request: &RegisterRequest) -> Result<(), ServiceError> {
    check_name("connector", &request.name, 128)?;
    check_identifier("connector type", &request.connector_type)?;
    check_common(request.auth_method.as_deref(), request.resource_type.as_deref(), request.resource_id.as_deref())?;
    check_description(&request.description)?;
    check_labels(&request.labels)?;
    check_configuration(&request.configuration)
}

/// Every text field of an update, checked before anything runs or is written.
fn check_update(update: &UpdateRequest) -> Result<(), ServiceError> {
    if let Some(name) = &update.name {
        check_name("connector", name, 128)?;
    }
    check_common(update.auth_method.as_deref(), update.resource_type.as_deref(), update.resource_id.as_deref())?;
    if let Some(description) = &update.description {
        check_description(description)?;
    }
    // The merged labels are counted once the update is applied.
    update.labels.iter().try_for_each(|(key, value)| check_label(key, value))?;
    check_configuration(&update.configuration)
}

fn check_common(
    auth_method: Option<&str>,
    resource_type: Option<&str>,
    resource_id: Option<&str>,
) -> Result<(), ServiceError> {
    if let Some(method) = auth_method {
        check_identifier("auth method", method)?;
    }
    if let Some(resource_type) = resource_type {
        check_identifier("resource type", resource_type)?;
    }
    resource_id.map(check_resource_id).transpose().map(|_| ())
}

/// ZenML's rule: a lifetime may only be set where the method issues temporary credentials, and
/// must be within its bounds.
pub(crate) fn check_expiration(
    spec: &ConnectorSpec,
    auth_method: &str,
    seconds: Option<i64>,
) -> Result<(), ServiceError> {
    let Some(seconds) = seconds else { return Ok(()) };
    let method: Option<&AuthMethodSpec> = spec.auth_methods.iter().find(|m| m.auth_method == auth_method);
    match method.and_then(|m| m.expiration.as_ref()) {
        None => Err(ServiceError::Invalid(format!(
            "auth method `{auth_method}` issues no temporary credentials, so an expiration cannot be set"
        ))),
        Some(b) if seconds < b.min_seconds as i64 || seconds > b.max_seconds as i64 => {
            Err(ServiceError::Invalid(format!(
                "expiration of {seconds}s is outside the bounds of `{auth_method}`: {} to {} seconds",
                b.min_seconds, b.max_seconds
            )))
        }
        Some(_) => Ok(()),
    }
}

fn check_expiry(expires_at: Option<i64>, tolerance: Option<i64>) -> Result<(), ServiceError> {
    if tolerance.is_some_and(|t| t < 0) {
        return Err(ServiceError::Invalid("expires_skew_tolerance cannot be negative".into()));
    }
    match expires_at {
        Some(at) if at <= now() => Err(ServiceError::Invalid(format!("expires_at ({at}) is in the past"))),
        _ => Ok(()),
    }
}

fn conflict_or_internal(error: anyhow::Error, name: &str) -> ServiceError {
    match is_unique_violation(&error) {
        true => name_taken(name),
        false => ServiceError::Internal(error),
    }
}

/// Whether a store error is a unique-constraint violation (a concurrent insert of the same name).
pub(super) fn is_unique_violation(error: &anyhow::Error) -> bool {
    error.chain().any(|e| {
        let text = e.to_string().to_ascii_lowercase();
        text.contains("unique") || text.contains("duplicate key")
    })
}
