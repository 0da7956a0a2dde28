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

/// Busy guests yield the CPU to the server's own threads: the pool's threads run at a lower
/// scheduling priority (nice 10), so the API keeps its latency whatever the guests do.
fn lower_priority() {
    // SAFETY: setpriority only reads its integer arguments; on Linux, PRIO_PROCESS with id 0
    // changes the calling thread alone. A failure leaves the default priority, which is safe.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, GUEST_NICE);
    }
}

/// The pool threads' nice value.
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
