//! `airlock plugin new <name>`: a compilable connector crate — one resource type, one auth
//! method, unit tests on the SDK's test kit — that builds into a component `plugin install`
//! accepts.

use anyhow::{Context, bail};
use std::path::{Path, PathBuf};

/// What `plugin new` needs.
#[derive(Debug, clap::Args)]
pub struct NewArgs {
    /// The connector type (`[a-z][a-z0-9-]*`, at most 63 characters); also the crate name.
    pub name: String,
    /// Directory to create [default: ./<name>].
    #[arg(long)]
    pub path: Option<PathBuf>,
    /// Depend on a local checkout of the SDK (`…/airlock/sdk`) instead of the published crate.
    #[arg(long)]
    pub sdk_path: Option<PathBuf>,
}

/// Write the crate; refuses to touch an existing directory.
pub fn create(args: &NewArgs) -> anyhow::Result<PathBuf> {
    let name = args.name.as_str();
    let valid = name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-');
    if !valid {
        bail!("`{name}` is not a connector type name: lowercase letters, digits and `-`, starting with a letter");
    }
    let dir = args.path.clone().unwrap_or_else(|| PathBuf::from(name));
    if dir.exists() {
        bail!("{} already exists; choose another --path", dir.display());
    }
    let sdk = match &args.sdk_path {
        Some(path) => {
            let path = std::fs::canonicalize(path)
                .with_context(|| format!("the SDK path {} does not exist", path.display()))?;
            let path = path.display().to_string();
            if path.contains(['\'', '\n', '\r']) {
                bail!("the SDK path {path} has a quote or line break; move the checkout");
            }
            // A TOML literal string: taken as it is, no escapes.
            format!("{{ path = '{path}' }}")
        }
        None => format!("{:?}", env!("CARGO_PKG_VERSION")),
    };
    let title = title(name);
    let file = name.replace('-', "_");
    let fill = |template: &str| {
        template.replace("{name}", name).replace("{title}", &title).replace("{sdk}", &sdk).replace("{file}", &file)
    };
    write(&dir.join("Cargo.toml"), &fill(CARGO_TOML))?;
    write(&dir.join("src/lib.rs"), &fill(LIB_RS))?;
    write(&dir.join("README.md"), &fill(README))?;
    write(&dir.join(".gitignore"), "/target\n")?;
    Ok(dir)
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// `my-api` → `My Api`.
fn title(name: &str) -> String {
    name.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

const CARGO_TOML: &str = r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
description = "An Airlock connector for {title}"
publish = false

[lib]
# cdylib: the component; rlib: for integration tests.
crate-type = ["cdylib", "rlib"]

[dependencies]
airlock-sdk = {sdk}

[profile.release]
opt-level = "s"
lto = true
strip = "debuginfo"

# A crate of its own, even inside another workspace's tree.
[workspace]
"#;

const LIB_RS: &str = r#"//! The `{name}` connector: one HTTP API reached with a bearer token. The token is a credential
//! binding: the Airlock host adds it to requests, so it never enters this component.

use airlock_sdk::prelude::*;

const RESOURCE_TYPE: &str = "{name}-api";

pub struct Connector;

impl airlock_sdk::Connector for Connector {
    fn describe() -> ConnectorSpec {
        spec::connector("{name}", "{title} Connector", "Gives access to the {title} API with a bearer token.")
            .resource_type(
                spec::resource_type(RESOURCE_TYPE, "{title} API")
                    .id_formats(&["{endpoint}"])
                    .description("The API at the configured endpoint."),
            )
            .auth_method(
                spec::auth_method("token", "API token")
                    .attribute(spec::url("endpoint", "The API's base URL").egress())
                    .attribute(spec::secret("token", "The API token"))
                    .description("A long-lived token; clients receive it only where admin policy releases it.")
                    .releases(&["token"]),
            )
            .build()
    }

    fn verify(resource_type: Option<String>, resource_id: Option<String>) -> Result<Vec<ResourceListing>> {
        check_resource_type(resource_type.as_deref())?;
        let endpoint = endpoint(resource_id.as_deref())?;
        // The host adds `authorization: Bearer <token>`; 401/403 become `unauthorized`.
        http::Request::get(format!("{endpoint}/whoami")).bearer("token").send()?.ok()?;
        Ok(vec![listing(RESOURCE_TYPE, vec![endpoint])])
    }

    fn issue_client(request: ClientRequest) -> Result<ClientCredential> {
        check_resource_type(Some(&request.resource_type))?;
        let endpoint = endpoint(request.resource_id.as_deref())?;
        Ok(ClientCredential {
            connector_type: "{name}".into(),
            auth_method: "token".into(),
            resource_type: RESOURCE_TYPE.into(),
            resource_id: Some(endpoint.clone()),
            attributes: vec![
                ("endpoint".into(), CredentialValue::Plain(endpoint)),
                // A reference: the host fills in the token only where policy releases it. Mint a
                // short-lived token here instead when the API can.
                ("token".into(), CredentialValue::Binding("token".into())),
            ],
            expires_at: None,
        })
    }
}

fn check_resource_type(resource_type: Option<&str>) -> Result<()> {
    match resource_type {
        None | Some(RESOURCE_TYPE) => Ok(()),
        Some(other) => Err(ConnectorError::InvalidConfig(format!("no resource type `{other}` ({RESOURCE_TYPE})"))),
    }
}

/// The configured endpoint; a given id must name it.
fn endpoint(id: Option<&str>) -> Result<String> {
    let endpoint = config::require("endpoint")?.trim_end_matches('/').to_string();
    match id {
        Some(id) if id.trim_end_matches('/') != endpoint => {
            Err(ConnectorError::InvalidConfig(format!("`{id}` is not this connector's endpoint ({endpoint})")))
        }
        _ => Ok(endpoint),
    }
}

airlock_sdk::export_connector!(Connector);

#[cfg(test)]
mod tests {
    use super::*;
    use airlock_sdk::Connector as _;
    use airlock_sdk::http::{CredentialUse, Method};
    use airlock_sdk::testing::MockHost;

    fn host() -> MockHost {
        MockHost::new("token").config("endpoint", "https://api.example.com").binding("token")
    }

    #[test]
    fn verify_calls_whoami_with_the_token_binding() {
        let (listed, calls) = host()
            .respond(Method::Get, "https://api.example.com/whoami", 200, "{}")
            .run(|| Connector::verify(None, None));
        assert_eq!(listed.unwrap()[0].resource_ids, vec!["https://api.example.com".to_string()]);
        assert_eq!(calls.requests[0].credential, Some(CredentialUse::Bearer("token".into())));
    }

    #[test]
    fn a_refused_token_is_unauthorized() {
        let (listed, _) = host()
            .respond(Method::Get, "https://api.example.com/whoami", 401, "bad token")
            .run(|| Connector::verify(None, None));
        assert!(matches!(listed, Err(ConnectorError::Unauthorized(_))));
    }

    #[test]
    fn clients_get_a_reference_to_the_token_not_its_value() {
        let request = ClientRequest { resource_type: RESOURCE_TYPE.into(), resource_id: None, expiration_seconds: None };
        let (issued, calls) = host().run(|| Connector::issue_client(request));
        let token = issued.unwrap().attributes.into_iter().find(|(name, _)| name == "token").unwrap().1;
        assert_eq!(token, CredentialValue::Binding("token".into()));
        assert!(calls.requests.is_empty());
    }
}
"#;

const README: &str = r#"# {title} connector for Airlock

```sh
cargo test                                           # unit tests on the SDK's mock host (no server)
cargo build --release --target wasm32-wasip2         # the component
airlock plugin install target/wasm32-wasip2/release/{file}.wasm
airlock plugin approve {name}
airlock connector register my-{name} -t {name} --endpoint=https://api.example.com --token=@token.txt
```

`airlock plugin push <file> <registry>/<repo>:<tag>` publishes it to an OCI registry.
"#;
