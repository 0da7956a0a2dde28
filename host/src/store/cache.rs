//! Read-through caches of the rows every request reads — the caller's user (and teams) by token, the
//! connector it names with its sealed secrets, the plugin digest of its type, the reusable
//! lease — for the embedded SQLite store only: there this
//! server is the database's only writer, so emptying the caches on each of its own writes keeps
//! them exact. With PostgreSQL (several replicas write) nothing is cached.
//!
//! A read that raced a write cannot leave a stale row behind: every write bumps a generation
//! before it empties the caches, and a row read from the database is kept only if the
//! generation is still the one seen before the read.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Rows kept per cache; a full cache is emptied.
const MAX_ROWS: usize = 10_000;

/// One cache: rows by key.
pub(crate) struct Cached<T> {
    rows: Mutex<HashMap<String, T>>,
}

impl<T> Default for Cached<T> {
    fn default() -> Self {
        Cached { rows: Mutex::new(HashMap::new()) }
    }
}

impl<T> Cached<T> {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, T>> {
        self.rows.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The caches and their generation.
#[derive(Default)]
pub(crate) struct ReadCache {
    enabled: bool,
    generation: AtomicU64,
    pub(crate) users: Cached<super::Principal>,
    pub(crate) connectors: Cached<super::ConnectorRow>,
    pub(crate) leases: Cached<super::LeaseRow>,
    /// A connector's sealed secrets (still sealed: they are opened per call), by connector id.
    pub(crate) secrets: Cached<Vec<(String, crate::vault::Sealed)>>,
    /// The installed plugin's digest and approval (or that none is installed), by type.
    pub(crate) plugin_digests: Cached<Option<(String, bool)>>,
}

impl ReadCache {
    /// Caches that keep rows (`enabled`) or keep nothing.
    pub(crate) fn new(enabled: bool) -> ReadCache {
        ReadCache { enabled, ..ReadCache::default() }
    }

    /// A cached row.
    pub(crate) fn get<T: Clone>(&self, cache: &Cached<T>, key: &str) -> Option<T> {
        if !self.enabled {
            return None;
        }
        cache.lock().get(key).cloned()
    }

    /// The generation to pass to [`ReadCache::put`], read before querying the database.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Keep a row read from the database, unless a write happened since `generation`.
    pub(crate) fn put<T>(&self, cache: &Cached<T>, key: String, row: T, generation: u64) {
        if !self.enabled {
            return;
        }
        let mut rows = cache.lock();
        if self.generation.load(Ordering::SeqCst) != generation {
            return;
        }
        if rows.len() >= MAX_ROWS {
            rows.clear();
        }
        rows.insert(key, row);
    }

    /// After a write of leases only: forget the cached leases.
    fn invalidate_leases(&self) {
        if !self.enabled {
            return;
        }
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.leases.lock().clear();
    }

    /// For a write: every cached row is forgotten when the returned guard drops, at the end of
    /// the write or when its caller goes away mid-way (the write may have reached the database
    /// all the same).
    pub(crate) fn empty_on_exit(&self) -> EmptyOnExit<'_> {
        EmptyOnExit { cache: self, leases_only: false }
    }

    /// For a write of leases only (an issuance, a revocation): as [`ReadCache::empty_on_exit`],
    /// for the cached leases alone; users and connectors, which every fresh issuance reads
    /// again, are kept.
    pub(crate) fn leases_on_exit(&self) -> EmptyOnExit<'_> {
        EmptyOnExit { cache: self, leases_only: true }
    }

    /// After a write: forget every cached row.
    fn invalidate(&self) {
        if !self.enabled {
            return;
        }
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.users.lock().clear();
        self.connectors.lock().clear();
        self.leases.lock().clear();
        self.secrets.lock().clear();
        self.plugin_digests.lock().clear();
    }
}

/// Empties the caches when dropped (see [`ReadCache::empty_on_exit`]).
pub(crate) struct EmptyOnExit<'a> {
    cache: &'a ReadCache,
    leases_only: bool,
}

impl Drop for EmptyOnExit<'_> {
    fn drop(&mut self) {
        match self.leases_only {
            true => self.cache.invalidate_leases(),
            false => self.cache.invalidate(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_read_before_a_write_is_not_kept_after_it() {
        let cache = ReadCache::new(true);
        let before = cache.generation();
        cache.invalidate();
        cache.put(&cache.leases, "scope".into(), lease(), before);
        assert!(cache.get(&cache.leases, "scope").is_none(), "a stale read was kept");
        cache.put(&cache.leases, "scope".into(), lease(), cache.generation());
        assert!(cache.get(&cache.leases, "scope").is_some());
        cache.invalidate();
        assert!(cache.get(&cache.leases, "scope").is_none(), "a write empties the caches");
        cache.put(&cache.leases, "scope".into(), lease(), cache.generation());
        let before = cache.generation();
        cache.invalidate_leases();
        assert!(cache.get(&cache.leases, "scope").is_none(), "a lease write empties the lease cache");
        cache.put(&cache.leases, "scope".into(), lease(), before);
        assert!(cache.get(&cache.leases, "scope").is_none(), "a lease read from before it is not kept");
        cache.put(&cache.leases, "scope".into(), lease(), cache.generation());
        drop(cache.empty_on_exit());
        assert!(cache.get(&cache.leases, "scope").is_none(), "a write's guard empties the caches, however it ends");
        cache.put(&cache.leases, "scope".into(), lease(), cache.generation());
        drop(cache.leases_on_exit());
        assert!(cache.get(&cache.leases, "scope").is_none(), "a lease write's guard empties the lease cache");
        let off = ReadCache::new(false);
        off.put(&off.leases, "scope".into(), lease(), off.generation());
        assert!(off.get(&off.leases, "scope").is_none(), "PostgreSQL stores cache nothing");
    }

    fn lease() -> super::super::LeaseRow {
        super::super::LeaseRow {
            id: "l".into(),
            connector_id: "c".into(),
            user_id: "u".into(),
            resource_type: "r".into(),
            resource_id: None,
            scope: "scope".into(),
            expires_at: 1,
            credential_expires_at: None,
            revoked: false,
            sealed: Default::default(),
            created_at: 0,
        }
    }
}
