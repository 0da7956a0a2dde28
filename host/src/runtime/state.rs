//! What one guest call's store holds: its budgets, its connector instance and an empty WASI.

use super::limits::{Limit, LimitExceeded, Limits, MemoryLimiter};
use super::outbound::Outbound;
use super::stderr::StderrTail;
use crate::instance::Instance;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmtime_wasi::{ResourceTable, WasiCtx, WasiCtxView, WasiView};

/// Bytes of guest stderr kept per call: the last ones, where a panic message ends up.
const STDERR_CAPACITY: usize = 16 << 10;
/// Egress denials kept per call (every one is counted).
const MAX_DENIALS_KEPT: usize = 8;
/// Bytes kept of one denial reason.
const MAX_DENIAL_LEN: usize = 512;

/// The data of one call's store. Nothing in it outlives the call.
pub struct CallState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) stderr: StderrTail,
    pub(crate) limiter: MemoryLimiter,
    pub(crate) instance: Arc<Instance>,
    pub(crate) outbound: Arc<Outbound>,
    pub(crate) budget: CallBudget,
    pub(crate) log: LogBudget,
    pub(crate) guest_clock: GuestClock,
}

impl CallState {
    pub(crate) fn new(instance: Arc<Instance>, outbound: Arc<Outbound>, limits: &Limits) -> Self {
        let stderr = StderrTail::new(STDERR_CAPACITY);
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
            log: LogBudget::default(),
            guest_clock: GuestClock::new(),
        }
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

/// How long guest code itself has run since it last yielded: the wall time minus what the host
/// spent waiting for the network on its behalf. A call whose guest waited 3 ms on an upstream
/// has not been busy; only a guest that ran a whole epoch tick moves to the guest pool.
pub(crate) struct GuestClock {
    since: Instant,
    host_waited: Duration,
}

impl GuestClock {
    fn new() -> Self {
        GuestClock { since: Instant::now(), host_waited: Duration::ZERO }
    }

    /// A host call that began at `started` has returned.
    pub(crate) fn host_waited_since(&mut self, started: Instant) {
        self.host_waited += started.elapsed();
    }

    /// Whether guest code ran at least `tick` since it last yielded; if so the clock restarts.
    pub(crate) fn ran(&mut self, tick: Duration) -> bool {
        if self.since.elapsed().saturating_sub(self.host_waited) < tick {
            return false;
        }
        *self = GuestClock::new();
        true
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
    /// The first budget that ran out; it fails the call whatever the guest returns.
    pub(crate) exhausted: Option<LimitExceeded>,
    /// The first egress denials (reported as the error of a failed call, as warnings otherwise).
    pub(crate) denials: Vec<String>,
    /// Every egress denial of the call, kept or not.
    pub(crate) denial_count: u64,
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
            denial_count: 0,
        }
    }

    /// Whether the call's wall time is over.
    pub(crate) fn past_deadline(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// Record an egress denial; only the first few are kept, each cut to a bounded length.
    pub(crate) fn denied(&mut self, reason: &str) {
        crate::metrics::egress_denied(reason);
        self.denial_count += 1;
        if self.denials.len() < MAX_DENIALS_KEPT {
            self.denials.push(truncate(reason, MAX_DENIAL_LEN));
        }
    }

    /// The denials as warnings for a call that still succeeded.
    pub(crate) fn warnings(&self) -> Vec<String> {
        let mut warnings: Vec<String> = self.denials.iter().map(|d| format!("egress denied: {d}")).collect();
        let unkept = self.denial_count - self.denials.len() as u64;
        if unkept > 0 {
            warnings.push(format!("{unkept} more egress request(s) were denied"));
        }
        warnings
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

/// Log lines and bytes a call may write; the rest is dropped (and counted once in the log).
pub struct LogBudget {
    lines_left: u32,
    bytes_left: usize,
    pub(crate) dropped: u64,
}

impl LogBudget {
    /// Lines a call may log.
    const LINES: u32 = 256;
    /// Bytes a call may log.
    const BYTES: usize = 64 << 10;

    /// Take a line of `len` bytes; false when the budget is spent.
    pub(crate) fn take(&mut self, len: usize) -> bool {
        if self.lines_left == 0 || self.bytes_left < len {
            self.lines_left = 0;
            self.dropped += 1;
            return false;
        }
        self.lines_left -= 1;
        self.bytes_left -= len;
        true
    }
}

impl Default for LogBudget {
    fn default() -> Self {
        LogBudget { lines_left: Self::LINES, bytes_left: Self::BYTES, dropped: 0 }
    }
}

/// `text` cut to at most `max` bytes (on a character boundary), marked when cut.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    format!("{}... ({} bytes cut)", &text[..text.floor_char_boundary(max)], text.len() - text.floor_char_boundary(max))
}

#[cfg(test)]
mod guest_clock_tests {
    use super::GuestClock;
    use std::time::{Duration, Instant};

    #[test]
    fn time_the_host_spent_waiting_is_not_guest_time() {
        let tick = Duration::from_millis(2);
        let mut clock = GuestClock::new();
        let waiting = Instant::now();
        std::thread::sleep(Duration::from_millis(5));
        clock.host_waited_since(waiting);
        assert!(!clock.ran(tick), "a call that waited on the network has not been busy");
        std::thread::sleep(Duration::from_millis(3));
        assert!(clock.ran(tick), "guest code that ran a whole tick has");
        assert!(!clock.ran(tick), "the clock restarts after a yield");
    }
}
