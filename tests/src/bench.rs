//! Helpers the benchmarks share: formatting, percentiles and a closed-loop load of N clients.

use std::time::{Duration, Instant};

/// `12.34 ms`.
pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// The `p` quantile (0.0–1.0) of sorted latencies.
pub fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p) as usize]
}

/// Run `call` in a loop from `clients` tasks for `window`; the sorted latencies and calls/s.
pub async fn measure<F>(
    clients: usize,
    window: Duration,
    call: impl Fn() -> F + Clone + Send + 'static,
) -> (Vec<Duration>, f64)
where
    F: Future<Output = ()> + Send,
{
    let deadline = Instant::now() + window;
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let call = call.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    let started = Instant::now();
                    call().await;
                    latencies.push(started.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut all: Vec<Duration> = futures::future::join_all(tasks).await.into_iter().flat_map(|r| r.unwrap()).collect();
    all.sort();
    let rate = all.len() as f64 / window.as_secs_f64();
    (all, rate)
}
