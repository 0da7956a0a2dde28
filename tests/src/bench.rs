//! Helpers the benchmarks share: formatting, percentiles and a closed-loop load of N clients.

use std::time::{Duration, Instant};

/// `12.34 ms`.
pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// The mean of latencies.
pub fn mean(latencies: &[Duration]) -> Duration {
    latencies.iter().sum::<Duration>() / latencies.len().max(1) as u32
}

/// The `p` quantile (0.0–1.0) of sorted latencies.
pub fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p) as usize]
}

/// Run `first` and `second` in turn, in a loop, from `clients` tasks for `window`: the sorted
/// latencies of each. Taking turns, both meet the same load and the same drift of a shared
/// upstream (an emulator's latency wanders by more than the differences measured).
pub async fn measure_in_turn<A, B>(
    clients: usize,
    window: Duration,
    first: impl Fn() -> A + Clone + Send + 'static,
    second: impl Fn() -> B + Clone + Send + 'static,
) -> (Vec<Duration>, Vec<Duration>)
where
    A: Future<Output = ()> + Send,
    B: Future<Output = ()> + Send,
{
    let deadline = Instant::now() + window;
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (first, second) = (first.clone(), second.clone());
            tokio::spawn(async move {
                let (mut firsts, mut seconds) = (Vec::new(), Vec::new());
                while Instant::now() < deadline {
                    let started = Instant::now();
                    first().await;
                    firsts.push(started.elapsed());
                    let started = Instant::now();
                    second().await;
                    seconds.push(started.elapsed());
                }
                (firsts, seconds)
            })
        })
        .collect();
    let (mut firsts, mut seconds) = (Vec::new(), Vec::new());
    for task in futures::future::join_all(tasks).await {
        let (a, b) = task.unwrap();
        firsts.extend(a);
        seconds.extend(b);
    }
    firsts.sort();
    seconds.sort();
    (firsts, seconds)
}

/// How long each fresh-mint comparison runs (both sides, in turn).
pub const FRESH_MINT_WINDOW: Duration = Duration::from_secs(8);

/// For 1 and 8 clients: fresh client credentials of `connector` through the server (`request`
/// is the issuance body, with lease reuse off) in turn with `raw`, the same upstream work done
/// directly, for [`FRESH_MINT_WINDOW`]; prints one line per load with the p50 overhead (and,
/// for one client, `target`: the overhead aimed at, and the floor any broker pays: an
/// authenticated request to the server that does no work, measured in turn with `raw` too).
pub async fn fresh_mints_beside<F>(
    server_url: &str,
    token: &str,
    connector: &str,
    request: serde_json::Value,
    raw_label: &str,
    target: Duration,
    raw: impl Fn() -> F + Clone + Send + 'static,
) where
    F: Future<Output = ()> + Send,
{
    for clients in [1, 8] {
        let client = reqwest::Client::new();
        let url = format!("{server_url}/api/v1/connectors/{connector}/client");
        let upstream_before = upstream_seconds(&client, server_url, token).await;
        let store_before = store_seconds(&client, server_url, token).await;
        let metrics_token = token.to_string();
        let (token, request) = (token.to_string(), request.clone());
        let ours = move || {
            let (client, url, token, request) = (client.clone(), url.clone(), token.clone(), request.clone());
            async move {
                let response = client.post(&url).bearer_auth(&token).json(&request).send().await.unwrap();
                assert_eq!(response.status(), 200);
                response.bytes().await.unwrap();
            }
        };
        let (raw_latencies, ours) = measure_in_turn(clients, FRESH_MINT_WINDOW, raw.clone(), ours).await;
        let (sum, count) = upstream_seconds(&reqwest::Client::new(), server_url, &metrics_token).await;
        let upstream_mean = (sum - upstream_before.0) / (count - upstream_before.1).max(1.0);
        let store_after = store_seconds(&reqwest::Client::new(), server_url, &metrics_token).await;
        println!(
            "{clients} client(s), in turn: airlock fresh mint p50 {} p99 {} (mean {:.2} ms, of which the host's upstream call {:.2} ms) | {raw_label} p50 {} p99 {} | overhead p50 {}{}",
            ms(pct(&ours, 0.5)),
            ms(pct(&ours, 0.99)),
            mean(&ours).as_secs_f64() * 1e3,
            upstream_mean * 1e3,
            ms(pct(&raw_latencies, 0.5)),
            ms(pct(&raw_latencies, 0.99)),
            ms(pct(&ours, 0.5).saturating_sub(pct(&raw_latencies, 0.5))),
            if clients == 1 { format!(" (target ≤ {})", ms(target)) } else { String::new() },
        );
        // Where the server's own time went: store operations per issuance, with their means.
        let issued = ours.len().max(1) as f64;
        let breakdown: Vec<String> = store_after
            .iter()
            .filter_map(|(operation, (sum, count))| {
                let (sum0, count0) = store_before.get(operation).copied().unwrap_or_default();
                let calls = count - count0;
                (calls > 0.0).then(|| format!("{operation} {:.1}×{:.2} ms", calls / issued, (sum - sum0) / calls * 1e3))
            })
            .collect();
        println!("   store operations per issuance (count × mean): {}", breakdown.join(", "));
        if clients == 1 {
            let round_trip = round_trip(server_url, &metrics_token, raw.clone()).await;
            println!(
                "   an authenticated request that does no work (the extra hop through a broker), in turn with the raw call: p50 {}",
                ms(round_trip)
            );
        }
    }
}

