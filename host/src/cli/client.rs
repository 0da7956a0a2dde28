//! The HTTP client the CLI uses to talk to `airlock serve`: server URL and token from flags,
//! `AIRLOCK_URL`/`AIRLOCK_TOKEN`, or `~/.config/airlock/config.json` (in that order).

use anyhow::{Context, anyhow, bail};
use clap::Args;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::io::IsTerminal;
use std::path::PathBuf;

/// Where the server is and who we are.
#[derive(Debug, Args, Clone)]
pub struct ServerArgs {
    /// Server URL [env: AIRLOCK_URL; default from the config file, else http://127.0.0.1:8900]
    #[arg(long, global = true, help_heading = "Global options")]
    pub url: Option<String>,
    /// API token [env: AIRLOCK_TOKEN; default from the config file]
    #[arg(long, global = true, hide_env_values = true, help_heading = "Global options")]
    pub token: Option<String>,
}

/// The client config file.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ClientConfig {
    pub url: Option<String>,
    pub token: Option<String>,
}

impl ClientConfig {
    pub fn path() -> Option<PathBuf> {
        let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
        env("XDG_CONFIG_HOME").or_else(|| env("HOME").map(|h| h.join(".config"))).map(|d| d.join("airlock/config.json"))
    }

    pub fn load() -> ClientConfig {
        Self::path()
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }
}

impl ServerArgs {
    /// The URL and token. A token from the environment or the config file belongs to the URL
    /// configured beside it: it is not sent to another server (a credential helper pins the
    /// server `login` used, which may not be the one configured now).
    fn resolve(&self) -> (Option<String>, Option<(String, String)>) {
        let file = ClientConfig::load();
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let env_url = env("AIRLOCK_URL");
        let url = self.url.clone().or_else(|| env_url.clone()).or_else(|| file.url.clone());
        let normal = |u: &str| u.trim_end_matches('/').to_string();
        let same_server = |configured: &Option<String>| match (configured, &url) {
            (Some(configured), Some(url)) => normal(configured) == normal(url),
            _ => true,
        };
        let file_source = || match ClientConfig::path() {
            Some(path) => format!("the config file {}", path.display()),
            None => "the config file".into(),
        };
        let token = self
            .token
            .clone()
            .map(|t| (t, "--token".to_string()))
            .or_else(|| env("AIRLOCK_TOKEN").filter(|_| same_server(&env_url)).map(|t| (t, "AIRLOCK_TOKEN".into())))
            .or_else(|| file.token.clone().filter(|_| same_server(&file.url)).map(|t| (t, file_source())));
        (url, token)
    }

    /// The server URL commands go to.
    pub fn url(&self) -> String {
        self.resolve().0.unwrap_or_else(|| "http://127.0.0.1:8900".into()).trim_end_matches('/').to_string()
    }

    /// Whether a server has been configured anywhere.
    pub fn configured(&self) -> bool {
        self.resolve().0.is_some()
    }

    /// A client for the configured (or default) server.
    pub fn client(&self) -> anyhow::Result<Client> {
        let (_, token) = self.resolve();
        let url = self.url();
        let (token, token_source) = token.ok_or_else(|| {
            anyhow!("no API token for {url}: pass --token, set AIRLOCK_TOKEN or run `airlock configure --url {url} --token-stdin`")
        })?;
        let http = reqwest::Client::builder().timeout(std::time::Duration::from_secs(180)).build()?;
        Ok(Client { url, token, token_source, http })
    }
}

/// A connection to the server.
pub struct Client {
    url: String,
    token: String,
    /// Where the token came from (`--token`, `AIRLOCK_TOKEN`, the config file), for errors.
    token_source: String,
    http: reqwest::Client,
}

