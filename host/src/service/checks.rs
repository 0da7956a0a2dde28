//! Issuing checks the resource first, as ZenML verifies a connector before it hands out a
//! client: a credential for a bucket, cluster or registry that does not exist or that the
//! connector cannot reach is refused with the upstream's reason instead of being minted.
//! A passed check is remembered for [`CHECK_TTL`] per connector version, resource type and id,
//! so fresh mints in a burst do not verify each time (reuse of a lease never checks).

use super::{Service, ServiceError};
use crate::instance::Instance;
use crate::runtime::Plugin;
use crate::store::ConnectorRow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a passed check stands.
pub const CHECK_TTL: Duration = Duration::from_secs(60);
/// Passed checks remembered at most (expired ones are dropped first when full).
const MAX_REMEMBERED: usize = 10_000;

/// Checks that passed recently.
#[derive(Default)]
pub struct ResourceChecks {
    passed: Mutex<HashMap<String, Instant>>,
}

impl ResourceChecks {
    fn fresh(&self, key: &str) -> bool {
        let passed = self.passed.lock().unwrap_or_else(|e| e.into_inner());
        passed.get(key).is_some_and(|at| at.elapsed() < CHECK_TTL)
    }

    fn record(&self, key: String) {
        let mut passed = self.passed.lock().unwrap_or_else(|e| e.into_inner());
        if passed.len() >= MAX_REMEMBERED {
            passed.retain(|_, at| at.elapsed() < CHECK_TTL);
            if passed.len() >= MAX_REMEMBERED {
                passed.clear();
            }
        }
        passed.insert(key, Instant::now());
    }
}

impl Service {
    /// Verify that the connector reaches `resource_type` / `resource_id` before issuing for it.
    pub(super) async fn check_resource(
        &self,
        row: &ConnectorRow,
        plugin: &Plugin,
        instance: Arc<Instance>,
        resource_type: &str,
        resource_id: Option<&str>,
    ) -> Result<(), ServiceError> {
        let key = format!("{}\n{}\n{resource_type}\n{}", row.id, row.version, resource_id.unwrap_or_default());
        if self.resource_checks.fresh(&key) {
            return Ok(());
        }
        let listings = self.verify_call(plugin, instance, Some(resource_type), resource_id).await?;
        let what = resource_id.map_or_else(|| format!("`{resource_type}`"), |id| format!("`{id}`"));
        let listing = listings.iter().find(|l| l.resource_type == resource_type);
        if let Some(error) = listing.and_then(|l| l.error.as_ref()) {
            return Err(ServiceError::Invalid(format!(
                "the connector `{}` cannot reach {what}, so no credential was issued: {error}",
                row.name
            )));
        }
        // The connector answers for the id it was asked about (in its own listing form, e.g. an
        // AKS cluster with its resource group); an empty listing means it reaches none.
        let reached = listing.is_some_and(|l| resource_id.is_none() || !l.resource_ids.is_empty());
        if !reached {
            return Err(ServiceError::NotFound(format!(
                "the connector `{}` does not reach {what}, so no credential was issued",
                row.name
            )));
        }
        self.resource_checks.record(key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A passed check stands for its own key only (connector version, type and id), and is
    /// forgotten once older than the TTL.
    #[test]
    fn a_passed_check_stands_for_its_key_for_the_ttl() {
        let checks = ResourceChecks::default();
        checks.record("c\n1\ns3-bucket\ns3://a".into());
        assert!(checks.fresh("c\n1\ns3-bucket\ns3://a"));
        assert!(!checks.fresh("c\n2\ns3-bucket\ns3://a"), "a new version checks again");
        assert!(!checks.fresh("c\n1\ns3-bucket\ns3://b"));
        let old = Instant::now().checked_sub(CHECK_TTL + Duration::from_secs(1)).unwrap();
        checks.passed.lock().unwrap().insert("c\n1\ns3-bucket\ns3://old".into(), old);
        assert!(!checks.fresh("c\n1\ns3-bucket\ns3://old"));
    }
}
