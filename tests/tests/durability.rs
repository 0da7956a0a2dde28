//! Crash safety and key rotation: a SIGKILL in the middle of registrations or issuances loses
//! nothing that was acknowledged and leaves no half-written connector; rotating the master key
//! keeps every secret readable.

use airlock_tests::server::{ADMIN_TOKEN, Server, StoreKind, fresh_postgres_database};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A docker connector on `registry` (an open one: issuing checks the registry first).
fn connector(name: &str, registry: &str) -> serde_json::Value {
    json!({
        "name": name, "connector_type": "docker", "verify": false,
        "configuration": {"username": "u", "password": format!("pw-of-{name}"), "registry": registry},
    })
}

/// Once `count` writes are `acknowledged`: SIGKILL the server, let the `clients` see it gone,
/// and restart it. Returns what was acknowledged.
async fn kill_and_restart(
    server: &mut Server,
    acknowledged: &Mutex<Vec<String>>,
    count: usize,
    clients: Vec<tokio::task::JoinHandle<()>>,
) -> Vec<String> {
    while acknowledged.lock().unwrap().len() < count {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill();
    for client in clients {
        client.await.unwrap();
    }
    server.restart();
    acknowledged.lock().unwrap().clone()
}

async fn kill_during_registrations(store: StoreKind) {
    let registry = airlock_tests::registry::Registry::open();
    let mut server = Server::start(store);
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let url = server.url.clone();
    let registry_url = registry.url();
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (acknowledged, url, registry_url) = (acknowledged.clone(), url.clone(), registry_url.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                for i in 0.. {
                    let name = format!("crash-{w}-{i}");
                    let sent = client
                        .post(format!("{url}/api/v1/connectors"))
                        .bearer_auth(ADMIN_TOKEN)
                        .json(&connector(&name, &registry_url))
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status() == 201 => acknowledged.lock().unwrap().push(name),
                        Ok(r) => panic!("registration failed: {}", r.status()),
                        Err(_) => break, // the server is gone
                    }
                }
            })
        })
        .collect();
    let acknowledged = kill_and_restart(&mut server, &acknowledged, 40, writers).await;
    let (_, listed) = server.json(ADMIN_TOKEN, "GET", "/api/v1/connectors", None).await;
    let stored: Vec<String> =
        listed.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_string()).collect();
    for name in &acknowledged {
        assert!(stored.contains(name), "acknowledged registration {name} was lost");
    }
    // Every stored connector is whole: its secret is there and opens.
    for name in &stored {
        let (status, issued) =
            server.json(ADMIN_TOKEN, "POST", &format!("/api/v1/connectors/{name}/client"), Some(json!({}))).await;
        assert_eq!(status, 200, "{name}: {issued}");
        let password = airlock_tests::issued_attribute(&issued, "password");
        assert_eq!(password, format!("pw-of-{name}").as_str());
    }
    assert!(stored.len() >= acknowledged.len());
}

#[tokio::test]
async fn sigkill_during_registrations_on_sqlite_loses_nothing_acknowledged() {
    kill_during_registrations(StoreKind::Sqlite).await;
}

#[tokio::test]
async fn sigkill_during_registrations_on_postgres_loses_nothing_acknowledged() {
    kill_during_registrations(StoreKind::Postgres(fresh_postgres_database())).await;
}

