//! Plugins: the built-in connectors registered at first start, uploads reviewed by admins,
//! pinned by SHA-256 and, when signed, verified against trusted publisher keys.

use super::{Actor, Service, ServiceError, error::not_found};
use crate::builtin::BUILTIN;
use crate::runtime::bindings::ConnectorSpec;
use crate::runtime::{LoadError, Plugin};
use crate::store::{PluginRow, now};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashSet};
use std::io::Cursor;
use std::sync::Arc;
use wasmsign2::{PublicKey, PublicKeySet};

/// The first 8 bytes of every WebAssembly component: magic, version 0x0d, layer 1.
const COMPONENT_PREAMBLE: &[u8] = b"\0asm\x0d\0\x01\0";

/// Which publisher keys are trusted, and whether unsigned uploads are accepted.
#[derive(Debug, Clone, Default)]
pub struct SignaturePolicy {
    pub trusted: Vec<PublicKey>,
    pub require_signature: bool,
}

/// A plugin's manifest as admins review it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PluginView {
    pub connector_type: String,
    pub name: String,
    pub sha256: String,
    pub builtin: bool,
    pub approved: bool,
    /// Hex fingerprint of the publisher key whose signature verified.
    pub signer: Option<String>,
    pub resource_types: Vec<String>,
    pub auth_methods: Vec<String>,
    pub egress_hosts: Vec<String>,
    /// Auth methods that hand long-lived secrets to clients, with the secrets they release:
    /// `[[auth method, [secret, ...]], ...]`.
    #[schema(value_type = Vec<Vec<serde_json::Value>>)]
    pub releases_secrets: Vec<(String, Vec<String>)>,
    pub installed_by: Option<String>,
    /// The OCI reference the component was pulled from (`registry/repo:tag`), if any.
    pub source: Option<String>,
    pub updated_at: i64,
    /// Secret attributes with the origins (besides config-named ones) they may be sent to:
    /// `auth-method.attribute` → origins.
    pub secret_hosts: BTreeMap<String, Vec<String>>,
    /// While a replacement waits for approval: the change of its manifest against the one
    /// approved before, as a unified diff of the specs' JSON.
    pub pending_diff: Option<String>,
    pub spec: ConnectorSpec,
}

impl PluginView {
    fn of(row: &PluginRow, spec: ConnectorSpec) -> Self {
        PluginView {
            connector_type: row.connector_type.clone(),
            name: spec.name.clone(),
            sha256: row.sha256.clone(),
            builtin: row.builtin,
            approved: row.approved,
            signer: row.signer.clone(),
            resource_types: spec.resource_types.iter().map(|r| r.resource_type.clone()).collect(),
            auth_methods: spec.auth_methods.iter().map(|m| m.auth_method.clone()).collect(),
            egress_hosts: spec.egress_hosts.clone(),
            releases_secrets: spec
                .auth_methods
                .iter()
                .filter(|m| !m.releases_secrets.is_empty())
                .map(|m| (m.auth_method.clone(), m.releases_secrets.clone()))
                .collect(),
            installed_by: row.installed_by.clone(),
            source: row.source.clone(),
            updated_at: row.updated_at,
            secret_hosts: spec
                .auth_methods
                .iter()
                .flat_map(|m| m.attributes.iter().map(move |a| (m, a)))
                .filter(|(_, a)| a.secret && !a.secret_hosts.is_empty())
                .map(|(m, a)| (format!("{}.{}", m.auth_method, a.name), a.secret_hosts.clone()))
                .collect(),
            pending_diff: row
                .approved_spec
                .as_deref()
                .filter(|_| !row.approved)
                .map(|before| manifest_diff(before, &spec)),
            spec,
        }
    }
}

impl Service {
    /// Register (or upgrade) the built-in connectors, once per process: the server answers while
    /// they compile, and every call that needs a plugin waits here until they are in place.
    /// Admin uploads of the same type are kept.
    pub async fn ensure_builtin_plugins(&self) -> Result<(), ServiceError> {
        self.builtins.get_or_try_init(|| self.register_builtins()).await.map(|_| ())
    }