/// The p50 of an authenticated request the server answers without work (an unknown lease: 404),
/// one client, taking turns with `raw` so that both meet the same idle gaps as an issuance.
async fn round_trip<F>(server_url: &str, token: &str, raw: impl Fn() -> F + Clone + Send + 'static) -> Duration
where
    F: Future<Output = ()> + Send,
{
    let client = reqwest::Client::new();
    let url = format!("{server_url}/api/v1/leases/00000000-0000-4000-8000-000000000000");
    let token = token.to_string();
    let no_work = move || {
        let (client, url, token) = (client.clone(), url.clone(), token.clone());
        async move {
            let response = client.get(&url).bearer_auth(&token).send().await.unwrap();
            assert_eq!(response.status(), 404);
            response.bytes().await.unwrap();
        }
    };
    let (_, round_trips) = measure_in_turn(1, FRESH_MINT_WINDOW / 2, raw, no_work).await;
    pct(&round_trips, 0.5)
}

/// The server's store-operation histograms: operation → (`_sum` seconds, `_count`).
async fn store_seconds(
    client: &reqwest::Client,
    server_url: &str,
    token: &str,
) -> std::collections::BTreeMap<String, (f64, f64)> {
    let text =
        client.get(format!("{server_url}/metrics")).bearer_auth(token).send().await.unwrap().text().await.unwrap();
    let mut totals = std::collections::BTreeMap::<String, (f64, f64)>::new();
    for line in text.lines().filter(|l| l.starts_with("airlock_store_operation_duration_seconds_")) {
        let operation = line.split("operation=\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or("?");
        let value = line.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()).unwrap_or_default();
        let entry = totals.entry(operation.to_string()).or_default();
        if line.contains("_sum{") {
            entry.0 += value;
        } else if line.contains("_count{") {
            entry.1 += value;
        }
    }
    totals
}

/// The server's upstream-latency histogram totals (`_sum` seconds, `_count`) from `/metrics`.
async fn upstream_seconds(client: &reqwest::Client, server_url: &str, token: &str) -> (f64, f64) {
    let text =
        client.get(format!("{server_url}/metrics")).bearer_auth(token).send().await.unwrap().text().await.unwrap();
    let total = |suffix: &str| -> f64 {
        text.lines()
            .filter(|l| l.starts_with(&format!("airlock_upstream_request_duration_seconds_{suffix}")))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    };
    (total("sum"), total("count"))
}