impl Client {
    /// The server's base URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A digest of the token (for cache keys; the token itself is never written).
    pub fn token_digest(&self) -> String {
        use sha2::Digest as _;
        hex::encode(sha2::Sha256::digest(self.token.as_bytes()))
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> anyhow::Result<T> {
        self.send(self.http.get(self.endpoint(path))).await
    }

    pub async fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> anyhow::Result<T> {
        self.send(self.http.post(self.endpoint(path)).json(body)).await
    }

    pub async fn patch<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> anyhow::Result<T> {
        self.send(self.http.patch(self.endpoint(path)).json(body)).await
    }

    pub async fn put_bytes<T: DeserializeOwned>(&self, path: &str, bytes: Vec<u8>, replace: bool) -> anyhow::Result<T> {
        let request = if replace { self.http.put(self.endpoint(path)) } else { self.http.post(self.endpoint(path)) };
        self.send(request.header("content-type", "application/wasm").body(bytes)).await
    }

    pub async fn put<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> anyhow::Result<T> {
        self.send(self.http.put(self.endpoint(path)).json(body)).await
    }

    pub async fn delete(&self, path: &str) -> anyhow::Result<()> {
        self.delete_for::<serde_json::Value>(path).await.map(|_| ())
    }

    /// DELETE, answering a body.
    pub async fn delete_for<T: DeserializeOwned>(&self, path: &str) -> anyhow::Result<T> {
        self.send(self.http.delete(self.endpoint(path))).await
    }

    fn endpoint(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.url)
    }

    async fn send<T: DeserializeOwned>(&self, request: reqwest::RequestBuilder) -> anyhow::Result<T> {
        let response = request
            .bearer_auth(&self.token)
            .send()
            .await
            .with_context(|| format!("cannot reach the Airlock server at {}", self.url))?;
        let status = response.status();
        for warning in response.headers().get_all(crate::api::WARNING_HEADER) {
            eprintln!("warning: {}", String::from_utf8_lossy(warning.as_bytes()));
        }
        let bytes = response.bytes().await?;
        if status == reqwest::StatusCode::UNAUTHORIZED {
            bail!(
                "the server at {} refused the API token from {} [unauthenticated]: pass a valid one with --token or AIRLOCK_TOKEN, or save it with `airlock configure --url {} --token-stdin`",
                self.url,
                self.token_source,
                self.url
            );
        }
        if !status.is_success() {
            let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            let error = &body["error"];
            match (error["code"].as_str(), error["message"].as_str()) {
                (Some(code), Some(message)) => bail!("{} [{code}]", flag_names(message)),
                _ => bail!("the server answered HTTP {status}"),
            }
        }
        let bytes = if bytes.is_empty() { "null".into() } else { bytes };
        serde_json::from_slice(&bytes).context("unexpected response from the server")
    }
}

/// API field names in a server message as the flags a CLI user types (`resource_id` →
/// `--resource-id`), whole words only.
fn flag_names(message: &str) -> String {
    const FLAGS: &[(&str, &str)] = &[
        ("resource_type", "-r/--resource-type"),
        ("resource_id", "--resource-id"),
        ("auth_method", "-a/--auth-method"),
        ("connector_type", "-t/--type"),
        ("expiration_seconds", "--expiration-seconds"),
        ("expires_at", "--expires-at"),
        ("expires_skew_tolerance", "--expires-skew-tolerance"),
        ("sort_by", "--sort-by"),
    ];
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find(|c: char| word(c)) {
        out.push_str(&rest[..start]);
        let end = rest[start..].find(|c: char| !word(c)).map_or(rest.len(), |e| start + e);
        let token = &rest[start..end];
        out.push_str(FLAGS.iter().find(|(field, _)| *field == token).map_or(token, |(_, flag)| flag));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Show a spinner on stderr while `future` runs (only on a terminal).
pub async fn with_spinner<T>(message: &str, future: impl Future<Output = T>) -> T {
    if !std::io::stderr().is_terminal() {
        return future.await;
    }
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.set_message(message.to_string());
    spinner.enable_steady_tick(std::time::Duration::from_millis(100));
    let result = future.await;
    spinner.finish_and_clear();
    result
}

#[cfg(test)]
mod tests {
    #[test]
    fn api_fields_read_as_the_flags_users_type() {
        assert_eq!(
            super::flag_names("`s3-bucket` has many instances: name one with resource_id"),
            "`s3-bucket` has many instances: name one with --resource-id"
        );
        assert_eq!(
            super::flag_names("several resource types: name one with resource_type."),
            "several resource types: name one with -r/--resource-type."
        );
        // Attribute names that merely contain a field name are left alone.
        assert_eq!(super::flag_names("aws_resource_id_x and expires_at (5)"), "aws_resource_id_x and --expires-at (5)");
    }
}