    async fn register_builtins(&self) -> Result<(), ServiceError> {
        for (name, wasm) in BUILTIN {
            let sha256 = hex::encode(Sha256::digest(wasm));
            // Already registered, byte for byte: nothing to compile now (it loads on first use).
            if self.store.plugin_digest(name).await?.is_some_and(|(stored, _)| stored == sha256) {
                continue;
            }
            let plugin = self.runtime.load(wasm).await?;
            let connector_type = plugin.spec.connector_type.clone();
            let existing = self.store.get_plugin(&connector_type).await?;
            if existing.as_ref().is_some_and(|p| !p.builtin || p.sha256 == sha256) {
                continue;
            }
            let row = PluginRow {
                connector_type: connector_type.clone(),
                sha256: sha256.clone(),
                component: wasm.to_vec(),
                spec: serde_json::to_string(&plugin.spec).map_err(anyhow::Error::from)?,
                builtin: true,
                approved: true,
                signer: None,
                installed_by: None,
                source: None,
                approved_spec: None,
                created_at: existing.map(|p| p.created_at).unwrap_or_else(now),
                updated_at: now(),
            };
            self.store.put_plugin(&row).await?;
            self.plugins.lock().unwrap().insert(sha256, Arc::new(plugin));
        }
        Ok(())
    }

    /// The loaded plugin for a connector type; only approved plugins unless `any`.
    pub(crate) async fn plugin(&self, connector_type: &str, any: bool) -> Result<Arc<Plugin>, ServiceError> {
        self.ensure_builtin_plugins().await?;
        let (sha256, approved) = self
            .store
            .plugin_digest(connector_type)
            .await?
            .ok_or_else(|| not_found("connector type", connector_type))?;
        if !approved && !any {
            return Err(ServiceError::Conflict(format!(
                "the `{connector_type}` plugin is installed but not yet approved by an admin"
            )));
        }
        if let Some(plugin) = self.plugins.lock().unwrap().get(&sha256) {
            return Ok(plugin.clone());
        }
        let row =
            self.store.get_plugin(connector_type).await?.ok_or_else(|| not_found("connector type", connector_type))?;
        // The approved spec stored beside the component governs; describe() is only checked
        // against it, so a component cannot widen its egress or releases after approval.
        let approved: ConnectorSpec = serde_json::from_str(&row.spec).map_err(anyhow::Error::from)?;
        let plugin = match self.runtime.load_approved(&row.component, approved).await {
            Ok(plugin) => Arc::new(plugin),
            Err(e @ LoadError::SpecChanged(_)) => {
                if self.store.withdraw_approval(connector_type, &row.sha256).await? {
                    self.store
                        .audit(
                            "airlock",
                            "plugin.refused",
                            connector_type,
                            "spec-changed",
                            &format!("sha256={}", row.sha256),
                        )
                        .await?;
                }
                return Err(e.into());
            }
            Err(e) => return Err(e.into()),
        };
        self.plugins.lock().unwrap().insert(row.sha256, plugin.clone());
        Ok(plugin)
    }

    /// Connector types everyone may see: approved plugins' specs.
    pub async fn connector_types(&self) -> Result<Vec<ConnectorSpec>, ServiceError> {
        self.ensure_builtin_plugins().await?;
        let rows = self.store.list_plugins().await?;
        Ok(rows
            .iter()
            .filter(|r| r.approved)
            .map(|r| serde_json::from_str(&r.spec))
            .collect::<Result<_, _>>()
            .map_err(anyhow::Error::from)?)
    }

    pub async fn connector_type(&self, connector_type: &str) -> Result<ConnectorSpec, ServiceError> {
        Ok(self.plugin(connector_type, false).await?.spec.clone())
    }

    pub async fn list_plugins(&self, actor: &Actor) -> Result<Vec<PluginView>, ServiceError> {
        actor.check_admin("manage plugins")?;
        self.ensure_builtin_plugins().await?;
        let rows = self.store.list_plugins().await?;
        rows.iter()
            .map(|r| Ok(PluginView::of(r, serde_json::from_str(&r.spec).map_err(anyhow::Error::from)?)))
            .collect()
    }

