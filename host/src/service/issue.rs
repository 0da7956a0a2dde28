//! Issuing client credentials, with leases: a still-valid credential for the same scope and
//! requester is handed out again instead of minting a new one.

use super::access::Verb;
use super::connectors::check_expiration;
use super::input::{check_identifier, check_resource_id};
use super::{Actor, Service, ServiceError, Warned, error::not_found};
use crate::credentials::{IssuedCredential, ReleasePolicy};
use crate::runtime::bindings::ClientRequest;
use crate::store::{AuditRow, ConnectorRow, LeaseRow, new_id, now};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The latest expiry kept (9999-12-31T23:59:59Z).
const MAX_EXPIRES_AT: u64 = 253_402_300_799;

/// What a client asks for.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientRequestBody {
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub expiration_seconds: Option<i64>,
    /// Set to false to force a fresh credential.
    pub reuse: Option<bool>,
}

/// An issued credential and its lease.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IssuedClient {
    pub lease_id: String,
    pub reused: bool,
    /// Until when this lease's credential may be handed out (unix seconds).
    pub lease_expires_at: i64,
    pub credential: IssuedCredential,
}

impl Service {
    /// Issue a client credential for one resource of a connector.
    pub async fn issue_client(
        &self,
        actor: &Actor,
        id_or_name: &str,
        body: ClientRequestBody,
    ) -> Result<Warned<IssuedClient>, ServiceError> {
        if let Some(resource_type) = &body.resource_type {
            check_identifier("resource type", resource_type)?;
        }
        if let Some(resource_id) = &body.resource_id {
            check_resource_id(resource_id)?;
        }
        let row = self.connector(actor, Verb::Issue, id_or_name).await?;
        let resource_type = match (&body.resource_type, &row.resource_type) {
            (Some(asked), Some(own)) if asked != own => {
                return Err(ServiceError::Invalid(format!(
                    "the connector `{}` only serves `{own}`, not `{asked}`",
                    row.name
                )));
            }
            (Some(rt), _) | (None, Some(rt)) => rt.clone(),
            (None, None) => self.only_resource_type(&row).await?,
        };
        let requested_id = body.resource_id.clone().or(row.resource_id.clone());
        let scope = scope_key(&row, &actor.user.id, &resource_type, requested_id.as_deref(), body.expiration_seconds);

        // Reuse only what current rules would issue: an expired connector issues nothing, and
        // under a never-release policy a cached credential might hold a released secret.
        super::connectors::check_not_expired(&row)?;
        if self.policy.lease_reuse && self.policy.release != ReleasePolicy::Never && body.reuse != Some(false) {
            let valid_until = now() + self.policy.reuse_margin.as_secs() as i64;
            if let Some(lease) = self.store.reusable_lease(&scope, valid_until).await? {
                let plain = self.keyring.open(&format!("lease/{}", lease.id), &lease.sealed)?;
                let credential: IssuedCredential = serde_json::from_slice(&plain).map_err(anyhow::Error::from)?;
                self.store
                    .audit(
                        actor.name(),
                        "client.issue",
                        &row.name,
                        "reused",
                        &format!("lease={} resource_type={resource_type}", lease.id),
                    )
                    .await?;
                crate::metrics::issuance(&row.connector_type, "reused");
                let issued =
                    IssuedClient { lease_id: lease.id, reused: true, lease_expires_at: lease.expires_at, credential };
                return Ok(Warned { value: issued, warnings: Vec::new() });
            }
        }

        let _slot = self.quota.acquire(&actor.user.id)?;
        let _connector_slot = self.connector_quota.acquire(&row.id)?;
        let (plugin, instance) = self.instance_of(&row).await?;
        check_expiration(&plugin.spec, &row.auth_method, body.expiration_seconds)?;
        let resource_id = match (&body.resource_id, &row.resource_id) {
            (Some(asked), own) => {
                let canonical =
                    self.runtime.canonical_resource_id(&plugin, instance.clone(), &resource_type, asked).await?;
                if own.as_ref().is_some_and(|own| *own != canonical) {
                    return Err(ServiceError::Invalid(format!(
                        "the connector `{}` is scoped to `{}`, not `{canonical}`",
                        row.name,
                        own.as_deref().unwrap_or_default()
                    )));
                }
                Some(canonical)
            }
            (None, own) => own.clone(),
        };
        let supports_instances =
            plugin.spec.resource_types.iter().any(|r| r.resource_type == resource_type && r.supports_instances);
        if supports_instances && resource_id.is_none() {
            return Err(ServiceError::Invalid(format!(
                "`{resource_type}` has many instances: name one with resource_id"
            )));
        }
        if let Err(e) =
            self.check_resource(&row, &plugin, instance.clone(), &resource_type, resource_id.as_deref()).await
        {
            let failed = AuditRow::new(actor.name(), "client.issue", &row.name, "failed", "resource check");
            self.settle_calls_with(actor, &row.name, &instance, vec![failed], None).await?;
            crate::metrics::issuance(&row.connector_type, "failed");
            return Err(e);
        }
        let request = ClientRequest {
            resource_type: resource_type.clone(),
            resource_id: resource_id.clone(),
            expiration_seconds: body.expiration_seconds.or(row.expiration_seconds).map(|s| s as u64),
        };
        let result = self.runtime.issue_client(&plugin, instance.clone(), &request, self.policy.release).await;
        let mut credential = match result {
            Ok(credential) => credential,
            Err(e) => {
                let failed = AuditRow::new(actor.name(), "client.issue", &row.name, "failed", e.code());
                self.settle_calls_with(actor, &row.name, &instance, vec![failed], None).await?;
                crate::metrics::issuance(&row.connector_type, "failed");
                return Err(e.into());
            }
        };
        // The credential is labelled with the id the connector accepted, whatever it says.
        credential.resource_id = resource_id.clone();
        // An expiry past any calendar a client can print is a connector's mistake: cap it.
        credential.expires_at = credential.expires_at.map(|e| e.min(MAX_EXPIRES_AT));
        // A credential never outlives the connector's own (a configured token's `expires_at`).
        if let Some(limit) = row.expires_at.and_then(|e| u64::try_from(e).ok()) {
            credential.expires_at = Some(credential.expires_at.map_or(limit, |e| e.min(limit)));
        }

        let id = new_id();
        let credential_expires_at = credential.expires_at.map(|e| e as i64);
        let lease = LeaseRow {
            id: id.clone(),
            connector_id: row.id.clone(),
            user_id: actor.user.id.clone(),
            resource_type,
            resource_id,
            scope,
            expires_at: credential_expires_at.unwrap_or(now() + self.policy.lease_ttl.as_secs() as i64),
            credential_expires_at,
            revoked: false,
            sealed: self
                .keyring
                .seal(&format!("lease/{id}"), &serde_json::to_vec(&credential).map_err(anyhow::Error::from)?),
            created_at: now(),
        };
        // The lease, the binding uses and the issuance are one record, committed before the
        // credential is handed out.
        let minted = AuditRow::new(
            actor.name(),
            "client.issue",
            &row.name,
            "minted",
            &format!("lease={id} resource_type={}", lease.resource_type),
        );
        let lease_expires_at = lease.expires_at;
        let warnings = self.settle_calls_with(actor, &row.name, &instance, vec![minted], Some(lease)).await?;
        crate::metrics::issuance(&row.connector_type, "minted");
        let issued = IssuedClient { lease_id: id, reused: false, lease_expires_at, credential };
        Ok(Warned { value: issued, warnings })
    }

