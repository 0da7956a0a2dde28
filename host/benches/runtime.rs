//! Runtime benchmark: prints latency and throughput figures for fresh sandboxed calls.
//!
//! Run with `cargo bench --profile dev -p airlock --bench runtime` (dependencies are optimised in
//! the dev profile; see the workspace Cargo.toml). Figures on a 2-core machine are noisy: compare
//! them within one run.

use airlock::builtin::BUILTIN;
use airlock::instance::Instance;
use airlock::runtime::{Plugin, PoolTuning, Runtime, RuntimeOptions};
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

        // Sequential latency and throughput with the default pool tuning.
        let instance = Arc::new(Instance::unconfigured("docker"));
        let latencies = sequential(&runtime, &plugin, &instance, SEQUENTIAL_CALLS).await;
        println!(
            "create+call+drop (canonical-resource-id), {SEQUENTIAL_CALLS} sequential: p50 {} (target ≤ 10 µs), p99 {}",
            micros(percentile(&latencies, 0.5)),
            micros(percentile(&latencies, 0.99))
        );
        for tasks in [1usize, 2, 4, 8] {
            let rate = throughput(&runtime, &plugin, &instance, tasks, THROUGHPUT_WINDOW).await;
            let target = if tasks == 2 { " (target ≥ 40,000/s)" } else { "" };
            println!("fresh instance+call throughput, {tasks} task(s): {rate:.0} calls/s{target}");
        }

        // Each knob's effect, measured in this run: wasmtime's defaults, each pool-reset knob
        // alone, all of them (the default), and the default with one layout knob changed.
        let defaults = PoolTuning::WASMTIME_DEFAULTS;
        let chosen = PoolTuning::default();
        let variants = [
            ("wasmtime defaults (madvise every slot)", defaults),
            ("+ keep 1 MiB resident (memset)", PoolTuning { keep_resident: chosen.keep_resident, ..defaults }),
            ("+ decommit batches of 16", PoolTuning { decommit_batch: chosen.decommit_batch, ..defaults }),
            ("+ PAGEMAP_SCAN", PoolTuning { pagemap_scan: true, ..defaults }),
            ("all (the default)", chosen),
            ("default + initial image copied in (no copy-on-write)", PoolTuning { memory_init_cow: false, ..chosen }),
            ("default + 1 MiB host stacks (not 2 MiB)", PoolTuning { async_stack_size: 1 << 20, ..chosen }),
            (
                "default + 64 MiB memory reservation (bounds-checked, not 4 GiB)",
                PoolTuning { memory_reservation: Some(64 << 20), ..chosen },
            ),
        ];
        for (name, tuning) in variants {
            let runtime = Arc::new(Runtime::new(RuntimeOptions { pool_tuning: tuning, ..options() }).unwrap());
            let plugin = Arc::new(runtime.load(docker()).await.unwrap());
            let latencies = sequential(&runtime, &plugin, &instance, 2_000).await;
            let rate = throughput(&runtime, &plugin, &instance, 2, Duration::from_secs(2)).await;
            println!(
                "pool tuning {name}: p50 {}, 2 tasks {rate:.0} calls/s",
                micros(percentile(&latencies, 0.5))
            );
        }
    });
}

/// `calls` sequential create+call+drop latencies (after a warm-up), sorted.
async fn sequential(runtime: &Runtime, plugin: &Plugin, instance: &Arc<Instance>, calls: usize) -> Vec<Duration> {
    for _ in 0..500 {
        trivial_call(runtime, plugin, instance).await;
    }
    let mut latencies = Vec::with_capacity(calls);
    for _ in 0..calls {
        let started = Instant::now();
        trivial_call(runtime, plugin, instance).await;
        latencies.push(started.elapsed());
    }
    latencies.sort();
    latencies
}

/// Calls per second from `tasks` tasks, each making fresh-instance calls for `window`.
async fn throughput(
    runtime: &Arc<Runtime>,
    plugin: &Arc<Plugin>,
    instance: &Arc<Instance>,
    tasks: usize,
    window: Duration,
) -> f64 {
    let deadline = Instant::now() + window;
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
    total as f64 / window.as_secs_f64()
}