    pub async fn describe_plugin(&self, actor: &Actor, connector_type: &str) -> Result<PluginView, ServiceError> {
        actor.check_admin("manage plugins")?;
        self.ensure_builtin_plugins().await?;
        let row = self.store.get_plugin(connector_type).await?.ok_or_else(|| not_found("plugin", connector_type))?;
        Ok(PluginView::of(&row, serde_json::from_str(&row.spec).map_err(anyhow::Error::from)?))
    }

    /// Install an uploaded component. A new type waits for approval; `replacing` names the type
    /// whose component is swapped (it then needs approval again) and must be the component's
    /// own type. Everything is checked before anything is written.
    pub async fn install_plugin(
        &self,
        actor: &Actor,
        wasm: &[u8],
        replacing: Option<&str>,
        source: Option<&str>,
    ) -> Result<PluginView, ServiceError> {
        actor.check_admin("install plugins")?;
        if let Some(source) = source {
            check_source(source)?;
        }
        self.ensure_builtin_plugins().await?;
        let signer = self.check_signature(wasm)?;
        let plugin = self.runtime.load(wasm).await?;
        let connector_type = plugin.spec.connector_type.clone();
        if let Some(expected) = replacing
            && expected != connector_type
        {
            return Err(ServiceError::Invalid(format!(
                "the uploaded component is of type `{connector_type}`, not `{expected}`; nothing was changed"
            )));
        }
        let existing = self.store.get_plugin(&connector_type).await?;
        if existing.is_some() && replacing.is_none() {
            return Err(ServiceError::Conflict(format!(
                "a plugin for `{connector_type}` is already installed; replace it explicitly"
            )));
        }
        let row = PluginRow {
            connector_type: connector_type.clone(),
            sha256: plugin.sha256.clone(),
            component: wasm.to_vec(),
            spec: serde_json::to_string(&plugin.spec).map_err(anyhow::Error::from)?,
            builtin: false,
            approved: false,
            signer,
            installed_by: Some(actor.name().into()),
            source: source.map(str::to_string),
            // What an admin approved before stays on record until the replacement is approved.
            approved_spec: existing.as_ref().and_then(|p| match p.approved {
                true => Some(p.spec.clone()),
                false => p.approved_spec.clone(),
            }),
            created_at: existing.map(|p| p.created_at).unwrap_or_else(now),
            updated_at: now(),
        };
        self.store.put_plugin(&row).await?;
        self.store
            .audit(
                actor.name(),
                "plugin.install",
                &connector_type,
                "ok",
                &format!("sha256={}{}", row.sha256, source.map(|s| format!(" source={s}")).unwrap_or_default()),
            )
            .await?;
        let view = PluginView::of(&row, plugin.spec.clone());
        self.plugins.lock().unwrap().insert(row.sha256, Arc::new(plugin));
        Ok(view)
    }

    /// Approve a type's plugin; with `sha256`, only the component the admin looked at (one
    /// that replaced it meanwhile is refused with a conflict).
    pub async fn approve_plugin(
        &self,
        actor: &Actor,
        connector_type: &str,
        sha256: Option<&str>,
    ) -> Result<PluginView, ServiceError> {
        actor.check_admin("approve plugins")?;
        self.ensure_builtin_plugins().await?;
        let installed =
            self.store.plugin_digest(connector_type).await?.ok_or_else(|| not_found("plugin", connector_type))?.0;
        if sha256.is_some_and(|expected| expected != installed)
            || !self.store.approve_plugin(connector_type, &installed).await?
        {
            return Err(ServiceError::Conflict(format!(
                "the plugin `{connector_type}` was replaced since it was shown; review it again"
            )));
        }
        self.store.audit(actor.name(), "plugin.approve", connector_type, "ok", &format!("sha256={installed}")).await?;
        self.describe_plugin(actor, connector_type).await
    }

    pub async fn remove_plugin(&self, actor: &Actor, connector_type: &str) -> Result<(), ServiceError> {
        actor.check_admin("remove plugins")?;
        self.ensure_builtin_plugins().await?;
        match self.store.delete_plugin(connector_type).await? {
            Ok(true) => {}
            Ok(false) => return Err(not_found("plugin", connector_type)),
            Err(in_use) => {
                return Err(ServiceError::Conflict(format!(
                    "{in_use} connector(s) of type `{connector_type}` still exist; delete them first"
                )));
            }
        }
        self.store.audit(actor.name(), "plugin.remove", connector_type, "ok", "").await?;
        Ok(())
    }

