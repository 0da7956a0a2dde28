//! The threads busy guest code runs on. A call starts on the caller's executor (most calls finish
//! in microseconds or wait on HTTP, and a hop to another thread would cost more than the call);
//! once guest code has run through a whole epoch tick it moves here, and guests yield at every
//! tick, so any number of busy guests leaves the API, health checks and other connectors
//! responsive. A plugin whose guest code spun starts its calls here for a while: each new call
//! of a guest that spins would otherwise hold an API thread for a tick or two first.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// A dedicated multi-threaded executor for guest calls.
pub struct GuestPool {
    runtime: Option<tokio::runtime::Runtime>,
}

impl GuestPool {
    /// A pool with one worker per CPU.
    pub fn new() -> std::io::Result<GuestPool> {
        let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name("airlock-guest")
            .on_thread_start(lower_priority)
            .enable_all()
            .build()?;
        Ok(GuestPool { runtime: Some(runtime) })
    }

    /// Run `task` on the pool. Dropping the returned future cancels the task.
    pub fn spawn<T: Send + 'static>(&self, task: impl Future<Output = T> + Send + 'static) -> Spawned<T> {
        let runtime = self.runtime.as_ref().expect("the pool lives until dropped");
        Spawned(runtime.spawn(task))
    }

    /// Run a call of a plugin with `history`: on the pool if the plugin spun recently, else
    /// here until guest code spins (`spun` counts its yields at epoch ticks) and the rest on the
    /// pool. A call that yielded [`SPINS_REMEMBERED`] times is remembered in `history`.
    pub async fn run<T: Send + 'static>(
        &self,
        task: impl Future<Output = T> + Send + 'static,
        spun: Arc<AtomicU32>,
        history: &SpinHistory,
    ) -> Result<T, tokio::task::JoinError> {
        let outcome = match history.spun_recently() {
            true => self.spawn(task).await,
            false => self.run_offloading(task, &spun).await,
        };
        if spun.load(Ordering::Relaxed) >= SPINS_REMEMBERED {
            history.spun();
        }
        outcome
    }

    /// Run `task` here until guest code first yields at an epoch tick (it then waits, yielded),
    /// and the rest of it on the pool.
    async fn run_offloading<T: Send + 'static>(
        &self,
        task: impl Future<Output = T> + Send + 'static,
        spun: &AtomicU32,
    ) -> Result<T, tokio::task::JoinError> {
        let mut task = Box::pin(task);
        let inline = std::future::poll_fn(|cx| match task.as_mut().poll(cx) {
            Poll::Ready(value) => Poll::Ready(Some(value)),
            Poll::Pending if spun.load(Ordering::Relaxed) > 0 => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        })
        .await;
        match inline {
            Some(value) => Ok(value),
            None => self.spawn(task).await,
        }
    }
}

/// How long after a plugin's guest code last spun its calls start on the pool.
const SPIN_MEMORY: Duration = Duration::from_secs(60);

/// Yields at epoch ticks that mark a call's plugin as one that spins. A call the OS preempted
/// can look busy for a tick or two (its guest clock is wall time); a spinning guest yields at
/// every tick.
const SPINS_REMEMBERED: u32 = 4;

/// Whether a plugin's guest code spun lately: every call of the plugin asks, so it is one
/// atomic, read without a lock.
#[derive(Default)]
pub struct SpinHistory {
    /// Until when its calls start on the pool, on [`clock_ms`]; 0 if it never spun.
    pool_until: AtomicU64,
}

impl SpinHistory {
    /// A call of the plugin spun now.
    fn spun(&self) {
        self.pool_until.store(clock_ms() + SPIN_MEMORY.as_millis() as u64, Ordering::Relaxed);
    }

    /// Whether a call of the plugin spun within [`SPIN_MEMORY`].
    fn spun_recently(&self) -> bool {
        let until = self.pool_until.load(Ordering::Relaxed);
        until != 0 && clock_ms() < until
    }
}

