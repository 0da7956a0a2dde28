//! Fair use of the sandbox: each user, and each connector, may have only so many connector calls
//! running at once, so one user's flood of slow calls (or everyone hammering one broken connector)
//! cannot take every slot from the others. Over the limit the answer is an immediate 429 with
//! `Retry-After`, never a place in a queue behind the flood.

use super::ServiceError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Seconds a refused caller is asked to wait.
const RETRY_AFTER_SECS: u64 = 1;

/// Whose calls a quota counts.
#[derive(Debug, Clone, Copy)]
pub enum Holder {
    User,
    Connector,
}

/// Concurrency limits on connector calls, one count per user or per connector.
pub struct CallQuota {
    holder: Holder,
    per_key: usize,
    by_key: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl CallQuota {
    /// `per_key` calls at once for each user or connector.
    pub fn new(holder: Holder, per_key: usize) -> Self {
        CallQuota { holder, per_key, by_key: Mutex::default() }
    }

    /// A slot for one call of `key`, held until the permit is dropped; 429 when none is left.
    pub fn acquire(&self, key: &str) -> Result<OwnedSemaphorePermit, ServiceError> {
        self.slots(key).try_acquire_owned().map_err(|_| {
            let (who, n) = match self.holder {
                Holder::User => ("you already have", self.per_key),
                Holder::Connector => ("this connector already has", self.per_key),
            };
            ServiceError::TooManyRequests {
                message: format!(
                    "{who} {n} connector calls running; wait for them to finish (retry in {RETRY_AFTER_SECS}s)"
                ),
                retry_after: RETRY_AFTER_SECS,
            }
        })
    }

    /// A slot for one of many calls a single request makes (listing across connectors): waits
    /// for the user's own earlier calls instead of refusing.
    pub async fn wait(&self, key: &str) -> OwnedSemaphorePermit {
        self.slots(key).acquire_owned().await.expect("quota semaphores are never closed")
    }

    fn slots(&self, key: &str) -> Arc<Semaphore> {
        let mut by_key = self.by_key.lock().unwrap();
        if let Some(slots) = by_key.get(key) {
            return slots.clone();
        }
        by_key.entry(key.to_string()).or_insert_with(|| Arc::new(Semaphore::new(self.per_key))).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_user_has_their_own_slots() {
        let quota = CallQuota::new(Holder::User, 2);
        let first = quota.acquire("a").unwrap();
        let _second = quota.acquire("a").unwrap();
        let refused = quota.acquire("a").unwrap_err();
        assert!(matches!(refused, ServiceError::TooManyRequests { retry_after: 1, .. }));
        assert!(quota.acquire("b").is_ok(), "another user is not affected");
        drop(first);
        assert!(quota.acquire("a").is_ok(), "a finished call frees its slot");
    }
}