    /// Leases: all for admins, the caller's own otherwise.
    pub async fn list_leases(&self, actor: &Actor) -> Result<Vec<LeaseRow>, ServiceError> {
        let user = (!actor.is_admin()).then_some(actor.user.id.as_str());
        Ok(self.store.list_leases(user).await?)
    }

    /// One lease (the caller's own, or any for admins): credential helpers ask whether the
    /// credential they cached was revoked.
    pub async fn lease(&self, actor: &Actor, id: &str) -> Result<LeaseRow, ServiceError> {
        if !crate::store::is_id(id) {
            return Err(not_found("lease", id));
        }
        self.store
            .get_lease(id)
            .await?
            .filter(|l| actor.is_admin() || l.user_id == actor.user.id)
            .ok_or_else(|| not_found("lease", id))
    }

    /// Revoke a lease so its credential is not handed out again.
    pub async fn revoke_lease(&self, actor: &Actor, id: &str) -> Result<(), ServiceError> {
        let lease = self.lease(actor, id).await?;
        self.store.revoke_lease(&lease.id).await?;
        self.store.audit(actor.name(), "lease.revoke", &lease.id, "ok", "").await?;
        Ok(())
    }

    async fn only_resource_type(&self, row: &ConnectorRow) -> Result<String, ServiceError> {
        let plugin = self.plugin(&row.connector_type, false).await?;
        match plugin.spec.resource_types.as_slice() {
            [only] => Ok(only.resource_type.clone()),
            _ => Err(ServiceError::Invalid(format!(
                "the connector `{}` serves several resource types: name one with resource_type",
                row.name
            ))),
        }
    }
}

/// Identifies what a credential was issued for; a change to the connector changes the key.
fn scope_key(
    row: &ConnectorRow,
    user_id: &str,
    resource_type: &str,
    resource_id: Option<&str>,
    expiration: Option<i64>,
) -> String {
    let text = format!(
        "{}\n{}\n{user_id}\n{resource_type}\n{}\n{}",
        row.id,
        row.updated_at,
        resource_id.unwrap_or(""),
        expiration.unwrap_or(0)
    );
    hex::encode(Sha256::digest(text))
}
