//! What one guest call's store holds: its budgets, its connector instance and an empty WASI.

use super::limits::{Limit, LimitExceeded, Limits, MemoryLimiter};
use crate::instance::Instance;
use crate::outbound::Outbound;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{ResourceTable, WasiCtx, WasiCtxView, WasiView};

/// Bytes of guest stderr kept per call (panic messages end up here).
const STDERR_CAPACITY: usize = 16 << 10;

/// The data of one call's store. Nothing in it outlives the call.
pub struct CallState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) stderr: MemoryOutputPipe,
    pub(crate) limiter: MemoryLimiter,
    pub(crate) instance: Arc<Instance>,
    pub(crate) outbound: Arc<Outbound>,
    pub(crate) budget: CallBudget,
    pub(crate) log_lines: u32,
}

impl CallState {
    pub(crate) fn new(instance: Arc<Instance>, outbound: Arc<Outbound>, limits: &Limits) -> Self {
        let stderr = MemoryOutputPipe::new(STDERR_CAPACITY);
        // No preopened directories, no environment, no arguments, no sockets, no name lookups.
        let wasi = WasiCtx::builder()
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        CallState {
            wasi,
            table: ResourceTable::new(),
            stderr,
            limiter: MemoryLimiter::new(limits.memory_bytes),
            instance,
            outbound,
            budget: CallBudget::new(limits),
            log_lines: 0,
        }
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

/// What is left of a call's budgets, and what ran out or was refused.
pub struct CallBudget {
    deadline: Instant,
    wall_time: Duration,
    host_call_timeout: Duration,
    requests_left: u32,
    max_requests: u32,
    response_bytes_left: u64,
    max_response_bytes: u64,
    /// The first budget that ran out; reported to the caller even if the guest swallowed it.
    pub(crate) exhausted: Option<LimitExceeded>,
    /// Egress denials, reported to the caller when the call fails.
    pub(crate) denials: Vec<String>,
}

impl CallBudget {
    fn new(limits: &Limits) -> Self {
        CallBudget {
            deadline: Instant::now() + limits.wall_time,
            wall_time: limits.wall_time,
            host_call_timeout: limits.host_call_timeout,
            requests_left: limits.max_requests,
            max_requests: limits.max_requests,
            response_bytes_left: limits.max_response_bytes,
            max_response_bytes: limits.max_response_bytes,
            exhausted: None,
            denials: Vec::new(),
        }
    }

    fn exhaust(&mut self, limit: LimitExceeded) -> LimitExceeded {
        self.exhausted.get_or_insert(limit.clone());
        limit
    }

    /// Take one outbound request from the budget.
    pub(crate) fn take_request(&mut self) -> Result<(), LimitExceeded> {
        if self.requests_left == 0 {
            let max = self.max_requests;
            return Err(self.exhaust(LimitExceeded::new(Limit::OutboundRequests, format!("{max} requests"))));
        }
        self.requests_left -= 1;
        Ok(())
    }

    /// Take `n` response bytes from the budget.
    pub(crate) fn take_response_bytes(&mut self, n: u64) -> Result<(), LimitExceeded> {
        match self.response_bytes_left.checked_sub(n) {
            Some(left) => {
                self.response_bytes_left = left;
                Ok(())
            }
            None => {
                let max = self.max_response_bytes;
                Err(self.exhaust(LimitExceeded::new(Limit::ResponseBytes, format!("{max} bytes"))))
            }
        }
    }

    /// How long the next host call may take, and which limit applies if it takes longer.
    pub(crate) fn host_call_window(&self) -> (Duration, Limit) {
        let remaining = self.deadline.saturating_duration_since(Instant::now());
        if remaining < self.host_call_timeout {
            (remaining, Limit::WallTime)
        } else {
            (self.host_call_timeout, Limit::HostCallTimeout)
        }
    }

    /// The call's wall-time budget.
    pub(crate) fn wall_time(&self) -> Duration {
        self.wall_time
    }

    /// Record that a host call ran out of time.
    pub(crate) fn timed_out(&mut self, limit: Limit) -> LimitExceeded {
        let budget = match limit {
            Limit::WallTime => format!("{:?}", self.wall_time),
            _ => format!("{:?}", self.host_call_timeout),
        };
        self.exhaust(LimitExceeded::new(limit, budget))
    }
}