/// Fresh issuances from four clients until `SIGKILL`: after a restart every acknowledged lease
/// is there, with the audit row that records its minting.
async fn kill_during_issuances(store: StoreKind) {
    let registry = airlock_tests::registry::Registry::open();
    let mut server = Server::start(store);
    let (status, body) =
        server.json(ADMIN_TOKEN, "POST", "/api/v1/connectors", Some(connector("minting", &registry.url()))).await;
    assert_eq!(status, 201, "{body}");
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let issuers: Vec<_> = (0..4)
        .map(|_| {
            let (acknowledged, url) = (acknowledged.clone(), server.url.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                loop {
                    let sent = client
                        .post(format!("{url}/api/v1/connectors/minting/client"))
                        .bearer_auth(ADMIN_TOKEN)
                        .json(&json!({"reuse": false}))
                        .send()
                        .await;
                    let response = match sent {
                        Ok(r) if r.status() == 200 => r,
                        Ok(r) => panic!("issuance failed: {}", r.status()),
                        Err(_) => break, // the server is gone
                    };
                    // The server may die between the headers and the body: only a whole answer counts.
                    let Ok(issued) = response.json::<serde_json::Value>().await else { break };
                    acknowledged.lock().unwrap().push(issued["lease_id"].as_str().unwrap().to_string());
                }
            })
        })
        .collect();
    let acknowledged = kill_and_restart(&mut server, &acknowledged, 100, issuers).await;
    let (status, audit) = server.json(ADMIN_TOKEN, "GET", "/api/v1/audit?limit=10000", None).await;
    assert_eq!(status, 200, "{audit}");
    let minted: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| row["action"] == "client.issue" && row["outcome"] == "minted")
        .map(|row| row["detail"].as_str().unwrap())
        .collect();
    for lease in &acknowledged {
        let (status, body) = server.json(ADMIN_TOKEN, "GET", &format!("/api/v1/leases/{lease}"), None).await;
        assert_eq!(status, 200, "acknowledged lease {lease} was lost: {body}");
        let recorded = format!("lease={lease} ");
        assert!(minted.iter().any(|d| d.starts_with(&recorded)), "the minting of lease {lease} left no audit row");
    }
}

#[tokio::test]
async fn sigkill_during_issuances_on_sqlite_loses_nothing_acknowledged() {
    kill_during_issuances(StoreKind::Sqlite).await;
}

#[tokio::test]
async fn sigkill_during_issuances_on_postgres_loses_nothing_acknowledged() {
    kill_during_issuances(StoreKind::Postgres(fresh_postgres_database())).await;
}

#[tokio::test]
async fn rotating_the_master_key_keeps_secrets_readable() {
    let registry = airlock_tests::registry::Registry::open();
    let mut server = Server::start(StoreKind::Sqlite);
    let (status, _) =
        server.json(ADMIN_TOKEN, "POST", "/api/v1/connectors", Some(connector("rotated", &registry.url()))).await;
    assert_eq!(status, 201);
    let (_, before) = server.json(ADMIN_TOKEN, "POST", "/api/v1/connectors/rotated/client", Some(json!({}))).await;
    let key_file = server.data_dir.join("master.key");
    let old_key = std::fs::read_to_string(&key_file).unwrap();
    server.kill();

    let rotate = std::process::Command::new(airlock_tests::airlock_bin())
        .args(["admin", "rotate-key", "--data-dir"])
        .arg(&server.data_dir)
        .env_remove("AIRLOCK_MASTER_KEY")
        .env_remove("AIRLOCK_DATABASE_URL")
        .output()
        .unwrap();
    assert!(rotate.status.success(), "{}", String::from_utf8_lossy(&rotate.stderr));
    assert!(
        String::from_utf8_lossy(&rotate.stderr).contains("Re-sealed 2 stored value(s)"),
        "one secret and one cached credential"
    );
    let new_key = std::fs::read_to_string(&key_file).unwrap();
    assert_ne!(old_key, new_key);
    assert_eq!(new_key.lines().count(), 1, "the old key is retired");

    server.restart();
    let (status, after) =
        server.json(ADMIN_TOKEN, "POST", "/api/v1/connectors/rotated/client", Some(json!({"reuse": false}))).await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["credential"], before["credential"]);
    let (status, reused) = server.json(ADMIN_TOKEN, "POST", "/api/v1/connectors/rotated/client", Some(json!({}))).await;
    assert_eq!(status, 200, "the re-sealed lease opens too: {reused}");
}
