//! The threads guest code runs on. Connector code never runs on the server's own executor:
//! each call is a task on this pool, and guests yield at every epoch tick, so any number of
//! busy guests leaves the API, health checks and other connectors responsive.

use std::future::Future;
use std::pin::Pin;
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
            .enable_all()
            .build()?;
        Ok(GuestPool { runtime: Some(runtime) })
    }

    /// Run `task` on the pool. Dropping the returned future cancels the task.
    pub fn spawn<T: Send + 'static>(&self, task: impl Future<Output = T> + Send + 'static) -> Spawned<T> {
        let runtime = self.runtime.as_ref().expect("the pool lives until dropped");
        Spawned(runtime.spawn(task))
    }
}

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
