//! Fair use of the sandbox: each user may have only so many connector calls running at once,
//! so one user's flood of slow calls cannot take every slot from the others. A user over the
//! limit is answered at once with 429 and `Retry-After`, never queued behind their own flood.

use super::ServiceError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Seconds a refused caller is asked to wait.
const RETRY_AFTER_SECS: u64 = 1;

/// Per-user concurrency limits on connector calls.
pub struct CallQuota {
    per_user: usize,
    users: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl CallQuota {
    /// `per_user` calls at once for each user.
    pub fn new(per_user: usize) -> Self {
        CallQuota { per_user, users: Mutex::default() }
    }

    /// A slot for one call of `user_id`, held until the permit is dropped; 429 when the user
    /// has none left.
    pub fn acquire(&self, user_id: &str) -> Result<OwnedSemaphorePermit, ServiceError> {
        self.slots(user_id).try_acquire_owned().map_err(|_| ServiceError::TooManyRequests {
            message: format!(
                "you already have {} connector calls running; wait for them to finish (retry in {RETRY_AFTER_SECS}s)",
                self.per_user
            ),
            retry_after: RETRY_AFTER_SECS,
        })
    }

    /// A slot for one of many calls a single request makes (listing across connectors): waits
    /// for the user's own earlier calls instead of refusing.
    pub async fn wait(&self, user_id: &str) -> OwnedSemaphorePermit {
        self.slots(user_id).acquire_owned().await.expect("quota semaphores are never closed")
    }

    fn slots(&self, user_id: &str) -> Arc<Semaphore> {
        let mut users = self.users.lock().unwrap();
        users.entry(user_id.to_string()).or_insert_with(|| Arc::new(Semaphore::new(self.per_user))).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_user_has_their_own_slots() {
        let quota = CallQuota::new(2);
        let first = quota.acquire("a").unwrap();
        let _second = quota.acquire("a").unwrap();
        let refused = quota.acquire("a").unwrap_err();
        assert!(matches!(refused, ServiceError::TooManyRequests { retry_after: 1, .. }));
        assert!(quota.acquire("b").is_ok(), "another user is not affected");
        drop(first);
        assert!(quota.acquire("a").is_ok(), "a finished call frees its slot");
    }
}
