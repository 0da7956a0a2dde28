//! The egress gate: which origins a connector instance may reach, and which addresses those
//! origins may resolve to.
//!
//! A request passes when its origin matches the instance's allowlist (the plugin's declared
//! origins intersected with admin policy, plus origins derived from the instance's own config)
//! and every address it connects to passes the [`AddressPolicy`].

mod address;
mod origin;
mod resolver;
mod ssh_host;

pub use address::{AddressPolicy, DeniedAddress};
pub use origin::{Origin, OriginPattern};
pub use resolver::{GatedResolver, ResolvedToDenied};
pub use ssh_host::SshHost;

use url::Url;

/// Admin policy over what plugins may reach.
#[derive(Debug, Clone)]
pub struct EgressPolicy {
    /// When set, a plugin's declared origins are only usable where they also match one of these.
    pub allowed_origins: Option<Vec<OriginPattern>>,
    /// Whether origins named in an instance's config (endpoint URL, registry) may be reached.
    pub allow_config_hosts: bool,
}

impl Default for EgressPolicy {
    fn default() -> Self {
        EgressPolicy { allowed_origins: None, allow_config_hosts: true }
    }
}

/// The origins one connector instance may reach.
#[derive(Debug, Clone, Default)]
pub struct Allowlist {
    declared: Vec<OriginPattern>,
    policy: Option<Vec<OriginPattern>>,
    from_config: Vec<Origin>,
    /// Config origins admin policy keeps out (`--no-config-hosts`), for the denial's reason.
    config_refused: Vec<Origin>,
}

impl Allowlist {
    /// The plugin's declared origins, narrowed by policy, plus the instance's config origins.
    pub fn new(declared: Vec<OriginPattern>, policy: &EgressPolicy, from_config: Vec<Origin>) -> Self {
        let (from_config, config_refused) = match policy.allow_config_hosts {
            true => (from_config, Vec::new()),
            false => (Vec::new(), from_config),
        };
        Allowlist { declared, policy: policy.allowed_origins.clone(), from_config, config_refused }
    }

    /// Whether a request to `url` may leave; the error says why not.
    pub fn check(&self, url: &Url) -> Result<Origin, String> {
        let origin = Origin::of(url)?;
        if self.from_config.contains(&origin) {
            return Ok(origin);
        }
        let declared = self.declared.iter().any(|p| p.matches(&origin));
        let permitted = self.policy.as_ref().is_none_or(|ps| ps.iter().any(|p| p.matches(&origin)));
        match (declared, permitted) {
            (true, true) => Ok(origin),
            (true, false) => Err(format!(
                "`{origin}` is declared by the plugin but not allowed by admin policy (an admin decision: an admin adds it to --egress-allow-origins / AIRLOCK_EGRESS_ALLOW_ORIGINS)"
            )),
            (false, _) if self.config_refused.contains(&origin) => Err(format!(
                "`{origin}` is named in this connector's configuration, but this server reaches no configured hosts (an admin decision: the server runs with --no-config-hosts / AIRLOCK_NO_CONFIG_HOSTS)"
            )),
            (false, _) => Err(format!(
                "`{origin}` is not in this connector's egress allowlist: the plugin does not declare it and no attribute of this connector names it (name it in the connector's configuration, or an admin installs a plugin that declares it)"
            )),
        }
    }

    /// The config-derived origins (these are also where secrets may go by default).
    pub fn config_origins(&self) -> &[Origin] {
        &self.from_config
    }
}
