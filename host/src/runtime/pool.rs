//! The threads busy guest code runs on. A call starts on the caller's executor (most calls finish
//! in microseconds or wait on HTTP, and a hop to another thread would cost more than the call);
//! once guest code has run through a whole epoch tick it moves here, and guests yield at every
//! tick, so any number of busy guests leaves the API, health checks and other connectors
//! responsive.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
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

    /// Run `task` here until `spun` is set (it then waits, yielded, at an epoch tick), and the
    /// rest of it on the pool.
    pub async fn run_offloading<T: Send + 'static>(
        &self,
        task: impl Future<Output = T> + Send + 'static,
        spun: Arc<AtomicBool>,
    ) -> Result<T, tokio::task::JoinError> {
        let mut task = Box::pin(task);
        let inline = std::future::poll_fn(|cx| match task.as_mut().poll(cx) {
            Poll::Ready(value) => Poll::Ready(Some(value)),
            Poll::Pending if spun.load(Ordering::Relaxed) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        })
        .await;
        match inline {
            Some(value) => Ok(value),
            None => self.spawn(task).await,
        }
    }
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