/// Milliseconds on a monotonic clock that starts with the first spin looked at.
fn clock_ms() -> u64 {
    static START: LazyLock<Instant> = LazyLock::new(Instant::now);
    START.elapsed().as_millis() as u64
}

/// Busy guests yield the CPU to the server's own threads: the pool's threads run under Linux's
/// `SCHED_IDLE` policy, so a server thread that wakes preempts a busy guest at once (under a
/// nice value it may first wait for the guest's time slice to end). Where the policy is
/// refused, they run at nice 10.
fn lower_priority() {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: both calls only read their arguments (`param` outlives the call); with id 0 they
    // change the calling thread alone. A failure leaves the thread as it was, which is safe.
    let refused = unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) } != 0;
    if refused {
        unsafe {
            libc::setpriority(libc::PRIO_PROCESS, 0, GUEST_NICE);
        }
    }
}

/// The pool threads' nice value where `SCHED_IDLE` is refused.
const GUEST_NICE: libc::c_int = 10;

impl Drop for GuestPool {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which is not allowed inside another runtime's task.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// A task on the guest pool; aborted when dropped (the caller went away).
pub struct Spawned<T>(JoinHandle<T>);

impl<T> Future for Spawned<T> {
    type Output = Result<T, tokio::task::JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl<T> Drop for Spawned<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thread_name() -> Option<String> {
        std::thread::current().name().map(str::to_string)
    }

    /// A call whose guest code yields at `ticks` epoch ticks (the epoch callback counts them);
    /// the name of the thread it ends on.
    async fn call(ticks: u32, spun: Arc<AtomicU32>) -> Option<String> {
        for _ in 0..ticks {
            spun.fetch_add(1, Ordering::Relaxed);
            tokio::task::yield_now().await;
        }
        thread_name()
    }

    #[tokio::test]
    async fn a_plugin_that_spun_starts_its_next_calls_on_the_pool() {
        let pool = GuestPool::new().unwrap();
        let history = SpinHistory::default();
        let here = thread_name();
        assert_ne!(here.as_deref(), Some("airlock-guest"));
        let run = |ticks| {
            let spun = Arc::new(AtomicU32::new(0));
            pool.run(call(ticks, spun.clone()), spun, &history)
        };

        // A call that does not spin runs on the caller's thread.
        assert_eq!(run(0).await.unwrap(), here);
        // One that looked busy at a tick or two (preempted, say) moves to the pool, and its
        // plugin's calls still start here.
        assert_eq!(run(2).await.unwrap().as_deref(), Some("airlock-guest"));
        assert!(!history.spun_recently());
        assert_eq!(run(0).await.unwrap(), here);
        // One that spun through several ticks is remembered...
        assert_eq!(run(SPINS_REMEMBERED).await.unwrap().as_deref(), Some("airlock-guest"));
        assert!(history.spun_recently());
        // ...so the plugin's next calls run on the pool from their start...
        assert_eq!(run(0).await.unwrap().as_deref(), Some("airlock-guest"));
        // ...until the spin is older than the memory.
        history.pool_until.store(clock_ms(), Ordering::Relaxed);
        assert_eq!(run(0).await.unwrap(), here);
    }

    #[tokio::test]
    async fn busy_guests_run_on_threads_any_server_thread_preempts() {
        let pool = GuestPool::new().unwrap();
        // SAFETY: sched_getscheduler only reads its argument; 0 is the calling thread.
        let policy = pool.spawn(async { unsafe { libc::sched_getscheduler(0) } }).await.unwrap();
        assert_eq!(policy, libc::SCHED_IDLE, "the guest pool's threads run under SCHED_IDLE");
        // SAFETY: as above.
        let here = unsafe { libc::sched_getscheduler(0) };
        assert_eq!(here, libc::SCHED_OTHER, "the caller's threads keep the normal policy");
    }
}
