//! Per-call budgets and the errors that name them.

use std::fmt;
use std::time::Duration;

/// The budgets of one guest call.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Linear memory a call may grow to, in bytes.
    pub memory_bytes: usize,
    /// Wall time for the whole call, guest code and host calls together.
    pub wall_time: Duration,
    /// Outbound HTTP requests per call (each redirect hop counts).
    pub max_requests: u32,
    /// Response bytes (headers and bodies) per call.
    pub max_response_bytes: u64,
    /// Time one host call (an HTTP exchange) may take.
    pub host_call_timeout: Duration,
    /// Size of what one call returns (resource listings, a credential, an error), as JSON bytes.
    pub max_result_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: 64 << 20,
            wall_time: Duration::from_secs(30),
            max_requests: 32,
            max_response_bytes: 16 << 20,
            host_call_timeout: Duration::from_secs(15),
            max_result_bytes: 1 << 20,
        }
    }
}

/// Which budget ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Limit {
    Memory,
    WallTime,
    OutboundRequests,
    ResponseBytes,
    HostCallTimeout,
    /// What a call returned (or a plugin's spec) is larger than the host keeps.
    ResultBytes,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Limit::Memory => "memory",
            Limit::WallTime => "wall-time",
            Limit::OutboundRequests => "outbound-requests",
            Limit::ResponseBytes => "response-bytes",
            Limit::HostCallTimeout => "host-call-timeout",
            Limit::ResultBytes => "result-size",
        })
    }
}

/// A budget ran out during a call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the connector exceeded its {limit} limit ({budget})")]
pub struct LimitExceeded {
    pub limit: Limit,
    /// The budget, for humans (`64 MiB`, `30s`).
    pub budget: String,
}

impl LimitExceeded {
    pub fn new(limit: Limit, budget: impl Into<String>) -> Self {
        LimitExceeded { limit, budget: budget.into() }
    }
}

/// Caps linear-memory growth and remembers that the cap was hit.
/// The cap applies to the sum of every linear memory of the call's instance.
pub struct MemoryLimiter {
    cap: usize,
    total: usize,
    pub(crate) exceeded: bool,
}

impl MemoryLimiter {
    pub fn new(cap: usize) -> Self {
        MemoryLimiter { cap, total: 0, exceeded: false }
    }

    pub fn error(&self) -> LimitExceeded {
        LimitExceeded::new(Limit::Memory, format!("{} MiB", self.cap >> 20))
    }
}

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        let total = self.total - current.min(self.total) + desired;
        if total > self.cap {
            self.exceeded = true;
            return Err(self.error().into());
        }
        self.total = total;
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}
