//! Turns for read-modify-write updates: updates of the same object on this replica run one
//! after another (striped locks, so memory stays fixed however many objects there are).

use std::hash::{BuildHasher, Hash};
use tokio::sync::{Mutex, MutexGuard};

/// Lock stripes; two objects share a stripe only by hash collision (they then take turns too).
const STRIPES: usize = 64;

/// Striped async locks keyed by object id.
pub struct Turns {
    stripes: Vec<Mutex<()>>,
    hasher: std::collections::hash_map::RandomState,
}

impl Default for Turns {
    fn default() -> Self {
        Turns { stripes: (0..STRIPES).map(|_| Mutex::new(())).collect(), hasher: Default::default() }
    }
}

impl Turns {
    /// Wait for the turn of `key`; it lasts until the guard is dropped.
    pub async fn lock(&self, key: &str) -> MutexGuard<'_, ()> {
        let mut hasher = self.hasher.build_hasher();
        key.hash(&mut hasher);
        let stripe = std::hash::Hasher::finish(&hasher) as usize % STRIPES;
        self.stripes[stripe].lock().await
    }
}
