//! Runtime benchmark: prints latency and throughput figures for fresh sandboxed calls.
//!
//! Run with `cargo bench --profile dev -p airlock --bench runtime` (dependencies are optimised in
//! the dev profile; see the workspace Cargo.toml). Figures on a 2-core machine are noisy: compare
//! them within one run.

use airlock::builtin::BUILTIN;
use airlock::instance::Instance;
use airlock::runtime::{Plugin, Runtime, RuntimeOptions};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SEQUENTIAL_CALLS: usize = 5_000;
const THROUGHPUT_WINDOW: Duration = Duration::from_secs(3);

fn docker() -> &'static [u8] {
    BUILTIN.iter().find(|(name, _)| *name == "docker").expect("docker is built in").1
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn micros(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn millis(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// One fresh store + instance + trivial export call + drop.
async fn trivial_call(runtime: &Runtime, plugin: &Plugin, instance: &Arc<Instance>) {
    let id = runtime.canonical_resource_id(plugin, instance.clone(), "docker-registry", "docker.io").await.unwrap();
    assert_eq!(id, "docker.io");
}

fn main() {
    let tokio = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    tokio.block_on(async {
        let cache = tempfile::tempdir().unwrap();
        let options = || RuntimeOptions { cache_dir: Some(cache.path().to_path_buf()), ..Default::default() };

        // Cold compile of the docker connector (empty cache).
        let started = Instant::now();
        let runtime = Arc::new(Runtime::new(options()).unwrap());
        let engine_ready = started.elapsed();
        let started = Instant::now();
        let plugin = Arc::new(runtime.load(docker()).await.unwrap());
        let cold_compile = started.elapsed();
        assert!(!plugin.from_cache);
        println!("pooling allocator: {}", if runtime.is_pooled() { "on" } else { "off (fallback)" });
        println!("docker component: {} KiB", docker().len() / 1024);
        println!("cold compile + link + describe (docker): {}", millis(cold_compile));

        // First call after a restart with a warm compile cache: new engine, load from cache, call.
        let mut restarts = Vec::new();
        let mut loads = Vec::new();
        for _ in 0..10 {
            let started = Instant::now();
            let fresh = Runtime::new(options()).unwrap();
            let plugin = fresh.load(docker()).await.unwrap();
            assert!(plugin.from_cache);
            let loaded = started.elapsed();
            trivial_call(&fresh, &plugin, &Arc::new(Instance::unconfigured("docker"))).await;
            restarts.push(started.elapsed());
            loads.push(loaded);
        }
        restarts.sort();
        loads.sort();
        println!(
            "restart → first call, warm cache (engine + load + first call): p50 {} (of which engine+load {}); engine alone at first start {}",
            millis(percentile(&restarts, 0.5)),
            millis(percentile(&loads, 0.5)),
            millis(engine_ready)
        );

        // Sequential create + call + drop.
        let instance = Arc::new(Instance::unconfigured("docker"));
        for _ in 0..500 {
            trivial_call(&runtime, &plugin, &instance).await;
        }
        let mut latencies = Vec::with_capacity(SEQUENTIAL_CALLS);
        for _ in 0..SEQUENTIAL_CALLS {
            let started = Instant::now();
            trivial_call(&runtime, &plugin, &instance).await;
            latencies.push(started.elapsed());
        }
        latencies.sort();
        println!(
            "create+call+drop (canonical-resource-id), {SEQUENTIAL_CALLS} sequential: p50 {}, p99 {}",
            micros(percentile(&latencies, 0.5)),
            micros(percentile(&latencies, 0.99))
        );

        // Throughput: fresh instance per call from several tasks.
        for tasks in [1usize, 2, 4, 8] {
            let deadline = Instant::now() + THROUGHPUT_WINDOW;
            let handles: Vec<_> = (0..tasks)
                .map(|_| {
                    let (runtime, plugin, instance) = (runtime.clone(), plugin.clone(), instance.clone());
                    tokio::spawn(async move {
                        let mut calls = 0u64;
                        while Instant::now() < deadline {
                            trivial_call(&runtime, &plugin, &instance).await;
                            calls += 1;
                        }
                        calls
                    })
                })
                .collect();
            let mut total = 0;
            for handle in handles {
                total += handle.await.unwrap();
            }
            println!("fresh instance+call throughput, {tasks} task(s): {:.0} calls/s", total as f64 / THROUGHPUT_WINDOW.as_secs_f64());
        }
    });
}