    /// Verify an embedded signature against the trusted keys; the signer's fingerprint.
    fn check_signature(&self, wasm: &[u8]) -> Result<Option<String>, ServiceError> {
        let policy = &self.policy.signatures;
        let signed =
            wasmsign2::signature_info_from_reader(&mut Cursor::new(wasm), None).is_ok_and(|info| info.is_signed());
        if !signed {
            return match policy.require_signature {
                true => Err(ServiceError::Invalid(
                    "the component is not signed and this server requires signed plugins".into(),
                )),
                false => Ok(None),
            };
        }
        // The signature covers every section but not the 8-byte preamble; pin that to the one
        // every component has, so no signed byte is left to reinterpretation.
        if !wasm.starts_with(COMPONENT_PREAMBLE) {
            return Err(ServiceError::Invalid(
                "the signed file's header is not a WebAssembly component's (the signature does not cover the header, so it must be exactly the component preamble)".into(),
            ));
        }
        let trusted = PublicKeySet::new(policy.trusted.iter().cloned().collect::<HashSet<_>>());
        let matched = trusted.verify(&mut Cursor::new(wasm), None).unwrap_or_default();
        match matched.iter().next() {
            Some(key) => Ok(Some(hex::encode(&Sha256::digest(key.to_bytes())[..8]))),
            None => Err(ServiceError::Invalid(
                "the component's signature does not verify against any trusted publisher key (tampered, or signed by an unknown publisher)".into(),
            )),
        }
    }
}

/// The change from the approved spec (stored JSON) to `after`, line by line over pretty JSON.
fn manifest_diff(before: &str, after: &ConnectorSpec) -> String {
    let pretty = |value: serde_json::Value| serde_json::to_string_pretty(&value).unwrap_or_default();
    let before = pretty(serde_json::from_str(before).unwrap_or_default());
    let after = pretty(serde_json::to_value(after).unwrap_or_default());
    if before == after {
        return "(the manifest is unchanged; only the component's code differs)\n".into();
    }
    similar::TextDiff::from_lines(&before, &after)
        .unified_diff()
        .context_radius(3)
        .header("approved", "pending")
        .to_string()
}

/// An OCI reference as the CLI records it: printable, no spaces, at most 512 characters.
fn check_source(source: &str) -> Result<(), ServiceError> {
    if source.is_empty() || source.len() > 512 || !source.chars().all(|c| c.is_ascii_graphic()) {
        return Err(ServiceError::Invalid("`source` must be an OCI reference such as registry/repo:tag".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::runtime::bindings::ConnectorSpec;

    fn spec(egress: &[&str]) -> ConnectorSpec {
        serde_json::from_value(serde_json::json!({
            "connector_type": "demo", "name": "Demo", "description": "", "emoji": "", "logo_url": null,
            "docs_url": null, "resource_types": [], "auth_methods": [], "supports_auto_configuration": false,
            "auto_configure_files": [], "auto_configure_env": [], "egress_hosts": egress,
        }))
        .unwrap()
    }

    /// A pending update is reviewed as the lines of its manifest that changed.
    #[test]
    fn the_pending_diff_shows_what_the_manifest_gains() {
        let approved = serde_json::to_string(&spec(&["https://api.example.com"])).unwrap();
        let diff = super::manifest_diff(&approved, &spec(&["https://api.example.com", "https://exfil.example"]));
        assert!(diff.contains("--- approved") && diff.contains("+++ pending"), "{diff}");
        assert!(diff.lines().any(|l| l.starts_with('+') && l.contains("https://exfil.example")), "{diff}");
        assert!(!diff.lines().any(|l| l.starts_with('+') && l.contains("\"connector_type\"")), "only changes: {diff}");
        let same = super::manifest_diff(&approved, &spec(&["https://api.example.com"]));
        assert!(same.contains("unchanged"), "{same}");
    }
}
