//! The `docker` connector: one Docker/OCI registry reached with a username and a password or token.
//!
//! The password never enters this component: the host adds it to requests as HTTP basic auth
//! (only towards the configured registry) and fills it into issued client credentials when admin
//! policy allows releasing it.

use airlock_sdk::prelude::*;

const RESOURCE_TYPE: &str = "docker-registry";
const DOCKER_HUB: &str = "docker.io";
const DOCKER_HUB_API: &str = "https://registry-1.docker.io";
const DOCKER_HUB_AUTH: &str = "https://auth.docker.io";

struct Docker;

impl Connector for Docker {
    fn describe() -> ConnectorSpec {
        spec::connector("docker", "Docker Service Connector", DESCRIPTION)
            .emoji("🐳")
            .docs_url("https://docs.docker.com/registry/spec/api/")
            .egress(DOCKER_HUB_API)
            .egress(DOCKER_HUB_AUTH)
            .resource_type(
                spec::resource_type(RESOURCE_TYPE, "Docker/OCI container registry")
                    .emoji("🐳")
                    .description("One container registry: Docker Hub or a private registry.")
                    .id_formats(&[
                        "docker.io",
                        "[https://]index.docker.io/v1/[...]",
                        "http[s]://host[:port][/path]",
                        "host[:port]",
                    ]),
            )
            .auth_method(
                spec::auth_method("password", "Docker username and password/token")
                    .description("A username with a password or access token. Clients receive both as they are.")
                    .attribute(spec::text("username", "The username"))
                    .attribute(
                        spec::secret("password", "The password or access token")
                            .secret_hosts(&[DOCKER_HUB_API, DOCKER_HUB_AUTH]),
                    )
                    .attribute(
                        spec::url("registry", "The registry URL or host[:port]; omit for Docker Hub")
                            .optional()
                            .egress(),
                    )
                    .releases(&["password"]),
            )
            .build()
    }

    fn canonical_resource_id(resource_type: String, resource_id: String) -> Result<String> {
        check_resource_type(&resource_type)?;
        canonical(&resource_id)
    }

    fn verify(resource_type: Option<String>, resource_id: Option<String>) -> Result<Vec<ResourceListing>> {
        if let Some(rt) = &resource_type {
            check_resource_type(rt)?;
        }
        let registry = Registry::from_config()?;
        registry.check_id(resource_id.as_deref())?;
        registry.login()?;
        Ok(vec![listing(RESOURCE_TYPE, vec![registry.id.clone()])])
    }

    fn issue_client(request: ClientRequest) -> Result<ClientCredential> {
        check_resource_type(&request.resource_type)?;
        if request.expiration_seconds.is_some() {
            return Err(ConnectorError::InvalidConfig(
                "the password auth method issues no temporary credentials, so an expiration cannot be set".into(),
            ));
        }
        let registry = Registry::from_config()?;
        registry.check_id(request.resource_id.as_deref())?;
        Ok(ClientCredential {
            connector_type: "docker".into(),
            auth_method: "password".into(),
            resource_type: RESOURCE_TYPE.into(),
            resource_id: Some(registry.id.clone()),
            attributes: vec![
                ("username".into(), CredentialValue::Plain(config::require("username")?)),
                ("password".into(), CredentialValue::Binding("password".into())),
                ("registry".into(), CredentialValue::Plain(registry.id)),
            ],
            expires_at: None,
        })
    }
}

const DESCRIPTION: &str = "Gives access to one Docker/OCI registry with a username and a password \
or token. Verification logs in to the registry's `/v2/` endpoint; clients receive the username \
and password for `docker login`, `skopeo` and similar tools.";

fn check_resource_type(resource_type: &str) -> Result<()> {
    if resource_type == RESOURCE_TYPE {
        Ok(())
    } else {
        Err(ConnectorError::InvalidConfig(format!(
            "the docker connector has no resource type `{resource_type}` (only `{RESOURCE_TYPE}`)"
        )))
    }
}

/// `host[:port]`, with Docker Hub's aliases folded into `docker.io`.
fn canonical(id: &str) -> Result<String> {
    let host = resource_id::host_port(id)?;
    Ok(match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => DOCKER_HUB.into(),
        _ => host,
    })
}

/// The configured registry.
struct Registry {
    /// Canonical resource id.
    id: String,
    /// Base URL of the registry API.
    api: String,
}

impl Registry {
    fn from_config() -> Result<Self> {
        let configured = config::get("registry").filter(|r| !r.trim().is_empty());
        let id = canonical(configured.as_deref().unwrap_or(DOCKER_HUB))?;
        let api = match (&configured, id.as_str()) {
            (_, DOCKER_HUB) | (None, _) => DOCKER_HUB_API.to_string(),
            (Some(url), host) => format!("{}://{host}", resource_id::scheme(url)),
        };
        Ok(Registry { id, api })
    }

    fn check_id(&self, requested: Option<&str>) -> Result<()> {
        match requested.map(canonical).transpose()? {
            Some(id) if id != self.id => {
                Err(ConnectorError::NotFound(format!("this connector reaches the registry `{}`, not `{id}`", self.id)))
            }
            _ => Ok(()),
        }
    }

    /// Log in the way `docker login` does: basic auth on `/v2/`, or the token endpoint the
    /// registry names in its bearer challenge.
    fn login(&self) -> Result<()> {
        let username = config::require("username")?;
        let response = http::Request::get(format!("{}/v2/", self.api)).basic("username", "password").send()?;
        if response.status() == 200 {
            return Ok(());
        }
        let challenge = response.header("www-authenticate").unwrap_or_default().to_string();
        if response.status() == 401 && challenge.to_ascii_lowercase().starts_with("bearer ") {
            let realm = challenge_param(&challenge, "realm")
                .ok_or_else(|| ConnectorError::Upstream("the registry's bearer challenge names no realm".into()))?;
            let service = challenge_param(&challenge, "service").unwrap_or_default();
            let url = format!("{realm}?service={service}&account={username}");
            let token = http::Request::get(url).basic("username", "password").send()?;
            return token.ok().map(|_| ()).map_err(|e| self.rejected(e));
        }
        response.ok().map(|_| ()).map_err(|e| self.rejected(e))
    }

    /// Name the registry in an authentication failure.
    fn rejected(&self, error: ConnectorError) -> ConnectorError {
        match error {
            ConnectorError::Unauthorized(m) => {
                ConnectorError::Unauthorized(format!("the registry `{}` rejected the credentials ({m})", self.id))
            }
            other => other,
        }
    }
}

/// A parameter of a `WWW-Authenticate: Bearer realm="...",service="..."` challenge.
fn challenge_param(challenge: &str, name: &str) -> Option<String> {
    let params = challenge.split_once(' ')?.1;
    params.split(',').find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k.eq_ignore_ascii_case(name)).then(|| v.trim_matches('"').to_string())
    })
}

airlock_sdk::export_connector!(Docker);
