//! A DNS resolver for the outbound client that drops addresses the policy denies, so the
//! connection goes only to an address that was checked (no DNS-rebinding window).

use super::{AddressPolicy, DeniedAddress};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// Resolves names with the system resolver (or static overrides) and filters the results.
#[derive(Debug, Clone)]
pub struct GatedResolver {
    policy: Arc<AddressPolicy>,
    overrides: Arc<HashMap<String, Vec<IpAddr>>>,
}

impl GatedResolver {
    /// `overrides` pins names to addresses (like curl's `--resolve`); they are checked too.
    pub fn new(policy: Arc<AddressPolicy>, overrides: HashMap<String, Vec<IpAddr>>) -> Self {
        GatedResolver { policy, overrides: Arc::new(overrides) }
    }
}

impl Resolve for GatedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        let pinned = self.overrides.get(&name.as_str().to_ascii_lowercase()).cloned();
        Box::pin(async move {
            let candidates: Vec<IpAddr> = match pinned {
                Some(ips) => ips,
                None => tokio::net::lookup_host((name.as_str(), 0)).await?.map(|a| a.ip()).collect(),
            };
            let mut denied: Option<DeniedAddress> = None;
            let allowed: Vec<SocketAddr> = candidates
                .into_iter()
                .filter(|ip| match policy.check(*ip) {
                    Ok(()) => true,
                    Err(e) => {
                        denied.get_or_insert(e);
                        false
                    }
                })
                .map(|ip| SocketAddr::new(ip, 0))
                .collect();
            match (allowed.is_empty(), denied) {
                (true, Some(e)) => Err(Box::new(ResolvedToDenied { name: name.as_str().into(), denied: e }) as _),
                _ => Ok(Box::new(allowed.into_iter()) as Addrs),
            }
        })
    }
}

/// Every address a name resolved to was denied.
#[derive(Debug, thiserror::Error)]
#[error("`{name}` resolves to {denied}")]
pub struct ResolvedToDenied {
    pub name: String,
    pub denied: DeniedAddress,
}
