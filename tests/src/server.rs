//! A running `airlock serve` (the real binary) on a loopback port, with its log captured, and
//! helpers to drive it through the CLI and the raw HTTP API.

use crate::airlock_bin;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The bootstrap admin token every test server uses.
pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789abcdef";

/// Which store a server uses.
#[derive(Debug, Clone)]
pub enum StoreKind {
    Sqlite,
    Postgres(String),
}

pub struct Server {
    pub url: String,
    pub data_dir: PathBuf,
    pub log: PathBuf,
    child: Child,
    store: StoreKind,
    extra: Vec<(String, String)>,
}

/// A fresh PostgreSQL database on 127.0.0.1:5432 (trust auth); its URL.
pub fn fresh_postgres_database() -> String {
    let name = format!("airlock_test_{}_{}", std::process::id(), rand_suffix());
    let out = Command::new(crate::require_tool("psql"))
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            &format!("CREATE DATABASE {name}"),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "creating a PostgreSQL database: {}", String::from_utf8_lossy(&out.stderr));
    format!("postgres://postgres@127.0.0.1:5432/{name}")
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(Instant::now().elapsed().as_nanos() as u64);
    h.finish() % 1_000_000_000
}

impl Server {
    /// Start a server with a new data directory.
    pub fn start(store: StoreKind) -> Server {
        Self::start_with(store, tempfile::tempdir().unwrap().keep(), Vec::new())
    }

    /// Start a server on `data_dir` with extra environment variables.
    pub fn start_with(store: StoreKind, data_dir: PathBuf, extra: Vec<(String, String)>) -> Server {
        let log = data_dir.with_extension(format!("log{}", rand_suffix()));
        let log_file = std::fs::File::create(&log).unwrap();
        let mut cmd = Command::new(airlock_bin());
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(&data_dir)
            .env("AIRLOCK_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("AIRLOCK_EGRESS_ALLOW_CIDRS", "127.0.0.0/8")
            .env("AIRLOCK_LOG", "trace")
            .env_remove("AIRLOCK_DATABASE_URL")
            .env_remove("AIRLOCK_MASTER_KEY")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let StoreKind::Postgres(url) = &store {
            cmd.env("AIRLOCK_DATABASE_URL", url);
        }
        for (k, v) in &extra {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        // The server announces its address on stderr once it is ready; the rest goes to the log.
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut log_file = log_file;
            let mut sent = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                use std::io::Write;
                let _ = writeln!(log_file, "{line}");
                if !sent && let Some(rest) = line.split("listening on ").nth(1) {
                    let _ = tx.send(rest.split_whitespace().next().unwrap_or_default().to_string());
                    sent = true;
                }
            }
        });
        let url = rx.recv_timeout(Duration::from_secs(30)).unwrap_or_else(|_| {
            panic!("the server did not start: {}", std::fs::read_to_string(&log).unwrap_or_default())
        });
        Server { url, data_dir, log, child, store, extra }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kill the server with SIGKILL (no shutdown at all).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Start again on the same data directory and store.
    pub fn restart(&mut self) {
        self.kill();
        *self = Server::start_with(self.store.clone(), self.data_dir.clone(), self.extra.clone());
    }

    /// Run `airlock <args>` as the holder of `token`.
    pub fn cli(&self, token: &str, args: &[&str]) -> Output {
        self.cli_env(token, args, &[])
    }

    /// Run `airlock <args>` with extra environment.
    pub fn cli_env(&self, token: &str, args: &[&str], env: &[(&str, &Path)]) -> Output {
        let mut cmd = Command::new(airlock_bin());
        // Tables and prose fit `COLUMNS` when it is set: tests read them unwrapped unless they say.
        cmd.args(args)
            .env("AIRLOCK_URL", &self.url)
            .env("AIRLOCK_TOKEN", token)
            .env("HOME", &self.data_dir)
            .env_remove("COLUMNS");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }

    /// The server's log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A raw HTTP call: (status, body).
    pub async fn call(&self, token: &str, method: &str, path: &str, body: Option<Vec<u8>>) -> (u16, String) {
        let client = reqwest::Client::new();
        let mut request = client.request(method.parse().unwrap(), format!("{}{path}", self.url)).bearer_auth(token);
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    /// Upload a plugin component as the admin and approve it; its connector type.
    pub async fn install_approved(&self, wasm: Vec<u8>) -> String {
        let response = reqwest::Client::new()
            .post(format!("{}/api/v1/plugins", self.url))
            .bearer_auth(ADMIN_TOKEN)
            .header("content-type", "application/wasm")
            .body(wasm)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let view: serde_json::Value = response.json().await.unwrap();
        let connector_type = view["connector_type"].as_str().unwrap().to_string();
        let (status, approved) =
            self.json(ADMIN_TOKEN, "POST", &format!("/api/v1/plugins/{connector_type}/approve"), None).await;
        assert_eq!(status, 200, "{approved}");
        connector_type
    }

    /// A JSON call: (status, parsed body or null).
    pub async fn json(
        &self,
        token: &str,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let (status, text) = self.call(token, method, path, body.map(|b| b.to_string().into_bytes())).await;
        (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Text of a command's stdout and stderr, for assertions.
pub fn out(output: &Output) -> (String, String) {
    (String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned())
}
