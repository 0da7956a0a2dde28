//! Load benchmark for client-credential issuance through the API (the real server binary on
//! SQLite), with lease reuse on and off, at 1 and 16 concurrent clients; plus server RSS idle and
//! under load, and the time from start to ready.
//!
//! Run with `cargo bench --profile dev -p airlock-tests --bench load`. The load generator shares
//! the machine with the server: compare figures within one run.

use airlock_tests::bench::{ms, pct};
use airlock_tests::server::{ADMIN_TOKEN, Server, StoreKind};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(4);

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

async fn load(server: &Server, clients: usize, reuse: bool, peak_rss: &AtomicU64) -> (Vec<Duration>, f64) {
    let deadline = Instant::now() + WINDOW;
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let url = format!("{}/api/v1/connectors/bench/client", server.url);
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let body = json!({ "reuse": reuse }).to_string();
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    let started = Instant::now();
                    let response = client
                        .post(&url)
                        .bearer_auth(ADMIN_TOKEN)
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(response.status(), 200);
                    response.bytes().await.unwrap();
                    latencies.push(started.elapsed());
                }
                latencies
            })
        })
        .collect();
    let pid = server.pid();
    let sampling = async {
        while Instant::now() < deadline {
            peak_rss.fetch_max(rss_kib(pid), Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let (results, ()) = tokio::join!(futures::future::join_all(tasks), sampling);
    let mut all: Vec<Duration> = results.into_iter().flat_map(|r| r.unwrap()).collect();
    all.sort();
    let rate = all.len() as f64 / WINDOW.as_secs_f64();
    (all, rate)
}

/// Time until the server lists the built-in connector types (it waits for them to be registered).
async fn builtins_ready(server: &Server) -> Duration {
    let started = Instant::now();
    let (status, types) = server.json(ADMIN_TOKEN, "GET", "/api/v1/connector-types", None).await;
    assert_eq!(status, 200);
    assert!(types.as_array().unwrap().len() >= 2, "{types}");
    started.elapsed()
}

#[tokio::main]
async fn main() {
    // Start to healthy: spawn to the "listening" line (the server answers from then on, while the
    // built-in connectors compile in the background), on a fresh data dir and on restarts; then
    // until the built-ins are in place (a connector-types call waits for them).
    let started = Instant::now();
    // Production log level (the test helper's default is trace); a short call wall time for the
    // hostile soak.
    let quiet =
        vec![("AIRLOCK_LOG".to_string(), "warn".to_string()), ("AIRLOCK_CALL_WALL_TIME".to_string(), "2".to_string())];
    let mut server = Server::start_with(StoreKind::Sqlite, tempfile::tempdir().unwrap().keep(), quiet);
    let first = started.elapsed();
    let first_builtins = builtins_ready(&server).await + first;
    let mut restarts = Vec::new();
    let mut restart_builtins = Vec::new();
    for _ in 0..5 {
        server.kill();
        let started = Instant::now();
        server.restart();
        let healthy = started.elapsed();
        restarts.push(healthy);
        restart_builtins.push(builtins_ready(&server).await + healthy);
    }
    restarts.sort();
    restart_builtins.sort();
    println!(
        "start to healthy: fresh data dir {} (target ≤ 50 ms), restart p50 {} (target ≤ 20 ms) (spawn → listening, incl. process start)",
        ms(first),
        ms(restarts[2])
    );
    println!(
        "built-in connectors ready: fresh data dir {} (compiled), restart p50 {} (compile cache)",
        ms(first_builtins),
        ms(restart_builtins[2])
    );

    tokio::time::sleep(Duration::from_secs(1)).await;
    println!("server RSS idle: {} MiB", rss_kib(server.pid()) / 1024);

    // An open local registry: issuing checks the registry first (then remembers it for a minute).
    let registry = airlock_tests::registry::Registry::open();
    let body = json!({
        "name": "bench", "connector_type": "docker", "verify": false,
        "configuration": {"username": "u", "password": "p", "registry": registry.url()},
    });
    assert_eq!(server.json(ADMIN_TOKEN, "POST", "/api/v1/connectors", Some(body)).await.0, 201);

    let peak = AtomicU64::new(0);
    let peak = Arc::new(peak);
    for reuse in [true, false] {
        for clients in [1, 16] {
            let (latencies, rate) = load(&server, clients, reuse, &peak).await;
            println!(
                "issue client credential, lease reuse {:3}, {clients:2} client(s): p50 {}, p99 {}, {rate:.0} requests/s{}",
                if reuse { "on" } else { "off" },
                ms(pct(&latencies, 0.5)),
                ms(pct(&latencies, 0.99)),
                if reuse && clients == 16 { " (target ≥ 15,000/s)" } else { "" },
            );
        }
    }
    println!("server RSS under load (peak): {} MiB", peak.load(Ordering::Relaxed) / 1024);
    let url = format!("{}/api/v1/connectors/bench/client", server.url);
    if let Some(report) = oha(&url, ADMIN_TOKEN, r#"{"reuse": true}"#, 16) {
        println!("oha: issue client credential, lease reuse on, 16 connections: {report} (target ≥ 15,000/s)");
    }
    for spinners in [8, 100] {
        hostile_soak(spinners, &registry.url(), &peak).await;
    }
    flood_fairness(&server, &peak).await;
}

/// Fresh issuance (reuse off, 4 clients of one user) alone, then while another user floods the
/// API with verifies of a connector whose registry never answers (each holds a sandbox slot
/// until its wall time): the flooder gets 429s beyond their share, the other user's p99 stays.
async fn flood_fairness(server: &Server, peak: &AtomicU64) {
    const FLOODERS: usize = 64;
    let hole = airlock_tests::black_hole().await;
    let (status, user) =
        server.json(ADMIN_TOKEN, "POST", "/api/v1/users", Some(json!({"name": "flooder", "role": "member"}))).await;
    assert_eq!(status, 201);
    let flooder = user["token"].as_str().unwrap().to_string();
    let body = json!({"name": "hole", "connector_type": "docker", "verify": false,
        "configuration": {"username": "u", "password": "p", "registry": hole}});
    assert_eq!(server.json(&flooder, "POST", "/api/v1/connectors", Some(body)).await.0, 201);

    let (alone, _) = load(server, 4, false, peak).await;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let refused = Arc::new(AtomicU64::new(0));
    let flood: Vec<_> = (0..FLOODERS)
        .map(|_| {
            let url = format!("{}/api/v1/connectors/hole/verify", server.url);
            let (stop, refused, token) = (stop.clone(), refused.clone(), flooder.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                while !stop.load(Ordering::Relaxed) {
                    let response = client.post(&url).bearer_auth(&token).send().await.unwrap();
                    if response.status() == 429 {
                        refused.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (beside, _) = load(server, 4, false, peak).await;
    let url = format!("{}/api/v1/connectors/bench/client", server.url);
    let oha_beside =
        tokio::task::spawn_blocking(move || oha(&url, ADMIN_TOKEN, r#"{"reuse": false}"#, 4)).await.unwrap();
    stop.store(true, Ordering::Relaxed);
    futures::future::join_all(flood).await;
    if let Some(report) = oha_beside {
        println!("oha: fresh issuance (4 connections) while another user floods: {report}");
    }
    println!(
        "fresh issuance (4 clients) p99: {} alone, {} while another user floods with {FLOODERS} hanging verifies ({} of them answered 429)",
        ms(pct(&alone, 0.99)),
        ms(pct(&beside, 0.99)),
        refused.load(Ordering::Relaxed),
    );
}

/// Fresh issuance (reuse off, 4 clients) and `/healthz` alone, then beside `spinners` hostile
/// calls that spin until their wall time (2 s) runs out and are started again at once. A server
/// of its own, whose call quotas let one user run them all.
async fn hostile_soak(spinners: usize, registry: &str, peak: &AtomicU64) {
    let env = [
        ("AIRLOCK_LOG", "warn"),
        ("AIRLOCK_CALL_WALL_TIME", "2"),
        ("AIRLOCK_CALLS_PER_USER", "128"),
        ("AIRLOCK_CALLS_PER_CONNECTOR", "128"),
    ];
    let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let server = Server::start_with(StoreKind::Sqlite, tempfile::tempdir().unwrap().keep(), env);
    let server = &server;
    server.install_approved(airlock_tests::probe_component()).await;
    let body = json!({"name": "spinner", "connector_type": "probe", "auth_method": "token", "verify": false, "configuration": {}});
    assert_eq!(server.json(ADMIN_TOKEN, "POST", "/api/v1/connectors", Some(body)).await.0, 201);
    let body = json!({
        "name": "bench", "connector_type": "docker", "verify": false,
        "configuration": {"username": "u", "password": "p", "registry": registry},
    });
    assert_eq!(server.json(ADMIN_TOKEN, "POST", "/api/v1/connectors", Some(body)).await.0, 201);

    let (alone, _) = load(server, 4, false, peak).await;
    let health_alone = healthz(server).await;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let spinning: Vec<_> = (0..spinners)
        .map(|_| {
            let (url, stop) =
                (format!("{}/api/v1/connectors/spinner/verify?resource_id=spin", server.url), stop.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                while !stop.load(Ordering::Relaxed) {
                    let response = client.post(&url).bearer_auth(ADMIN_TOKEN).send().await.unwrap();
                    assert_eq!(response.status(), 504, "a spinner ends at its wall time");
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (beside, _) = load(server, 4, false, peak).await;
    let health_beside = healthz(server).await;
    stop.store(true, Ordering::Relaxed);
    futures::future::join_all(spinning).await;
    println!(
        "beside {spinners} spinning guests: fresh issuance (4 clients) p99 {} vs {} alone (target ≤ 2×), p50 {} vs {}; /healthz p99 {} vs {} alone (target ≤ 10 ms)",
        ms(pct(&beside, 0.99)),
        ms(pct(&alone, 0.99)),
        ms(pct(&beside, 0.5)),
        ms(pct(&alone, 0.5)),
        ms(pct(&health_beside, 0.99)),
        ms(pct(&health_alone, 0.99)),
    );
}

/// 200 `/healthz` calls, one after another, 5 ms apart; their latencies, sorted.
async fn healthz(server: &Server) -> Vec<Duration> {
    let client = reqwest::Client::new();
    let mut latencies = Vec::new();
    for _ in 0..200 {
        let started = Instant::now();
        let response = client.get(format!("{}/healthz", server.url)).send().await.unwrap();
        assert_eq!(response.status(), 200);
        latencies.push(started.elapsed());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    latencies.sort();
    latencies
}

/// The same load from `oha` (a separate HTTP load tool, `cargo install oha`), if installed:
/// requests/s and latency percentiles over 4 s.
fn oha(url: &str, token: &str, body: &str, connections: usize) -> Option<String> {
    let Ok(output) = std::process::Command::new("oha")
        .args(["-z", "4s", "-c", &connections.to_string(), "-m", "POST", "--no-tui", "--output-format", "json"])
        .args(["-H", &format!("authorization: Bearer {token}"), "-T", "application/json", "-d", body, url])
        .output()
    else {
        println!("oha: not installed (cargo install oha) — skipped");
        return None;
    };
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).ok()?;
    let seconds = |key: &str| report["latencyPercentiles"][key].as_f64().unwrap_or_default() * 1e3;
    let statuses = &report["statusCodeDistribution"];
    Some(format!(
        "{:.0} requests/s, p50 {:.2} ms, p99 {:.2} ms, statuses {statuses}",
        report["summary"]["requestsPerSec"].as_f64().unwrap_or_default(),
        seconds("p50"),
        seconds("p99"),
    ))
}
